"""The data policy on the Compare page (AppTest, real fake server): a restricted project's send to
an endpoint off its list is blocked before any request leaves, and an internal project's
personal data is named and, in one click, redacted before the run sends it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.exports import csv_xlsx
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.store import audit
from workbench.store.engine import session_scope

PAGE = "pages/compare.py"
EMAIL = "dana.smith@example.com"


@pytest.fixture
def db(app_env: Path, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Local fake server and OpenAI (with a key) both answer from the test server."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-governance-0123456789")
    engine = sqlite_engine_for(app_env)
    for name in ("Local fake server", "OpenAI"):
        endpoint = endpoints.find_endpoint(engine, name)
        endpoints.update_endpoint(
            engine,
            endpoint.id,
            actor="test",
            base_url=fake_server.openai_base_url,
            max_retries=0,
            confirm_key=True,
        )  # type: ignore[union-attr, arg-type]
    openai = endpoints.find_endpoint(engine, "OpenAI")
    endpoints.add_models(engine, actor="test", endpoint_id=openai.id, models=["fake-large"])  # type: ignore[union-attr, arg-type]
    yield engine  # type: ignore[misc]
    engine.dispose()


def model_id(engine: Engine, endpoint: str, model: str) -> int:
    found = endpoints.find_endpoint(engine, endpoint)
    return next(m.id for m in endpoints.list_models(engine, found.id) if m.model == model)  # type: ignore[union-attr, arg-type, misc]


def open_compare(app, engine: Engine, project: str):  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    at.sidebar.text_input(key="rater_name").input("Dana").run()
    at.sidebar.selectbox(key="sidebar_project").set_value(
        project_records.find_project(engine, project).id
    ).run()  # type: ignore[union-attr]
    assert not at.exception
    return at


def test_a_restricted_project_blocks_the_send_and_nothing_leaves(
    app, db: Engine, fake_server: FakeLLMServer
) -> None:
    hr = project_records.find_project(db, "HR handbook assistant")
    with session_scope(db) as session:
        project_records.update_project(session, hr.id, actor="admin", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
    runs_before = len(outputs.list_runs(db, kind=None))
    at = open_compare(app, db, "HR handbook assistant")
    chosen = [model_id(db, "OpenAI", "fake-large"), model_id(db, "Local fake server", "fake-small")]
    at.multiselect(key="compare_models").set_value(chosen).run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith("Blocked: 'HR handbook assistant' is restricted: 'OpenAI' is not on its")
    assert not any(b.label == "Redact and continue" for b in at.button)
    assert fake_server.chat_requests() == []  # not even the allowed endpoint: the run waits
    assert len(outputs.list_runs(db, kind=None)) == runs_before
    (event,) = audit.search(db, actions=["policy.blocked"])
    assert event.after["endpoint"] == "OpenAI"
    with session_scope(db) as session:  # an admin relaxes the rules meanwhile
        project_records.update_project(session, hr.id, actor="admin", sensitivity="internal")  # type: ignore[union-attr, arg-type]
    at.run()
    assert not at.exception
    assert fake_server.chat_requests() == []  # the refused run was dropped: it never starts by itself
    assert len(outputs.list_runs(db, kind=None)) == runs_before
    assert not at.button(key="compare_run").disabled  # it runs when asked again


def test_an_internal_project_warns_and_sends_only_redacted_text(
    app, db: Engine, fake_server: FakeLLMServer
) -> None:
    at = open_compare(app, db, "Customer service replies")
    prompt = next(p for p in versions.list_prompts(db) if p.name == "Late order reply")
    version = versions.latest_version(db, prompt.id)
    at.text_input(key=f"compare_cell_{version.id}_0_status").input(  # type: ignore[union-attr]
        f"delayed; the customer {EMAIL} (+44 20 7946 0958) asked twice"
    )
    chosen = [model_id(db, "Local fake server", m) for m in ("fake-large", "fake-small")]
    at.multiselect(key="compare_models").set_value(chosen).run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    (warning,) = at.warning
    assert warning.value.startswith("Found 1 e-mail address, 1 phone number in what would be sent to Local")
    assert fake_server.chat_requests() == []  # nothing sent while the person decides
    at.button(key="compare_gate:Local fake server:redact").click().run()
    assert not at.exception and not at.warning
    sent = [json.dumps(r.body["messages"]) for r in fake_server.chat_requests()]  # type: ignore[index]
    assert len(sent) == 2
    assert all("[EMAIL_1]" in s and "[PHONE_1]" in s and EMAIL not in s and "7946" not in s for s in sent)
    stored = outputs.run_outputs(db, outputs.list_runs(db)[0].id)
    assert all("[EMAIL_1]" in json.dumps(o.messages) and EMAIL not in json.dumps(o.messages) for o in stored)
    assert [e.after["found"] for e in audit.search(db, actions=["pii.redacted"])] == [
        {"e-mail address": 1, "phone number": 1}
    ]
    # What was redacted is what is stored: the row's values too, and so every export.
    for output in stored:
        values = json.dumps(output.variables)
        assert (
            "[EMAIL_1]" in values and "[PHONE_1]" in values and EMAIL not in values and "7946" not in values
        )
    csv = csv_xlsx.export_table(db, Selection(), "csv", actor="t", scrub=Scrubber()).data.decode("utf-8-sig")
    assert EMAIL not in csv and "7946 0958" not in csv and "[EMAIL_1]" in csv
