"""The Project page through AppTest: framing form, KPI editor and dashboard, data governance,
new projects, and the check before sending (warning + redaction, blocked sends)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlite_engine_for
from tests.kpi_data import add_bench_results
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.engine import session_scope

PAGE = "pages/project.py"


@pytest.fixture
def db(app_env: Path):
    engine = sqlite_engine_for(app_env)
    yield engine
    engine.dispose()


def project_named(engine, name: str):
    found = project_records.find_project(engine, name)
    assert found is not None
    return found


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def open_project(app, engine, name: str):
    at = app(page=PAGE)
    target = project_named(engine, name)
    at.sidebar.selectbox(key="sidebar_project").set_value(target.id).run()
    assert not at.exception
    return at, target


def test_the_use_case_form_saves_story_and_five_ps_with_an_audit_trail(app, db) -> None:
    at = app(page=PAGE)
    cs = project_named(db, "Customer service replies")
    assert any("As a customer service agent, I want to" in m.value for m in at.markdown)
    at.sidebar.text_input(key="rater_name").input("Dana").run()
    at.text_input(key=f"uc:{cs.id}:persona").input("support team lead")
    at.text_area(key=f"uc:{cs.id}:purpose").input("Stop repeat contacts about late orders.")
    button(at, "Save use case").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Use case saved."]
    saved = project_named(db, "Customer service replies")
    assert (saved.persona, saved.purpose) == ("support team lead", "Stop repeat contacts about late orders.")
    (event,) = audit.search(db, actions=["project.update"])
    assert event.actor == "Dana"
    assert event.before == {"persona": "customer service agent", "purpose": cs.purpose}
    assert event.after == {
        "persona": "support team lead",
        "purpose": "Stop repeat contacts about late orders.",
    }
    assert any("As a support team lead, I want to" in m.value for m in at.markdown)


def test_guidance_from_the_source_talk_sits_next_to_each_field(app) -> None:
    at = app(page=PAGE)
    labels = [t.label for t in at.text_area]
    assert "Purpose — What is the question you're trying to answer?" in labels
    assert any(label.startswith("People — Who needs to be involved") for label in labels)
    assert "The persona: the people, your audience." in [c.value for c in at.caption]


def test_the_kpi_dashboard_says_no_data_yet_plainly(app) -> None:
    at = app(page=PAGE)
    assert [(m.label, m.value) for m in at.metric] == [
        ("Average rating ≥ 4", "—"),
        ("Cost per answer ≤ $0.01", "—"),
    ]
    captions = " ".join(c.value for c in at.caption)
    assert "Nobody has rated this project's answers yet." in captions
    assert "No answers yet: run the prompt against a model first." in captions


def test_the_kpi_dashboard_shows_met_and_not_met_against_the_latest_evaluation(app, db) -> None:
    hr = project_named(db, "HR handbook assistant")
    add_bench_results(db, hr.id)  # type: ignore[arg-type]
    at, _ = open_project(app, db, "HR handbook assistant")
    shown = {m.label: (m.value, m.proto.delta) for m in at.metric}
    assert shown == {
        "Pass rate on the HR bench ≥ 95%": ("50%", "Not met · target ≥ 95%"),
        "Average rating ≥ 4": ("3.67 / 5", "Not met · target ≥ 4.00 / 5"),
        "Cost per answer ≤ $0.002": ("$0.0010", "Met · target ≤ $0.0020"),
    }
    assert any(
        "1 of 3 KPIs met" in m.value and "latest evaluation **latest**" in m.value for m in at.markdown
    )
    assert len(at.get("plotly_chart")) == 2  # attainment bars and the pass-rate history


def test_a_new_kpi_is_added_in_the_editor_and_appears_on_the_dashboard(app, db) -> None:
    at = app(page=PAGE)
    cs = project_named(db, "Customer service replies")
    at.session_state[f"kpis:{cs.id}"] = {
        "edited_rows": {},
        "added_rows": [{"metric": "error_rate", "op": "<=", "target": 0.05}],
        "deleted_rows": [0],
    }
    at.run()
    button(at, "Save success criteria").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["2 success criteria saved."]
    assert project_named(db, "Customer service replies").success_criteria == [
        {"metric": "cost_per_answer", "op": "<=", "target": 0.01, "label": "Cost per answer ≤ $0.01"},
        {"metric": "error_rate", "op": "<=", "target": 0.05, "label": "Error rate ≤ 5%"},
    ]
    assert [m.label for m in at.metric] == ["Cost per answer ≤ $0.01", "Error rate ≤ 5%"]


def test_a_bad_kpi_is_refused_naming_its_row(app, db) -> None:
    at = app(page=PAGE)
    cs = project_named(db, "Customer service replies")
    at.session_state[f"kpis:{cs.id}"] = {
        "edited_rows": {},
        "added_rows": [{"metric": "pass_rate", "op": ">=", "target": 95}],
        "deleted_rows": [],
    }
    at.run()
    button(at, "Save success criteria").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "row 3, field 'target': Bench pass rate is a share between 0 and 1: write 0.95 for 95%."
    ]
    assert len(project_named(db, "Customer service replies").success_criteria) == 2


def test_data_governance_sets_sensitivity_endpoints_and_names(app, db) -> None:
    at = app(page=PAGE)
    cs = project_named(db, "Customer service replies")
    at.radio(key=f"gov:{cs.id}:level").set_value("restricted")
    at.multiselect(key=f"gov:{cs.id}:allowed").set_value(["Local fake server"])
    at.text_area(key=f"gov:{cs.id}:names").input("Dana Smith\n\n  Lee Okafor ")
    button(at, "Save data governance").click().run()
    assert not at.exception
    saved = project_named(db, "Customer service replies")
    assert (saved.sensitivity, saved.allowed_providers, saved.pii_names) == (
        "restricted",
        ["Local fake server"],
        ["Dana Smith", "Lee Okafor"],
    )
    assert any("Data sensitivity: **restricted**" in c.value for c in at.caption)


def test_a_new_project_is_created_and_becomes_the_active_one(app, db) -> None:
    at = app(page=PAGE)
    at.text_input(key="new_project:name").input("Refund replies")
    button(at, "Create project").click().run()
    assert not at.exception
    created = project_named(db, "Refund replies")
    assert at.session_state["active_project_id"] == created.id
    assert any(s.value == "Refund replies" for s in at.subheader)
    assert "Project 'Refund replies' created. Frame its use case below." in [s.value for s in at.success]
    assert at.info[0].value.startswith("No success criteria yet")


def test_a_duplicate_project_name_is_refused(app) -> None:
    at = app(page=PAGE)
    at.text_input(key="new_project:name").input("Customer service replies")
    button(at, "Create project").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "field 'name': A project named 'Customer service replies' already exists."
    ]


PERSONAL = "Customer dana@example.com (+44 20 7946 0958) asks where order 12345 is."


def check(at, text: str, endpoint: str):
    at.radio(key="send_check:source").set_value("Paste text")
    at.text_area(key="send_check:text").input(text)
    at.selectbox(key="send_check:endpoint").set_value(endpoint)
    button(at, "Check before sending").click().run()
    assert not at.exception
    return at


def test_internal_project_warns_and_redacts_in_one_click(app, db) -> None:
    at = check(app(page=PAGE), PERSONAL, "OpenAI")
    assert [w.value for w in at.warning] == [
        "Found 1 e-mail address, 1 phone number in what would be sent to OpenAI."
    ]
    assert [b.label for b in at.button if b.key and b.key.startswith("send_check:")][-2:] == [
        "Redact and continue",
        "Send unchanged",
    ]
    button(at, "Redact and continue").click().run()
    assert not at.exception
    assert not at.warning
    assert [c.value for c in at.code] == ["Customer [EMAIL_1] ([PHONE_1]) asks where order 12345 is."]
    assert "Redacted before sending to OpenAI: 1 e-mail address, 1 phone number." in [
        s.value for s in at.success
    ]
    (event,) = audit.search(db, actions=["pii.redacted"])
    assert event.after["found"] == {"e-mail address": 1, "phone number": 1}  # type: ignore[index]


def test_restricted_project_blocks_an_endpoint_off_its_list(app, db) -> None:
    hr = project_named(db, "HR handbook assistant")
    with session_scope(db) as session:
        project_records.update_project(session, hr.id, actor="admin", sensitivity="restricted")  # type: ignore[arg-type]
    at, _ = open_project(app, db, "HR handbook assistant")
    at = check(at, "What is the leave policy?", "OpenAI")
    assert [e.value for e in at.error] == [
        "Blocked: 'HR handbook assistant' is restricted: 'OpenAI' is not on its allowed endpoints "
        "(Echo, Local fake server). Pick one of those, or ask an admin to add it."
    ]
    assert not [b for b in at.button if b.label in {"Redact and continue", "Send unchanged"}]
    assert not at.code
    assert [e.action for e in audit.search(db, actions=["policy.blocked"])] == ["policy.blocked"]


def test_restricted_project_requires_redaction_on_an_allowed_endpoint(app, db) -> None:
    hr = project_named(db, "HR handbook assistant")
    with session_scope(db) as session:
        project_records.update_project(
            session, hr.id, actor="admin", sensitivity="restricted", pii_names=["Dana Smith"]
        )  # type: ignore[arg-type]
    at, _ = open_project(app, db, "HR handbook assistant")
    at = check(at, "Dana Smith (dana@example.com) asks about leave.", "Local fake server")
    assert at.error[0].value.startswith(
        "Blocked: 'HR handbook assistant' is restricted: personal data must be redacted"
    )
    assert not [b for b in at.button if b.label == "Send unchanged"]
    button(at, "Redact and continue").click().run()
    assert not at.error
    assert [c.value for c in at.code] == ["[NAME_1] ([EMAIL_1]) asks about leave."]


def test_echo_is_never_checked_and_a_rendered_version_can_be_checked(app) -> None:
    at = app(page=PAGE)
    at.radio(key="send_check:source").set_value("A prompt version").run()
    at.selectbox(key="send_check:endpoint").set_value("Echo")
    button(at, "Check before sending").click().run()
    assert not at.exception
    assert not at.warning and not at.error
    assert "Ready to send to Echo:" in [s.value for s in at.success]
    assert len(at.code) >= 1 and "{{" not in at.code[-1].value
