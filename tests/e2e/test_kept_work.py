"""Nothing typed is lost on a reload, in Chromium: a Draft edit comes back with its "unsaved
changes" note and can be discarded, and the rater's name typed in the sidebar is remembered by
the browser (a cookie) across reloads."""

from __future__ import annotations

from urllib.parse import unquote

from playwright.sync_api import Locator, Page

from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, set_name, wait_idle
from tests.e2e.waiting import expect, wait_until
from workbench.store import personal_drafts
from workbench.ui.shell.identity import BROWSER_COOKIE, NAME_COOKIE

ADDED = " Typed just before a reload, never saved: «Zwölf»."


def unsaved_note(page: Page) -> Locator:
    """The status line's "unsaved changes (kept for you until you save)"."""
    return (
        page.get_by_test_id("stCaptionContainer")
        .filter(has_text="unsaved changes")
        .filter(has_text="kept for you until you save")
    )


def user_message(page: Page) -> Locator:
    return page.get_by_test_id("stTextArea").filter(has_text="User message").locator("textarea")


def test_a_reload_in_the_middle_of_a_draft_restores_the_text_until_discarded(
    page: Page, running_app: RunningApp
) -> None:
    open_page(page, running_app, "draft")
    box = user_message(page)
    expect(box).to_be_visible()
    saved = box.input_value()
    assert saved
    typed = saved + ADDED  # the same variables: the preview stays as it was
    expect(unsaved_note(page)).to_have_count(0)

    box.fill(typed)
    page.locator("h1").first.click()  # click outside: the box commits its text
    expect(unsaved_note(page)).to_be_visible()
    wait_idle(page)

    page.reload()
    open_page(page, running_app, "draft")
    expect(user_message(page)).to_have_value(typed)
    expect(unsaved_note(page)).to_be_visible()
    expect(page.get_by_text("Your unsaved changes are back")).to_be_visible()
    assert_no_errors(page)

    page.get_by_role("button", name="Discard changes").click()
    expect(page.get_by_text("Changes discarded")).to_be_visible()
    expect(user_message(page)).to_have_value(saved)
    expect(unsaved_note(page)).to_have_count(0)
    wait_idle(page)

    page.reload()  # discarded for good: the typed text does not come back
    open_page(page, running_app, "draft")
    expect(user_message(page)).to_have_value(saved)
    expect(unsaved_note(page)).to_have_count(0)
    assert_no_errors(page)


def test_text_still_being_typed_survives_a_reload(page: Page, running_app: RunningApp) -> None:
    """No click outside the box: the cursor is still in it when the tab reloads. The text reaches
    the server once typing pauses, so the private draft holds it."""
    open_page(page, running_app, "draft")
    box = user_message(page)
    expect(box).to_be_visible()
    saved = box.input_value()
    assert saved
    box.click()
    box.press("Control+End")
    half = len(ADDED) // 2
    page.keyboard.type(ADDED[:half])
    expect(unsaved_note(page)).to_be_visible()  # kept after the pause, with the cursor in the box
    page.keyboard.type(ADDED[half:])  # typing on while that rerun may still be drawing: nothing is lost
    expect(box).to_have_value(saved + ADDED)
    assert box.evaluate("element => element === document.activeElement")
    owner = next(c["value"] for c in page.context.cookies() if c["name"] == BROWSER_COOKIE)

    def kept_on_the_server() -> None:  # once typing has paused, with the cursor still in the box
        engine = running_app.engine()
        try:
            drafts = personal_drafts.read_prefix(engine, f"browser:{unquote(owner)}", "draft/prompt/")
        finally:
            engine.dispose()
        assert any(d.get("user") == saved + ADDED for d in drafts.values()), drafts

    wait_until(page, kept_on_the_server)
    wait_idle(page)

    page.reload()
    open_page(page, running_app, "draft")
    expect(user_message(page)).to_have_value(saved + ADDED)
    expect(unsaved_note(page)).to_be_visible()
    page.get_by_role("button", name="Discard changes").click()  # leave the draft as the other tests expect it
    expect(user_message(page)).to_have_value(saved)
    wait_idle(page)


def test_the_raters_name_survives_a_reload(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app, "compare")
    name_box = page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)
    expect(name_box).to_have_value("")
    set_name(page, "Rita Zwölf-Rater")

    def cookie_written() -> None:  # the page writes it once the rerun that read the name is drawn
        names = {c["name"] for c in page.context.cookies()}
        assert NAME_COOKIE in names, names

    wait_until(page, cookie_written)

    page.reload()
    open_page(page, running_app, "compare")
    expect(page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)).to_have_value(
        "Rita Zwölf-Rater"
    )
    open_page(page, running_app, "draft")  # a fresh load of another page: still there
    expect(page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)).to_have_value(
        "Rita Zwölf-Rater"
    )
    assert_no_errors(page)
