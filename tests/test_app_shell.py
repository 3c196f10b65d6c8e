"""The Streamlit shell: router, sidebar, and the home page, through AppTest."""

from __future__ import annotations

from tests.conftest import page_path
from workbench.ui.shell.nav import PAGES


def test_home_renders_the_active_project_without_errors(app) -> None:
    at = app()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Prompt Workbench"
    assert at.caption[0].value == PAGES[0].explanation
    assert any("Customer service replies" in s.value for s in at.subheader)
    assert at.sidebar.selectbox[0].label == "Project"


def test_sidebar_shows_providers_and_asks_the_name(app, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-value-123456")
    at = app()
    providers = " ".join(m.value for m in at.sidebar.markdown)
    assert "check_circle:] Anthropic" in providers
    assert "OpenAI — set `OPENAI_API_KEY`" in providers
    assert "sk-ant-test-value-123456" not in providers
    at.sidebar.text_input(key="rater_name").input("Dana").run()
    assert at.session_state["rater_name"] == "Dana"
    assert not at.exception


def test_switching_project_updates_the_home_page(app) -> None:
    at = app()
    box = at.sidebar.selectbox[0]
    hr = next(o for o in box.options if "HR" in str(o)) if isinstance(box.options[0], str) else None
    at.sidebar.selectbox[0].select_index(1).run()
    assert not at.exception
    assert any("HR handbook assistant" in s.value for s in at.subheader), hr


def test_every_page_in_the_navigation_opens(app) -> None:
    at = app()
    for page in PAGES:
        at.switch_page(page_path(page.path)).run()
        assert not at.exception, page.path
        assert not at.error, page.path
        assert at.caption[0].value == page.explanation
