"""``workbench export`` and ``workbench import`` as subprocesses: every format written and read
back by its consumer, restores into an empty database, and exit code 2 with a reason when refused."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import yaml
from sqlmodel import SQLModel

from tests.conftest import ROOT, sqlite_url
from tests.test_finetune import lines
from workbench.prompts import versions
from workbench.store.engine import open_database

SENTINEL = "sk-CLI-SENTINEL-0123456789abcdef"


def workbench(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKBENCH_")}
    env.update({"WORKBENCH_HOME": str(home), "WORKBENCH_SEED_DEMO": "0", "OPENAI_API_KEY": SENTINEL})
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_export_every_format_and_read_it_back(seeded_db: Path, tmp_path: Path) -> None:
    db = sqlite_url(seeded_db)
    done = workbench(
        "export", "--database", db, "--format", "csv", "--out", str(tmp_path / "all.csv"), home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Wrote 24 outputs (18 rated)" in done.stdout
    frame = pd.read_csv(tmp_path / "all.csv", encoding="utf-8-sig")
    assert len(frame) == 24 and "assertion_results" in frame.columns

    done = workbench("export", "--database", db, "--format", "xlsx", "--min-score", "4", "--out",
                     str(tmp_path / "good.xlsx"), home=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(tmp_path / "good.xlsx")["Outputs"]
    assert 1 < sheet.max_row < 25

    done = workbench("export", "--database", db, "--format", "jsonl", "--min-score", "1", "--validation-share", "0.25",
                     "--out", str(tmp_path / "ft"), home=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    train, validation = (
        lines((tmp_path / "ft/train.jsonl").read_bytes()),
        lines((tmp_path / "ft/validation.jsonl").read_bytes()),
    )
    summary = json.loads((tmp_path / "ft/summary.json").read_text())
    assert len(train) + len(validation) == summary["counts"]["kept"] > 0 and len(validation) >= 1

    done = workbench("export", "--database", db, "--format", "promptfoo", "--prompt", "HR policy answer", "--out",
                     str(tmp_path / "promptfooconfig.yaml"), home=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(yaml.safe_load((tmp_path / "promptfooconfig.yaml").read_text())["tests"]) == 10

    done = workbench("export", "--database", db, "--format", "prompts", "--project", "HR handbook assistant", "--out",
                     str(tmp_path / "prompts.csv"), home=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list(pd.read_csv(tmp_path / "prompts.csv", encoding="utf-8-sig")["prompt"]) == [
        "HR policy answer",
        "HR policy answer from documents",
    ]
    for path in tmp_path.rglob("*.*"):
        if path.suffix in {".csv", ".xlsx", ".jsonl", ".json", ".yaml"}:
            assert SENTINEL.encode() not in path.read_bytes(), path


def test_backup_restores_into_an_empty_database_once(seeded_db: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.json.gz"
    done = workbench(
        "export",
        "--database",
        sqlite_url(seeded_db),
        "--format",
        "backup",
        "--out",
        str(backup),
        home=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    target = sqlite_url(tmp_path / "restored.db")
    done = workbench("import", "--database", target, "--backup", str(backup), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout and f"in {len(SQLModel.metadata.tables)} tables" in done.stdout
    engine = open_database(target)
    assert [p.name for p in versions.list_prompts(engine)] == [
        "HR policy answer",
        "HR policy answer from documents",
        "Late order reply",
    ]
    engine.dispose()
    again = workbench("import", "--database", target, "--backup", str(backup), home=tmp_path)
    assert again.returncode == 2 and "This database is not empty" in again.stderr


def test_refusals_exit_with_2_and_say_why(seeded_db: Path, tmp_path: Path) -> None:
    db = sqlite_url(seeded_db)
    cases = [
        (
            ("export", "--database", db, "--format", "csv", "--project", "Nope", "--out", "x.csv"),
            "No project named 'Nope'",
        ),
        (
            ("export", "--database", db, "--format", "promptfoo", "--out", str(tmp_path / "p.yaml")),
            "3 prompts match",
        ),
        (("import", "--database", db, "--cases", str(tmp_path / "c.csv")), "--cases needs --prompt"),
        (("export", "--database", db, "--format", "csv"), "--out"),
        (("export", "--database", db, "--format", "ods", "--out", "x"), "invalid choice"),
    ]
    for args, message in cases:
        done = workbench(*args, home=tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert message in done.stderr, (args, done.stderr)


def test_import_prompts_and_cases_all_or_nothing(seeded_db: Path, tmp_path: Path) -> None:
    db = sqlite_url(seeded_db)
    good = tmp_path / "prompts.csv"
    good.write_text("project,prompt,user\nHR handbook assistant,Leave,How many days of {{ kind }} leave?\n")
    done = workbench("import", "--database", db, "--prompts", str(good), "--actor", "Dana", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 prompts created, 1 versions added" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "project,prompt,user\nHR handbook assistant,Two,Fine\nHR handbook assistant,Three,Broken {{\n"
    )
    done = workbench("import", "--database", db, "--prompts", str(bad), home=tmp_path)
    assert done.returncode == 2 and "Row 3, column 'user'" in done.stderr
    cases = tmp_path / "cases.csv"
    cases.write_text("name,kind,expected,assert:contains\nSick,sick,10 days,10 days\n")
    done = workbench("import", "--database", db, "--cases", str(cases), "--prompt", "Leave", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout
    engine = open_database(db)
    names = [p.name for p in versions.list_prompts(engine)]
    engine.dispose()
    assert "Leave" in names and "Two" not in names


def test_the_scrubbed_backup_still_restores(seeded_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    assert (
        workbench(
            "export",
            "--database",
            sqlite_url(seeded_db),
            "--format",
            "backup",
            "--out",
            str(out),
            home=tmp_path,
        ).returncode
        == 0
    )
    data = json.loads(out.read_text())
    assert io.StringIO(out.read_text()).read().count(SENTINEL) == 0
    assert {t for t, part in data["tables"].items() if part["rows"]} >= {
        "project",
        "prompt",
        "output",
        "rating",
    }
