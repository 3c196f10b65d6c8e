"""Nothing typed on Draft is lost: a reload (a new session of the same browser) or a visit to
another page brings the unsaved draft back, it is shown as unsaved, and it can be discarded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import page_path
from workbench.store import personal_drafts
from workbench.ui.shell.identity import BROWSER_ID

PAGE = "pages/draft.py"
BROWSER = "browser-of-ann-0123456789"


def open_draft(browser: str = BROWSER):  # type: ignore[no-untyped-def]
    """A new session of the browser ``browser`` (AppTest has no cookies: the id is given)."""
    from streamlit.testing.v1 import AppTest

    from workbench.ui.shell.nav import APP_SCRIPT

    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
    at.session_state[BROWSER_ID] = browser
    at.session_state["rater_name"] = "Ann"
    at.run()
    at.switch_page(page_path(PAGE)).run()
    assert not at.exception
    return at


def captions(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(c.value) for c in at.caption)


def test_a_reload_brings_the_unsaved_draft_back(app_env: Path, app_db: Engine) -> None:
    at = open_draft()
    at.text_area(key="w_draft_user").input("Reply kindly to {{ customer }} about order {{ order_id }}.").run()
    at.text_input(key="w_var_customer").input("Dana").run()
    assert "unsaved changes" in captions(at)

    again = open_draft()
    assert (
        again.text_area(key="w_draft_user").value
        == "Reply kindly to {{ customer }} about order {{ order_id }}."
    )
    assert again.text_input(key="w_var_customer").value == "Dana"
    assert "unsaved changes" in captions(again)
    assert any("unsaved changes are back" in str(s.value) for s in again.success)

    other = open_draft(browser="browser-of-sam-0123456789")
    assert other.text_area(key="w_draft_user").value.startswith("Respond to a customer")  # private to Ann


def test_discarding_returns_to_the_saved_version_and_forgets_the_draft(app_env: Path, app_db: Engine) -> None:
    at = open_draft()
    at.text_area(key="w_draft_user").input("Something else entirely.").run()
    at.button(key="draft_discard").click().run()
    assert not at.exception
    assert at.text_area(key="w_draft_user").value.startswith("Respond to a customer")
    assert "unsaved changes" not in captions(at)
    assert not personal_drafts.read_prefix(app_db, f"browser:{BROWSER}", "draft/prompt/")
    again = open_draft()
    assert again.text_area(key="w_draft_user").value.startswith("Respond to a customer")


def test_saving_turns_the_draft_into_a_version(app_env: Path, app_db: Engine) -> None:
    at = open_draft()
    at.text_area(key="w_draft_user").input("Reply to order {{ order_id }} in two sentences.").run()
    at.text_input(key="w_draft_note").input("Shorter").run()
    at.button(key="draft_save").click().run()
    assert not at.exception
    assert "unsaved changes" not in captions(at)
    assert not personal_drafts.read_prefix(app_db, f"browser:{BROWSER}", "draft/prompt/")


def test_a_new_prompt_being_written_comes_back_after_a_reload(app_env: Path) -> None:
    at = open_draft()
    at.selectbox(key="w_draft_prompt").set_value(-1).run()
    at.text_input(key="w_draft_new_name").input("Refund reply").run()
    at.text_area(key="w_draft_user").input("Explain the refund for {{ order_id }}.").run()
    again = open_draft()
    assert again.text_input(key="w_draft_new_name").value == "Refund reply"
    assert again.text_area(key="w_draft_user").value == "Explain the refund for {{ order_id }}."


def test_a_visit_to_another_page_keeps_the_draft(app_env: Path) -> None:
    at = open_draft()
    at.text_area(key="w_draft_user").input("Kept across pages.").run()
    at.switch_page(page_path("pages/versions.py")).run()
    at.switch_page(page_path(PAGE)).run()
    assert not at.exception
    assert at.text_area(key="w_draft_user").value == "Kept across pages."
