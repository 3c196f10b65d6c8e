"""A deep link on a freshly started server runs through the router.

Streamlit 1.67 runs a deep-linked page without the main script when a ``pages/`` folder sits
beside that script (its legacy multipage path). The pages live in ``pages/`` at the top level
and the router in ``workbench/ui/app.py``, so the very first request of a new server, straight
to ``/compare``, must still get the router's page config, sidebar and sign-in gate.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, assert_no_errors, start_app, stop_app, wait_idle
from tests.e2e.waiting import expect
from tests.fakes.server import FakeLLMServer
from workbench.governance import access
from workbench.store.engine import session_scope
from workbench.ui.shell.nav import spec


def _fresh_app(home: Path, fake: FakeLLMServer, seeded: Path) -> Iterator[RunningApp]:
    process, app = start_app(home, fake, seeded)
    try:
        yield app
    finally:
        stop_app(process)


@pytest.fixture
def fresh_app(tmp_path: Path, e2e_fake_server: FakeLLMServer, seeded_template: Path) -> Iterator[RunningApp]:
    yield from _fresh_app(tmp_path / "app", e2e_fake_server, seeded_template)


def _first_visit(page: Page, app: RunningApp, url_path: str) -> None:
    page.goto(f"{app.url}/{url_path}")
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-connection-state", "CONNECTED")


def test_a_deep_link_on_a_fresh_server_gets_the_router(page: Page, fresh_app: RunningApp) -> None:
    _first_visit(page, fresh_app, "compare")
    expect(page.get_by_text(spec("pages/compare.py").explanation)).to_be_visible()
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    # The router draws the menu and the shared sidebar (project picker, "Your name").
    expect(sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Evaluate")).to_be_visible()
    expect(sidebar.get_by_label("Your name", exact=True)).to_be_visible()
    expect(page).to_have_title("Prompt Workbench")  # the router's st.set_page_config
    assert_no_errors(page)


def test_a_deep_link_on_a_fresh_server_meets_the_sign_in_gate(page: Page, fresh_app: RunningApp) -> None:
    engine = fresh_app.engine()
    with session_scope(engine) as session:
        access.set_signin(session, enabled=True, actor="test", first_admin="ada@example.com")
    engine.dispose()
    _first_visit(page, fresh_app, "compare")
    expect(page.get_by_text("sign in to see its projects")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text(spec("pages/compare.py").explanation)).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
