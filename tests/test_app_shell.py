"""The Streamlit shell: router, sidebar, and the home page, through AppTest."""

from __future__ import annotations

import socket
import time

from sqlalchemy import Engine

from tests.conftest import page_path
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.ui.shell.nav import PAGES


def closed_port() -> int:
    """A loopback port nothing listens on (bound for a moment, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settled_ticks(at) -> str:  # type: ignore[no-untyped-def]
    """The sidebar's ticks once every endpoint has answered the workbench's question (the page
    polls while one is being asked; so does this, with a generous ceiling)."""
    deadline = time.monotonic() + 90
    while True:
        ticks = " ".join(m.value for m in at.sidebar.markdown)
        if "checking…" not in ticks or time.monotonic() > deadline:
            return ticks
        time.sleep(0.1)
        at.run()


def test_home_renders_the_active_project_without_errors(app) -> None:
    at = app()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Prompt Workbench"
    assert at.caption[0].value == PAGES[0].explanation
    assert any("Customer service replies" in s.value for s in at.subheader)
    assert at.sidebar.selectbox[0].label == "Project"
    table = next(m.value for m in at.markdown if m.value.startswith("| Prompt |"))
    assert "| Latest version | Labels | Bench cases | Last change \\(UTC\\) | What it does |" in table
    assert len(table.splitlines()) >= 3  # the header, its rule and at least one of the seeded prompts


def test_home_lists_the_prompts_changed_last_and_leads_to_the_rest(app, app_db: Engine) -> None:
    from workbench.projects import project_records
    from workbench.prompts import versions
    from workbench.store.engine import session_scope

    with session_scope(app_db) as session:
        project_id = project_records.create_project(session, actor="t", name="Many prompts").id
    for n in range(15):  # one transaction each: each version gets its own time
        with session_scope(app_db) as session:
            prompt = versions.create_prompt(session, project_id=project_id, name=f"Prompt {n:02d}", actor="t")
            versions.save_version(
                session, prompt_id=prompt.id, system_template=f"System {n}", user_template="Hi", author="t"
            )
    at = app()
    at.sidebar.selectbox[0].set_value(project_id).run()
    table = next(m.value for m in at.markdown if m.value.startswith("| Prompt |"))
    listed = [line.split(" | ")[0].removeprefix("| ") for line in table.splitlines()[2:]]
    assert listed == [f"Prompt {n:02d}" for n in range(14, 2, -1)]  # the 12 saved last, latest first
    assert at.get("page_link")[0].proto.label.startswith("The 12 changed last are shown: all 15")
    assert not at.exception


def test_sidebar_ticks_only_endpoints_that_answer_and_asks_the_name(
    app, app_db: Engine, fake_server: FakeLLMServer, monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-value-123456")
    anthropic = endpoints.find_endpoint(app_db, "Anthropic")
    local = endpoints.find_endpoint(app_db, "Local fake server")
    endpoints.update_endpoint(
        app_db, anthropic.id, actor="t", base_url=fake_server.anthropic_base_url, confirm_key=True
    )  # type: ignore[union-attr,arg-type]
    endpoints.update_endpoint(app_db, local.id, actor="t", base_url=f"http://127.0.0.1:{closed_port()}/v1")  # type: ignore[union-attr,arg-type]
    at = app()
    providers = settled_ticks(at)
    assert "check_circle:] Echo" in providers
    assert "check_circle:] Anthropic" in providers  # its key is set and its server answered
    assert "OpenAI — no key" in providers
    assert "Local fake server — not reachable" in providers  # nothing listens there: no tick
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
