"""The data policy on the Compare page in a real browser, against the live fake server: a
restricted project's send to an endpoint off its list is blocked and no request leaves; an
internal project's personal data is named, and after one click only redacted text is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import (
    RunningApp,
    assert_no_errors,
    choose_project,
    open_page,
    set_name,
    start_app,
    stop_app,
    wait_idle,
)
from tests.e2e.test_compare import choose_models
from tests.e2e.waiting import expect
from tests.e2e.widgets import pick
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.store.engine import session_scope

EMAIL = "dana.smith@example.com"


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, e2e_fake_server: FakeLLMServer, seeded_template: Path
) -> Iterator[RunningApp]:
    """A "Partner cloud" endpoint (not on HR's allowed list) that could really be called, and a
    customer-service prompt whose system message names a person's e-mail address."""
    process, running = start_app(tmp_path_factory.mktemp("governance-app"), e2e_fake_server, seeded_template)
    engine = running.engine()
    partner = endpoints.add_endpoint(
        engine,
        actor="t",
        name="Partner cloud",
        provider="openai_compatible",
        base_url=e2e_fake_server.openai_base_url,
    )
    endpoints.add_model(engine, actor="t", endpoint_id=partner.id, model="fake-large")  # type: ignore[arg-type]
    cs = project_records.find_project(engine, "Customer service replies")
    with session_scope(engine) as session:
        prompt = versions.create_prompt(session, project_id=cs.id, name="Escalation reply", actor="t")  # type: ignore[union-attr, arg-type]
        versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template=f"You are a support agent. Escalate angry customers to {EMAIL}.",
            user_template="Reply to this message: {{ message }}",
            author="t",
            sample_variables={"message": "Where is my parcel?"},
        )
    engine.dispose()
    try:
        yield running
    finally:
        stop_app(process)


def sent_since(app: RunningApp, start: int) -> list[str]:
    return [json.dumps(r.body["messages"]) for r in app.fake.chat_requests()[start:]]  # type: ignore[index]


def test_a_restricted_project_blocks_the_send_and_nothing_leaves(page: Page, app: RunningApp) -> None:
    engine = app.engine()
    hr = project_records.find_project(engine, "HR handbook assistant")
    with session_scope(engine) as session:
        project_records.update_project(session, hr.id, actor="admin", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
    runs = len(outputs.list_runs(engine, kind=None))
    engine.dispose()
    page.set_viewport_size({"width": 1400, "height": 1400})
    open_page(page, app, "compare")
    set_name(page, "Dana")
    choose_project(page, "HR handbook assistant")
    expect(page.get_by_text("How much paid time off").first).to_be_visible()
    wait_idle(page)
    choose_models(page, ["Partner cloud · fake-large", "Local fake server · fake-small"])
    start = len(app.fake.chat_requests())
    page.get_by_role("button", name="Run").click()
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text(
        "Blocked: 'HR handbook assistant' is restricted: 'Partner cloud' is not on its allowed endpoints",
    )
    wait_idle(page)
    expect(page.get_by_role("button", name="Redact and continue")).to_have_count(0)
    expect(page.get_by_role("button", name="Send unchanged")).to_have_count(0)
    page.screenshot(path="/tmp/issue5i-blocked-send.png", full_page=True)
    assert sent_since(app, start) == []
    engine = app.engine()
    assert len(outputs.list_runs(engine, kind=None)) == runs
    engine.dispose()


def test_an_internal_project_warns_and_sends_only_redacted_text(page: Page, app: RunningApp) -> None:
    page.set_viewport_size({"width": 1400, "height": 1600})
    open_page(page, app, "compare")
    set_name(page, "Dana")
    pick(page, "Prompt", "Escalation reply")
    wait_idle(page)
    choose_models(page, ["Local fake server · fake-large", "Local fake server · fake-small"])
    start = len(app.fake.chat_requests())
    page.get_by_role("button", name="Run").click()
    warning = page.get_by_test_id("stAlertContentWarning")
    expect(warning).to_contain_text("Found 1 e-mail address in what would be sent to Local fake server")
    wait_idle(page)
    page.screenshot(path="/tmp/issue5i-redaction-warning.png", full_page=True)
    assert sent_since(app, start) == []
    page.get_by_role("button", name="Redact and continue").click()
    expect(page.get_by_test_id("stForm")).to_have_count(2)  # both answers are in
    wait_idle(page)
    assert_no_errors(page)
    sent = sent_since(app, start)
    assert len(sent) == 2
    assert all("[EMAIL_1]" in s and EMAIL not in s for s in sent)
    page.screenshot(path="/tmp/issue5i-redacted-run.png", full_page=True)
