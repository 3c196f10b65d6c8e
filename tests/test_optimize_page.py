"""The "Improve on the bench" page in AppTest: the budget first, a run against the fake server
from the demo's weak HR prompt, its report (before/after, cases fixed, diff, candidates), the
way to promote the saved candidate through the Versions page's label move, reopening, the
ceiling, the data policy and roles."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import page_path, sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from tests.optimizer_support import hr_prompt, hr_version, wire
from workbench.evals import cases
from workbench.governance import access
from workbench.improve import optimization_runs
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.ui.bench import optimize_run

PAGE = "pages/optimize.py"


@pytest.fixture
def db(app_env: Path, fake_server: FakeLLMServer) -> Iterator[Engine]:
    engine = sqlite_engine_for(app_env)
    wire(engine, fake_server)
    yield engine
    engine.dispose()


def hr_page(app: Callable[..., Any], db: Engine, version: int = 1) -> Any:
    """The page on the HR project's prompt, ``version`` chosen, fake-large answering and proposing."""
    at = app(page=PAGE)
    at.session_state["rater_name"] = "Dana"
    hr = project_records.find_project(db, "HR handbook assistant")
    at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    prompt = hr_prompt(db)
    at.selectbox(key=f"optimize_version_{prompt.id}").set_value(hr_version(db, version).id).run()
    large = next(m.id for m in endpoints.list_models(db) if m.model == "fake-large")
    at.selectbox(key="optimize_model").set_value(large).run()
    at.selectbox(key="optimize_proposer").set_value(large).run()
    assert not at.exception
    return at


def test_the_budget_comes_first_and_a_run_finds_and_saves_a_candidate(
    app: Callable[..., Any], db: Engine
) -> None:
    at = hr_page(app, db)
    budget = " ".join(m.value for m in at.markdown)
    assert "**Budget**: up to **100 calls**" in budget
    ceiling = next(n for n in at.number_input if n.label == "Most calls this run may make")
    assert ceiling.value == 100 and ceiling.min == 21
    ceiling.set_value(60).run()
    assert any("At 60 calls: about $" in c.value for c in at.caption)

    at.button(key="optimize_start").click().run()
    assert not at.exception and not at.error

    prompt = hr_prompt(db)
    (run,) = optimization_runs.list_optimizations(db, prompt.id)  # type: ignore[arg-type]
    assert run.outcome == "improved" and run.max_calls == 60 and run.calls_used <= 60
    assert any(s.value.startswith(f"Run #{run.id} is done and saved") for s in at.success)
    assert any("Found a better version" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert (
        metrics["Training pass rate (7 cases)"] == "100%"
        and metrics["Held-out pass rate (3 cases)"] == "100%"
    )
    assert metrics["Calls"] == f"{run.calls_used} of 60"
    tables = [t.value for t in at.dataframe]
    assert any("Change" in t.columns and (t["Change"] == "fixed").sum() == 10 for t in tables)
    assert any("Reason" in t.columns and len(t) == 5 for t in tables)  # the start and 4 candidates
    saved = versions.get_version(db, run.saved_version_id)  # type: ignore[arg-type]

    # Promote: the Versions page opens with production set to point at the saved version.
    at.button(key=f"optimize_promote_{run.id}").click().run()
    assert not at.exception
    assert at.selectbox(key="versions_move_label").value == "production"
    assert at.selectbox(key="versions_move_target").value == saved.id
    # AppTest reruns its own page unless told, and drops the sidebar's name on a switch_page run.
    at.session_state["rater_name"] = "Dana"
    at.switch_page(page_path("pages/versions.py")).run()
    assert at.selectbox(key="versions_move_target").value == saved.id
    at.button(key="versions_move").click().run()
    assert not at.exception
    labels = {lb.name: lb.version_id for lb in versions.labels_for_prompt(db, prompt.id)}  # type: ignore[arg-type]
    assert labels["production"] == saved.id == labels["candidate"]


def test_a_past_run_reopens_and_a_perfect_version_has_nothing_to_improve(
    app: Callable[..., Any], db: Engine
) -> None:
    at = hr_page(app, db, version=2)  # production: passes every case already
    at.button(key="optimize_start").click().run()
    assert not at.exception
    (run,) = optimization_runs.list_optimizations(db, hr_prompt(db).id)  # type: ignore[arg-type]
    assert run.outcome == "no_improvement" and run.calls_used == 10
    assert any("Nothing to improve on the bench" in i.value for i in at.info)

    again = app(page=PAGE)  # a new session: the run is listed and reopens
    hr = project_records.find_project(db, "HR handbook assistant")
    again.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    assert not again.exception
    assert again.selectbox(key=optimize_run.SHOWN).value == run.id
    assert any("Nothing to improve on the bench" in i.value for i in again.info)


def test_personal_data_is_redacted_at_the_gate_before_anything_is_sent(
    app: Callable[..., Any], db: Engine, fake_server: FakeLLMServer
) -> None:
    hr = project_records.find_project(db, "HR handbook assistant")
    prompt = hr_prompt(db)
    with session_scope(db) as session:
        project_records.update_project(session, hr.id, actor="ada", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
        cases.add_case(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            actor="t",
            name="Named employee",
            variables={"question": "How many days of PTO does dana@example.com get?"},
            expected="25 days.",
            assertions=[{"type": "contains", "value": "25 days"}],
        )
    at = hr_page(app, db)
    at.button(key="optimize_start").click().run()
    assert not at.exception
    assert any(e.value.startswith("Blocked:") for e in at.error)
    assert fake_server.chat_requests() == [] and optimization_runs.list_optimizations(db, prompt.id) == []  # type: ignore[arg-type]

    at.button(key="optimize_gate:Local fake server:redact").click().run()
    assert not at.exception
    (run,) = optimization_runs.list_optimizations(db, prompt.id)  # type: ignore[arg-type]
    sent = json.dumps([r.body for r in fake_server.chat_requests()])
    assert run.status == "done" and "dana@example.com" not in sent and "[EMAIL_1]" in sent


def test_a_viewer_cannot_start(app: Callable[..., Any], db: Engine) -> None:
    hr = project_records.find_project(db, "HR handbook assistant")
    with session_scope(db) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="ada@example.com")
        access.set_member(
            session, actor="ada@example.com", project_id=hr.id, email="vic@example.com", role="viewer"
        )  # type: ignore[union-attr, arg-type]
    at = app(page=PAGE)
    at.user = {"is_logged_in": True, "email": "vic@example.com"}  # type: ignore[assignment]
    at.run()
    at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    assert not at.exception
    assert at.button(key="optimize_start").disabled
    assert any("improve a prompt on its bench" in w.value for w in at.warning)
