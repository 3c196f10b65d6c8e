"""Every page in the navigation opens in a real browser with no exception and no error box."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, wait_idle
from tests.e2e.waiting import expect
from workbench.ui.shell.nav import PAGES


def test_home_page_shows_the_seeded_project(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app)
    expect(page.get_by_role("heading", name="Customer service replies")).to_be_visible()
    expect(page.get_by_text(PAGES[0].explanation)).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Local fake server")).to_be_visible()
    expect(sidebar.get_by_text("OpenAI — no key")).to_be_visible()  # asked, and it has no key
    prompts = page.get_by_role("table")
    expect(prompts.get_by_role("columnheader", name="Last change (UTC)")).to_be_visible()
    expect(prompts.get_by_role("cell", name="Late order reply")).to_be_visible()
    assert_no_errors(page)


def test_every_page_in_the_navigation_opens(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app)
    for spec in PAGES:
        url_path = spec.path.removeprefix("pages/").removesuffix(".py")
        open_page(page, running_app, "" if spec is PAGES[0] else url_path)
        expect(page.get_by_text(spec.explanation)).to_be_visible()
        wait_idle(page)
        assert_no_errors(page)


def test_switching_project_in_the_sidebar(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app)
    choose_project(page, "HR handbook assistant")
    expect(page.get_by_role("heading", name="HR handbook assistant")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
