"""The Evaluate page in AppTest: the seeded HR bench runs as a version × model matrix against the
fake server; heatmap, per-case failures, regressions, reopening, comparing, rerun, cancel,
roles and the data policy."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.evals import cases, evaluations, past_runs
from workbench.evals.snapshot import EvaluationConfig
from workbench.governance import access
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.ui.bench import eval_run

PAGE = "pages/evaluate.py"
LARGE, LAZY = "Local fake server · fake-large", "Local fake server · fake-lazy"
LUNCH = {
    "name": "Lunch is not in the handbook",
    "variables": {"question": "Is lunch paid?"},
    "expected": "The handbook does not cover this; please ask HR.",
    "assertions": [{"type": "not_contains", "value": "days"}],
}


@pytest.fixture
def db(app_env: Path, fake_server: FakeLLMServer) -> Iterator[Engine]:
    """The app's database with its "Local fake server" pointing at the test's fake server."""
    engine = sqlite_engine_for(app_env)
    local = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.update_endpoint(
        engine, local.id, actor="t", base_url=fake_server.openai_base_url, max_retries=0
    )  # type: ignore[union-attr, arg-type]
    yield engine
    engine.dispose()


def model(db: Engine, name: str) -> int:
    return next(m.id for m in endpoints.list_models(db) if m.model == name)  # type: ignore[misc]


def hr_prompt(db: Engine) -> int:
    return next(p.id for p in versions.list_prompts(db) if p.name == "HR policy answer")  # type: ignore[misc]


def hr_evaluate(
    app: Callable[..., Any], db: Engine, models: tuple[str, ...] = ("fake-large", "fake-lazy")
) -> Any:
    """The Evaluate page on the HR project with ``models`` chosen (versions: v1 and v2 by default)."""
    at = app(page=PAGE)
    hr = project_records.find_project(db, "HR handbook assistant")
    at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    at.multiselect(key=f"evaluate_{hr_prompt(db)}_models").set_value([model(db, m) for m in models]).run()
    assert not at.exception
    return at


def run(at: Any) -> Any:
    at.button(key="evaluate_run").click().run()
    assert not at.exception
    return at


def run_and_cancel(at: Any, when: Callable[[Any], bool]) -> None:
    """Press Run, and Cancel (what the button's on_click does) once the live evaluation meets
    ``when``, while the page follows it."""

    def press_cancel() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            live = at.session_state.get(eval_run.LIVE)
            if live is not None and when(live):
                live.cancel()
                return
            time.sleep(0.05)

    presser = threading.Thread(target=press_cancel)
    presser.start()
    run(at)
    presser.join()


def heatmap(at: Any, index: int = 0) -> dict[str, Any]:
    return json.loads(at.get("plotly_chart")[index].proto.spec)["data"][0]


def texts(at: Any) -> str:
    kinds = ("markdown", "caption", "error", "warning", "info", "success")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def frames(at: Any) -> list[Any]:
    return [d.value for d in at.dataframe]


def test_the_hr_bench_runs_as_a_matrix_with_heatmap_grid_and_failures(app, db: Engine) -> None:
    at = hr_evaluate(app, db)
    versions_box = at.multiselect(key=f"evaluate_versions_{hr_prompt(db)}")
    assert [versions_box.format_func(v) for v in versions_box.value] == ["v2 [production]", "v1"]
    assert "10 cases × 2 versions × 2 models = 40 calls." in texts(at)
    run(at)
    assert not at.error
    assert "is done and saved" in at.success[0].value
    cell = heatmap(at)
    assert cell["y"] == ["v1", "v2"] and cell["x"] == [LARGE, LAZY]
    assert cell["z"] == [[0.0, 0.0], [1.0, 0.0]] and cell["text"] == [["0%", "0%"], ["100%", "0%"]]
    assert [m.value for m in at.metric][:3] == ["25%", "10 of 40", "0"]
    grid, failing = frames(at)[0], at.table[0].value
    assert list(grid.columns) == [f"v1 · {LARGE}", f"v1 · {LAZY}", f"v2 · {LARGE}", f"v2 · {LAZY}"]
    assert grid.loc["PTO days", f"v2 · {LARGE}"] == "✓ pass"
    assert grid.loc["PTO days", f"v2 · {LAZY}"] == "✗ fail: contains '25 days': Missing '25 days'."
    assert len(failing) == 30 and set(failing.model) == {LARGE, LAZY}
    assert "Missing '16 weeks'" in " ".join(failing["failing checks and reasons"])
    (evaluation,) = evaluations.list_evaluations(db, hr_prompt(db))
    assert evaluation.status == "done" and evaluation.summary["pass_rate"] == 0.25
    assert len(evaluations.evaluation_outputs(db, evaluation.id)) == 40  # type: ignore[arg-type]
    assert len(evaluations.stored_results(db, evaluation.id)) == 40 + 4  # type: ignore[arg-type]  # PTO days has a second check


def test_regressions_list_cases_that_pass_in_v1_and_fail_in_v2(app, db: Engine) -> None:
    with session_scope(db) as session:
        cases.add_case(session, prompt_id=hr_prompt(db), actor="dana", **LUNCH)  # type: ignore[arg-type]
    at = run(hr_evaluate(app, db, models=("fake-large",)))
    assert [m.value for m in at.metric][2] == "1"
    assert "1 regression(s)" in at.warning[0].value
    found = next(f for f in frames(at) if "passes in" in f.columns)
    assert found.to_dict("records") == [
        {
            "model": LARGE,
            "case": LUNCH["name"],
            "passes in": "v1",
            "fails in": "v2",
            "why it fails": "not_contains 'days': 'days' appears in the answer.",
        }
    ]
    assert "10 fix(es)" in texts(at)


def test_a_past_evaluation_reopens_as_it_was_and_two_compare(app, db: Engine) -> None:
    at = run(hr_evaluate(app, db, models=("fake-large",)))
    first = evaluations.list_evaluations(db, hr_prompt(db))[0].id
    pto = cases.list_cases(db, hr_prompt(db))[0]
    with session_scope(db) as session:
        cases.update_case(
            session, pto.id, actor="dana", assertions=[{"type": "contains", "value": "26 days"}]
        )  # type: ignore[arg-type]
    run(at)
    second = evaluations.list_evaluations(db, hr_prompt(db))[0].id
    assert second != first and at.selectbox(key=eval_run.SHOWN).value == second
    assert heatmap(at)["z"] == [[0.0], [0.9]]

    at.selectbox(key=eval_run.SHOWN).set_value(first).run()
    assert not at.exception and heatmap(at)["z"] == [[0.0], [1.0]]
    used = next(f for f in frames(at) if "checks" in f.columns)
    assert used.checks[0] == "contains '25 days'; not_contains '365'"  # the snapshot, not today's case

    at.selectbox(key="evaluate_compare").set_value(second).run()
    assert not at.exception
    delta = heatmap(at, 1)
    assert delta["z"] == [[0.0], [pytest.approx(-0.1)]] and delta["text"][1] == ["-10 pts"]
    changed = next(f for f in frames(at) if "why it fails in" in " ".join(f.columns))
    assert changed.to_dict("records") == [
        {
            "case": "PTO days",
            "version": "v2",
            "model": LARGE,
            f"#{first}": "✓ pass",
            f"#{second}": "✗ fail",
            f"why it fails in #{second}": "contains '26 days': Missing '26 days'.",
        }
    ]


def test_rerun_repeats_the_stored_snapshot_whatever_was_edited_since(
    app, db: Engine, fake_server: FakeLLMServer
) -> None:
    at = hr_evaluate(app, db, models=("fake-large",))
    at.number_input(key=f"evaluate_{hr_prompt(db)}_{model(db, 'fake-large')}_temperature").set_value(
        0.3
    ).run()
    run(at)
    first = evaluations.get_evaluation(db, evaluations.list_evaluations(db, hr_prompt(db))[0].id)  # type: ignore[arg-type]
    stored = cases.list_cases(db, hr_prompt(db))
    with session_scope(db) as session:
        cases.delete_case(session, stored[-1].id, actor="dana")  # type: ignore[arg-type]
        cases.update_case(
            session, stored[0].id, actor="dana", assertions=[{"type": "contains", "value": "nothing"}]
        )  # type: ignore[arg-type]
    fake_server.reset()
    at.button(key="evaluate_rerun").click().run()
    assert not at.exception and "is done and saved" in at.success[0].value
    again = evaluations.list_evaluations(db, hr_prompt(db))[0]
    assert again.id != first.id
    before, after = EvaluationConfig.from_json(first.config), EvaluationConfig.from_json(again.config)
    assert after.cases == before.cases and after.versions == before.versions and after.models == before.models
    assert after.models[0].params == {"temperature": 0.3, "max_tokens": 200}
    sent = [r.body for r in fake_server.requests if r.body and r.path.endswith("/chat/completions")]
    assert len(sent) == 20 and {b["temperature"] for b in sent} == {0.3}  # type: ignore[index]
    assert again.summary["pass_rate"] == first.summary["pass_rate"] == 0.5
    report = evaluations.report(db, again.id)  # type: ignore[arg-type]
    assert "Payday" in set(report.frame.case)  # the deleted case ran from the snapshot


def test_cancel_stops_the_evaluation_and_keeps_what_came_back(
    app, db: Engine, fake_server: FakeLLMServer
) -> None:
    fake_server.latency = 0.4
    at = hr_evaluate(app, db, models=("fake-large",))
    at.number_input(key="evaluate_concurrency").set_value(1).run()

    run_and_cancel(at, when=lambda live: live.snapshot().done >= 2)
    assert "was cancelled" in at.warning[0].value
    evaluation = evaluations.list_evaluations(db, hr_prompt(db))[0]
    assert evaluation.status == "cancelled"
    outputs = evaluations.evaluation_outputs(db, evaluation.id)  # type: ignore[arg-type]
    assert len(outputs) == 20 and 2 <= sum(o.status == "ok" for o in outputs) < 20
    assert any(o.status == "cancelled" for o in outputs)
    assert evaluation.summary["total"] == 20 and evaluation.summary["passed"] < 10


def test_an_evaluation_cancelled_before_any_answer_says_cancelled_not_failed(
    app, db: Engine, fake_server: FakeLLMServer
) -> None:
    local = endpoints.find_endpoint(db, "Local fake server")
    endpoints.add_models(db, actor="t", endpoint_id=local.id, models=["fake-timeout"])  # type: ignore[union-attr, arg-type]
    at = hr_evaluate(app, db, models=("fake-timeout",))  # holds every call for 30 s: no answer can come

    run_and_cancel(at, when=lambda live: True)
    assert not at.error, [e.value for e in at.error]
    shown = texts(at)
    assert "Cancelled before any answer came back" in shown and "Failed" not in shown
    evaluation = evaluations.list_evaluations(db, hr_prompt(db))[0]
    assert evaluation.status == "cancelled"
    line = past_runs.lines(db, hr_prompt(db))[0]
    assert "cancelled before any answer" in line.label and "failed" not in line.label


def test_a_viewer_sees_results_but_cannot_run(app, db: Engine) -> None:
    at = run(hr_evaluate(app, db, models=("fake-large",)))
    hr = project_records.find_project(db, "HR handbook assistant")
    with session_scope(db) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="ada@example.com")
        access.set_member(
            session, actor="ada@example.com", project_id=hr.id, email="vic@example.com", role="viewer"
        )  # type: ignore[union-attr, arg-type]
    at.user = {"is_logged_in": True, "email": "vic@example.com"}
    at.run()
    assert not at.exception
    assert any("run bench evaluations" in w.value for w in at.warning)
    assert at.button(key="evaluate_run").disabled and at.button(key="evaluate_rerun").disabled
    assert heatmap(at)["z"] == [[0.0], [1.0]]  # results stay readable


def test_personal_data_is_blocked_until_redacted_and_only_placeholders_are_sent(
    app, db: Engine, fake_server: FakeLLMServer
) -> None:
    hr = project_records.find_project(db, "HR handbook assistant")
    with session_scope(db) as session:
        project_records.update_project(session, hr.id, actor="ada", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
        cases.add_case(
            session,
            prompt_id=hr_prompt(db),
            actor="dana",
            name="Dana's leave",
            variables={"question": "I am dana@example.com: how many days of sick leave do I get?"},
            assertions=[{"type": "contains", "value": "10 days"}],
        )
    at = run(hr_evaluate(app, db, models=("fake-large",)))
    assert any(e.value.startswith("Blocked: ") for e in at.error)
    assert not evaluations.list_evaluations(db, hr_prompt(db)) and not fake_server.requests
    at.button(key="evaluate_gate:Local fake server:redact").click().run()
    assert not at.exception and any("is done and saved" in s.value for s in at.success)
    sent = " ".join(json.dumps(r.body) for r in fake_server.requests)
    assert "[EMAIL_1]" in sent and "dana@example.com" not in sent
    (evaluation,) = evaluations.list_evaluations(db, hr_prompt(db))
    assert "dana@example.com" not in json.dumps(evaluation.config)
    with session_scope(db) as session:
        actions = {e.action for e in audit.events(session, project_id=hr.id)}  # type: ignore[union-attr]
    assert {"policy.blocked", "pii.redacted", "evaluation.create", "evaluation.finish"} <= actions


def test_a_blocked_evaluation_never_starts_by_itself_when_the_rules_change(
    app, db: Engine, fake_server: FakeLLMServer, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-evaluate-blocked-0001")
    openai = endpoints.find_endpoint(db, "OpenAI")
    endpoints.update_endpoint(db, openai.id, actor="t", base_url=fake_server.openai_base_url, max_retries=0)  # type: ignore[union-attr, arg-type]
    at = run(
        hr_evaluate(app, db, models=("gpt-4o-mini",))
    )  # the HR project is confidential: OpenAI is not allowed
    assert any(e.value.startswith("Blocked: ") for e in at.error)
    hr = project_records.find_project(db, "HR handbook assistant")
    with session_scope(db) as session:  # an admin opens the project up while the page stays open
        project_records.update_project(session, hr.id, actor="ada", sensitivity="public")  # type: ignore[union-attr, arg-type]
    at.run()
    at.run()
    assert not at.exception
    assert not evaluations.list_evaluations(db, hr_prompt(db)) and not fake_server.chat_requests()
    assert any("nothing will be sent by itself" in c.value for c in at.caption)
    run(at)  # asked again, it runs under the new rules
    assert evaluations.list_evaluations(db, hr_prompt(db))


def test_the_choices_come_back_in_a_new_session_of_the_same_browser(app_env: Path, db: Engine) -> None:
    """A reload is a new session of the same browser: Evaluate's models, judge, calls at once and
    target pass rate come back as this person left them, and Compare's chosen models too."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import page_path
    from workbench.ui.shell.identity import BROWSER_ID
    from workbench.ui.shell.nav import APP_SCRIPT

    hr, prompt_id = project_records.find_project(db, "HR handbook assistant"), hr_prompt(db)
    first = cases.list_cases(db, prompt_id)[0]
    with session_scope(db) as session:
        cases.update_case(
            session, first.id, actor="t", assertions=[{"type": "llm_judge", "rubric": "Gives the PTO days."}]
        )  # type: ignore[arg-type]

    def browser_session(page: str) -> Any:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
        at.session_state[BROWSER_ID] = "browser-of-eve-0123456789"  # AppTest has no cookies
        at.run()
        at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
        at.switch_page(page_path(page)).run()
        assert not at.exception
        return at

    models, judge = [model(db, "fake-lazy"), model(db, "fake-large")], model(db, "fake-small")
    at = browser_session(PAGE)
    at.multiselect(key=f"evaluate_{prompt_id}_models").set_value(models).run()
    at.selectbox(key=f"evaluate_judge_{prompt_id}").set_value(judge).run()
    at.number_input(key="evaluate_concurrency").set_value(4).run()
    at.slider(key="evaluate_target").set_value(70).run()
    compare = browser_session("pages/compare.py")
    compare.multiselect(key="compare_models").set_value(
        [model(db, "fake-small"), model(db, "fake-large")]
    ).run()
    assert not at.exception and not compare.exception

    again = browser_session(PAGE)
    assert again.multiselect(key=f"evaluate_{prompt_id}_models").value == models
    assert again.selectbox(key=f"evaluate_judge_{prompt_id}").value == judge
    assert again.number_input(key="evaluate_concurrency").value == 4
    assert again.slider(key="evaluate_target").value == 70
    compare_again = browser_session("pages/compare.py")
    assert compare_again.multiselect(key="compare_models").value == [
        model(db, "fake-small"),
        model(db, "fake-large"),
    ]
