"""``workbench optimize``: the weak HR prompt improved through the CLI against the fake server
(a real subprocess with its exit code), "none found" when nothing helps, and every refusal
with exit 2 and the reason."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import ROOT, sqlite_url
from tests.fakes.server import FakeLLMServer
from tests.optimizer_support import canteen_bench, hr_prompt, wire
from workbench.cli import entry
from workbench.cli.optimize_command import EXIT_IMPROVED, EXIT_NONE_FOUND, EXIT_NOT_RUN
from workbench.improve import optimization_runs
from workbench.prompts import versions

LARGE = "Local fake server/fake-large"
HR_V1 = ["--prompt", "HR policy answer", "--version", "1", "--model", LARGE]


@pytest.fixture
def database(seeded_db: Path, seeded_engine: Engine, fake_server: FakeLLMServer) -> str:
    wire(seeded_engine, fake_server)
    return sqlite_url(seeded_db)


def workbench_optimize(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "WORKBENCH_DATABASE_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "workbench", "optimize", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_better_version_is_saved_and_the_command_exits_0(
    database: str, seeded_engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    figures = tmp_path / "run.json"
    done = workbench_optimize(*HR_V1, "--budget", "60", "--database", database, "--json", str(figures))
    assert done.returncode == EXIT_IMPROVED, done.stderr
    out = done.stdout
    assert "Ceiling: 60 calls" in out and "Estimate: up to 100 calls" in out
    assert "  Round 1: 4 candidates tested; the best passes 7 of 7 (100%) training cases" in out
    assert re.search(r"^training pass rate\s+7\s+0 of 7 \(0%\)\s+7 of 7 \(100%\)$", out, re.M)
    assert re.search(r"^held-out pass rate\s+3\s+0 of 3 \(0%\)\s+3 of 3 \(100%\)$", out, re.M)
    assert "Found a better version" in out and "saved as v3 with the label 'candidate'" in out
    data = json.loads(figures.read_text())
    assert data["outcome"] == "improved" and data["saved_version"] == 3
    assert data["shares"]["heldout"]["after"]["pass_rate"] == 1.0
    assert data["calls"] == len(fake_server.chat_requests()) <= 60
    prompt = hr_prompt(seeded_engine)
    labels = {lb.name: lb.version_id for lb in versions.labels_for_prompt(seeded_engine, prompt.id)}  # type: ignore[arg-type]
    assert versions.get_version(seeded_engine, labels["candidate"]).number == 3
    assert versions.get_version(seeded_engine, labels["production"]).number == 2
    (run,) = optimization_runs.list_optimizations(seeded_engine, prompt.id)  # type: ignore[arg-type]
    assert run.created_by.startswith("cli")


def test_nothing_found_exits_1_and_saves_nothing(
    database: str, seeded_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    canteen_bench(seeded_engine)
    code = entry.main(
        [
            "optimize",
            "--prompt",
            "Canteen answer",
            "--version",
            "1",
            "--model",
            LARGE,
            "--budget",
            "40",
            "--database",
            database,
        ]
    )
    out = capsys.readouterr().out
    assert code == EXIT_NONE_FOUND
    assert "No improvement found" in out and "not tested" in out


def test_a_dry_run_prints_the_estimate_and_calls_nothing(
    database: str, fake_server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = entry.main(["optimize", *HR_V1, "--budget", "30", "--dry-run", "--database", database])
    out = capsys.readouterr().out
    assert code == 0 and "Estimate: up to 100 calls" in out and "Ceiling: 30 calls" in out
    assert fake_server.chat_requests() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*HR_V1, "--budget", "20"], "A ceiling of 20 calls is too low for this bench"),
        (
            ["--prompt", "HR policy answer", "--version", "9", "--model", LARGE, "--budget", "60"],
            "has no version 9",
        ),
        (
            ["--prompt", "HR policy answer", "--label", "staging", "--model", LARGE, "--budget", "60"],
            "no label 'staging'",
        ),
        (
            ["--prompt", "HR policy answer", "--version", "1", "--model", "fake-huge", "--budget", "60"],
            "No enabled model",
        ),
        ([*HR_V1, "--budget", "60", "--proposer", "Echo/echo"], "only repeats what it is sent"),
        ([*HR_V1, "--budget", "60", "--rounds", "9"], "Rounds must be between 1 and 6"),
        ([*HR_V1, "--budget", "60", "--train-share", "0.95"], "not between 0.3 and 0.9"),
        ([*HR_V1, "--budget", "60", "--label", "production"], "not allowed with argument"),
        (
            [
                "--prompt",
                "HR policy answer",
                "--version",
                "1",
                "--model",
                "OpenAI/gpt-4o-mini",
                "--budget",
                "60",
            ],
            "Set OPENAI_API_KEY",
        ),
    ],
    ids=["budget", "version", "label", "model", "echo", "rounds", "share", "two versions", "key"],
)
def test_what_cannot_run_exits_2_and_says_why(
    database: str,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    try:
        code = entry.main(["optimize", *args, "--database", database])
    except SystemExit as exit:  # argparse refuses bad values itself, with the same code
        code = exit.code  # type: ignore[assignment]
    assert code == EXIT_NOT_RUN
    assert message in capsys.readouterr().err


def test_the_data_policy_blocks_an_endpoint_the_project_does_not_allow(
    database: str, seeded_engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used-000000")
    code = entry.main(
        [
            "optimize",
            *HR_V1[:4],
            "--model",
            LARGE,
            "--proposer",
            "OpenAI/gpt-4o-mini",
            "--budget",
            "60",
            "--database",
            database,
        ]
    )
    assert code == EXIT_NOT_RUN
    assert "Blocked:" in capsys.readouterr().err  # the HR project only allows Echo and the fake server


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    code = entry.main(["optimize", *HR_V1, "--budget", "60", "--database", sqlite_url(missing)])
    assert code == EXIT_NOT_RUN and not missing.exists()
