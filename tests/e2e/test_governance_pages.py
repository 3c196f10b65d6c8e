"""Project, check-before-sending and Audit pages in a real browser against a running app."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from tests.e2e.widgets import pick
from tests.kpi_data import add_bench_results
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope


def switch_project(page: Page, name: str) -> None:
    choose_project(page, name)
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    wait_idle(page)


def test_the_project_form_saves_the_user_story(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app, "project")
    set_name(page, "Browser Dana")
    box = page.get_by_test_id("stTextInput").filter(has_text="As a …").locator("input")
    box.fill("support team lead")
    page.get_by_label("Purpose — What is the question you're trying to answer?").fill(
        "Fewer repeat contacts."
    )
    page.get_by_role("button", name="Save use case").click()
    expect(page.get_by_text("Use case saved.")).to_be_visible()
    expect(page.get_by_text("As a support team lead, I want to")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    engine = running_app.engine()
    saved = project_records.find_project(engine, "Customer service replies")
    engine.dispose()
    assert saved is not None
    assert (saved.persona, saved.purpose) == ("support team lead", "Fewer repeat contacts.")
    page.screenshot(path="/tmp/issue8-project-form.png", full_page=True)


def test_the_kpi_dashboard_shows_met_and_not_met(page: Page, running_app: RunningApp) -> None:
    engine = running_app.engine()
    hr = project_records.find_project(engine, "HR handbook assistant")
    add_bench_results(engine, hr.id)  # type: ignore[union-attr, arg-type]
    engine.dispose()
    open_page(page, running_app, "project")
    switch_project(page, "HR handbook assistant")
    expect(page.get_by_text("1 of 3 KPIs met")).to_be_visible()
    metrics = page.get_by_test_id("stMetric")
    expect(metrics).to_have_count(3)
    expect(metrics.filter(has_text="Pass rate on the HR bench")).to_contain_text("50%")
    expect(metrics.filter(has_text="Pass rate on the HR bench")).to_contain_text("Not met · target ≥ 95%")
    expect(metrics.filter(has_text="Cost per answer")).to_contain_text("Met · target ≤ $0.0020")
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path="/tmp/issue8-kpi-dashboard.png", full_page=True)


def check_before_sending(page: Page, text: str, endpoint: str) -> None:
    page.get_by_role("tab", name="Check before sending").click()
    pick(page, "Send to", endpoint)
    wait_idle(page)  # first: a text commit's rerun would close the dropdown
    page.get_by_label("Text to send").fill(text)
    page.get_by_role("button", name="Check before sending").click()  # sends the text with the click


def test_an_internal_project_warns_and_redacts(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app, "project")
    switch_project(page, "Customer service replies")
    check_before_sending(
        page, "Customer dana@example.com (+44 20 7946 0958) asks about order 12345.", "OpenAI"
    )
    warning = page.get_by_test_id("stAlertContentWarning")
    expect(warning).to_contain_text("Found 1 e-mail address, 1 phone number")
    wait_idle(page)
    page.screenshot(path="/tmp/issue8-warning.png", full_page=True)
    page.get_by_role("button", name="Redact and continue").click()
    expect(page.get_by_text("Customer [EMAIL_1] ([PHONE_1]) asks about order 12345.")).to_be_visible()
    expect(warning).to_have_count(0)
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path="/tmp/issue8-redacted.png", full_page=True)


def test_a_restricted_project_blocks_the_send(page: Page, running_app: RunningApp) -> None:
    engine = running_app.engine()
    hr = project_records.find_project(engine, "HR handbook assistant")
    with session_scope(engine) as session:
        project_records.update_project(session, hr.id, actor="admin", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
    engine.dispose()
    open_page(page, running_app, "project")
    switch_project(page, "HR handbook assistant")
    check_before_sending(page, "How many days of leave do I get?", "OpenAI")
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text(
        "Blocked: 'HR handbook assistant' is restricted: 'OpenAI' is not on its allowed"
    )
    expect(page.get_by_role("button", name="Redact and continue")).to_have_count(0)
    expect(page.get_by_role("button", name="Send unchanged")).to_have_count(0)
    wait_idle(page)
    page.screenshot(path="/tmp/issue8-blocked.png", full_page=True)


def test_the_audit_trail_of_a_label_move_and_its_csv(page: Page, running_app: RunningApp) -> None:
    engine = running_app.engine()
    cs = project_records.find_project(engine, "Customer service replies")
    prompt = versions.list_prompts(engine, cs.id)[0]  # type: ignore[union-attr, arg-type]
    v1 = min(versions.list_versions(engine, prompt.id), key=lambda v: v.number)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        versions.set_label(session, version_id=v1.id, name="production", actor="Lee", note="back to v1")  # type: ignore[arg-type]
    engine.dispose()
    open_page(page, running_app, "audit")  # a new session starts on Customer service replies
    page.get_by_label("Contains").fill("back to v1")
    page.get_by_label("Contains").press("Enter")
    expect(page.get_by_text("1 event, newest first.")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_test_id("stJson")).to_have_count(2)
    expect(page.get_by_test_id("stJson").last).to_contain_text('"version_number":1')
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    lines = content.splitlines()
    assert lines[0] == "id,at,actor,action,project,entity,before,after,detail"
    assert len(lines) == 2 and ",Lee,label.move,Customer service replies," in lines[1]
    assert lines[1].endswith(",back to v1")
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path="/tmp/issue8-audit.png", full_page=True)
