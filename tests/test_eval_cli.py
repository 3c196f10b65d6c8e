"""``workbench eval``: the seeded HR bench through the CLI against the fake server, as CI runs it
(subprocesses with real exit codes, JUnit and JSON read back), and its refusals."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import ROOT, sqlite_url
from tests.fakes.server import FakeLLMServer
from workbench.cli import entry
from workbench.cli.eval_command import EXIT_BELOW, EXIT_NOT_RUN, EXIT_PASSED
from workbench.evals import cases, evaluations
from workbench.evals import naming as selection
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope

LARGE, LAZY = "Local fake server/fake-large", "Local fake server/fake-lazy"
HR = ["--prompt", "HR policy answer", "--label", "production"]


@pytest.fixture
def database(seeded_db: Path, seeded_engine: Engine, fake_server: FakeLLMServer) -> str:
    """The seeded database's URL, its "Local fake server" pointing at the test's fake server."""
    local = endpoints.find_endpoint(seeded_engine, "Local fake server")
    endpoints.update_endpoint(
        seeded_engine, local.id, actor="t", base_url=fake_server.openai_base_url, max_retries=0
    )  # type: ignore[union-attr, arg-type]
    return sqlite_url(seeded_db)


def workbench_eval(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "WORKBENCH_DATABASE_URL"
    }
    if home is not None:
        env["WORKBENCH_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "workbench", "eval", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_passing_bench_exits_0_and_writes_junit_and_json(database: str, tmp_path: Path) -> None:
    junit, report = tmp_path / "bench.xml", tmp_path / "bench.json"
    done = workbench_eval(
        "--prompt", "HR policy answer", "--label", "production", "--models", "fake-large",
        "--min-pass-rate", "0.9", "--database", database, "--junit", str(junit), "--json", str(report),
    )  # fmt: skip
    assert done.returncode == EXIT_PASSED, done.stderr
    assert re.search(r"^v2\s+Local fake server · fake-large\s+10/10\s+100%\s+ok$", done.stdout, re.M)
    assert "Gate PASSED" in done.stdout
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("errors")) == (
        "10",
        "0",
        "0",
    )
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "HR policy answer · v2 · Local fake server · fake-large"
    names = [case.get("name") for case in suite.findall("testcase")]
    assert names[:3] == ["PTO days", "PTO carry-over", "Sick leave"] and len(names) == 10
    assert not suite.findall("testcase/failure")
    data = json.loads(report.read_text())
    assert (data["gate"], data["pass_rate"], data["total"]) == ("passed", 1.0, 10)
    assert data["models"] == ["Local fake server · fake-large"] and data["versions"] == ["v2"]


def test_a_failing_bench_exits_1_with_the_failing_assertions_in_junit(
    database: str, seeded_engine: Engine, tmp_path: Path
) -> None:
    junit, report = tmp_path / "bench.xml", tmp_path / "bench.json"
    done = workbench_eval(
        "--prompt", "HR policy answer", "--version", "1", "--label", "production", "--models", f"{LARGE},{LAZY}",
        "--min-pass-rate", "0.9", "--concurrency", "4", "--database", database, "--junit", str(junit),
        "--json", str(report),
    )  # fmt: skip
    assert done.returncode == EXIT_BELOW, done.stderr
    assert (
        "Gate FAILED" in done.stdout
        and "BELOW" in done.stdout
        and "Overall: 10 of 40 passed (25%)." in done.stdout
    )
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("40", "30", "0")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    lazy = suites["HR policy answer · v2 · Local fake server · fake-lazy"]
    pto = lazy.find("testcase[@name='PTO days']/failure")
    assert pto is not None and pto.get("message") == "contains '25 days': Missing '25 days'."
    assert pto.text == "contains '25 days': Missing '25 days'."
    assert lazy.find("properties/property[@name='pass_rate']").get("value") == "0.0"  # type: ignore[union-attr]
    good = suites["HR policy answer · v2 · Local fake server · fake-large"]
    assert good.get("failures") == "0" and len(good.findall("testcase")) == 10
    data = json.loads(report.read_text())
    assert data["gate"] == "failed" and [c["meets_threshold"] for c in data["cells"]] == [
        False,
        False,
        True,
        False,
    ]
    failed = next(c for c in data["cases"] if c["case"] == "Payday" and c["model"].endswith("fake-lazy"))
    assert failed["failures"] == [
        {"assertion": "contains 'last working day'", "reason": "Missing 'last working day'."}
    ]
    stored = evaluations.list_evaluations(seeded_engine, data["prompt_id"])
    assert stored[0].id == data["evaluation_id"] and stored[0].created_by.startswith("cli")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--prompt", "No such prompt", "--label", "production", "--models", "fake-large"],
            "No prompt named",
        ),
        ([*HR[:2], "--label", "staging", "--models", "fake-large"], "no label 'staging'"),
        ([*HR[:2], "--version", "9", "--models", "fake-large"], "has no version 9"),
        ([*HR, "--models", "fake-huge"], "No enabled model 'fake-huge'"),
        ([*HR[:2], "--models", "fake-large"], "Choose at least one version"),
        ([*HR, "--models", "fake-large", "--min-pass-rate", "90"], "not between 0 and 1"),
        ([*HR, "--models", "OpenAI/gpt-4o-mini"], "Set OPENAI_API_KEY"),
    ],
    ids=["prompt", "label", "version", "model", "no version", "rate", "key"],
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
        code = entry.main(["eval", *args, "--database", database])
    except SystemExit as exit:  # argparse refuses bad values itself, with the same code
        code = exit.code  # type: ignore[assignment]
    assert code == EXIT_NOT_RUN
    assert message in capsys.readouterr().err


def test_a_subprocess_that_cannot_run_exits_2(database: str, tmp_path: Path) -> None:
    done = workbench_eval(*HR, "--models", "fake-huge", "--database", database)
    assert (done.returncode, done.stdout) == (EXIT_NOT_RUN, "")
    assert done.stderr.startswith(
        "error: No enabled model 'fake-huge'. Write ENDPOINT/MODEL; enabled models: "
    )
    home = tmp_path / "elsewhere"
    home.mkdir()
    done = workbench_eval(*HR, "--models", "fake-large", home=home)  # no --database, no default file
    assert done.returncode == EXIT_NOT_RUN and f"There is no database at {home}" in done.stderr
    assert not list(home.iterdir())


def test_a_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    code = entry.main(["eval", *HR, "--models", "m", "--database", sqlite_url(missing)])
    assert code == EXIT_NOT_RUN and not missing.exists()


def test_help_documents_the_exit_codes_and_how_models_are_named() -> None:
    done = workbench_eval("--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "ENDPOINT/MODEL" in text and "Local fake server/fake-large" in text
    assert (
        "0 every version x model passed" in text
        and "1 the run finished, but" in text
        and "2 the bench could not run" in text
    )


def test_no_answer_at_all_is_could_not_run_not_a_failing_prompt(
    database: str, seeded_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    local = endpoints.find_endpoint(seeded_engine, "Local fake server")
    endpoints.add_models(seeded_engine, actor="t", endpoint_id=local.id, models=["fake-500"])  # type: ignore[union-attr, arg-type]
    code = entry.main(["eval", *HR, "--models", "fake-500", "--database", database])
    assert code == EXIT_NOT_RUN
    assert "No call returned an answer" in capsys.readouterr().err


def test_the_data_policy_blocks_personal_data_unless_redacted(
    database: str, seeded_engine: Engine, fake_server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    hr = project_records.find_project(seeded_engine, "HR handbook assistant")
    with session_scope(seeded_engine) as session:
        project_records.update_project(session, hr.id, actor="ada", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
    pid = next(p.id for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    question = "I am dana@example.com: how many days of sick leave do I get?"
    with session_scope(seeded_engine) as session:
        cases.add_case(
            session,
            prompt_id=pid,
            actor="d",
            name="Dana",
            variables={"question": question},
            assertions=[{"type": "contains", "value": "10 days"}],
        )  # type: ignore[arg-type]
    args = ["eval", *HR, "--models", "fake-large", "--database", database]
    assert entry.main(args) == EXIT_NOT_RUN
    assert "Blocked: " in capsys.readouterr().err and not fake_server.requests
    assert entry.main([*args, "--redact"]) == EXIT_PASSED
    sent = json.dumps([r.body for r in fake_server.requests])
    assert "[EMAIL_1]" in sent and "dana@example.com" not in sent


def test_versions_run_oldest_first_whatever_order_they_are_named(seeded_engine: Engine) -> None:
    """Regressions read "passes in v1, fails in v2": naming the newer one first must not flip them."""
    prompt = selection.find_prompt(seeded_engine, "HR policy answer")
    named = [("label", "production"), ("version", "1"), ("version", "2")]
    chosen = selection.version_ids(seeded_engine, prompt, named)
    numbers = {v.id: v.number for v in versions.list_versions(seeded_engine, prompt.id)}
    assert [numbers[i] for i in chosen] == [1, 2]


def test_the_eval_command_imports_only_what_it_uses(database: str, tmp_path: Path) -> None:
    """pandas, Alembic, openpyxl, plotly and Streamlit stay out of the eval path; of the SDKs,
    only the one the chosen endpoint speaks is loaded (its client is built)."""
    script = (
        "import sys\n"
        "from workbench.cli import main\n"
        f"code = main(['eval', *{HR!r}, '--models', 'fake-large', '--min-pass-rate', '0.9',"
        f" '--database', {database!r}, '--json', {str(tmp_path / 'r.json')!r}])\n"
        "heavy = {'pandas', 'alembic', 'openpyxl', 'plotly', 'streamlit', 'anthropic'} & set(sys.modules)\n"
        "assert code == 0, code\n"
        "assert not heavy, heavy\n"
        "assert 'openai' in sys.modules\n"
    )
    env = {
        k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "WORKBENCH_DATABASE_URL"
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["gate"] == "passed"
