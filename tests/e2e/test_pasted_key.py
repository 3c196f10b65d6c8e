"""A key pasted in Settings → API keys, in Chromium: the connection test of an endpoint whose
server accepts only that key fails before and passes right after, with no restart; and the key
is in none of the database file, the server's log (SDK and Streamlit debug logging on) or the
page source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page

from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, start_app, stop_app, wait_idle
from tests.e2e.waiting import expect
from tests.e2e.widgets import pick
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints

KEY = "sk-PASTED-e2e-7d41c9a0b3e85f26"
VARIABLE = "WB_E2E_PASTED_KEY"
ENDPOINT = "Keyed fake"


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[FakeLLMServer]:
    """A provider that answers only the pasted key."""
    with FakeLLMServer(keys={KEY}) as server:
        yield server


@pytest.fixture(scope="module")
def keyed_app(
    tmp_path_factory: pytest.TempPathFactory,
    e2e_fake_server: FakeLLMServer,
    keyed_server: FakeLLMServer,
    seeded_template: Path,
) -> Iterator[RunningApp]:
    """An app with an endpoint on ``keyed_server`` whose key variable is set nowhere, and every
    debug log on (a key that slipped into one would be caught)."""
    extra = {"OPENAI_LOG": "debug", "ANTHROPIC_LOG": "debug", "STREAMLIT_LOGGER_LEVEL": "debug"}
    process, running = start_app(tmp_path_factory.mktemp("key-app"), e2e_fake_server, seeded_template, extra)
    engine = running.engine()
    keyed = endpoints.add_endpoint(
        engine,
        actor="test",
        name=ENDPOINT,
        provider="openai_compatible",
        base_url=keyed_server.openai_base_url,
        api_key_env=VARIABLE,
        max_retries=0,
    )
    endpoints.add_model(engine, actor="test", endpoint_id=keyed.id, model="fake-small")  # type: ignore[arg-type]
    engine.dispose()
    try:
        yield running
    finally:
        stop_app(process)


def endpoint_panel(page: Page) -> Locator:
    """The Settings expander of the keyed endpoint, opened."""
    panel = page.get_by_test_id("stExpander").filter(has_text=ENDPOINT)
    expect(panel).to_have_count(1)
    if not panel.get_by_role("button", name="Test connection").is_visible():
        panel.locator("summary").click()
    expect(panel.get_by_role("button", name="Test connection")).to_be_visible()
    return panel


def run_connection_test(page: Page) -> Locator:
    panel = endpoint_panel(page)
    panel.get_by_role("button", name="Test connection").click()
    return panel


def test_a_pasted_key_passes_the_connection_test_at_once_and_is_nowhere(
    page: Page, keyed_app: RunningApp, keyed_server: FakeLLMServer
) -> None:
    open_page(page, keyed_app, "settings")
    panel = run_connection_test(page)
    expect(panel.get_by_text(f"No key: set {VARIABLE}")).to_be_visible()
    wait_idle(page)

    pick(page, "For the variable", VARIABLE)
    form = page.get_by_test_id("stForm").filter(has_text="Paste a key")
    form.get_by_label("Key", exact=True).fill(KEY)
    form.get_by_role("button", name="Use this key").click()
    expect(page.get_by_text(f"{VARIABLE} is now")).to_be_visible()
    expect(page.get_by_text("kept in the server's memory until it stops")).to_be_visible()
    wait_idle(page)
    assert form.get_by_label("Key", exact=True).input_value() == ""

    panel = run_connection_test(page)
    expect(panel.get_by_text("Connected: ")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    assert any(r.headers.get("authorization") == f"Bearer {KEY}" for r in keyed_server.requests)

    pages = [page.content()]
    open_page(page, keyed_app, "settings")  # a fresh load shows the key masked, nothing more
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    wait_idle(page)
    pages.append(page.content())
    engine = keyed_app.engine()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    engine.dispose()
    blobs = [p.read_bytes() for p in keyed_app.database.parent.glob("workbench.db*")]
    log = keyed_app.log.read_text(errors="replace")
    assert "Request options" in log or "HTTP Request" in log  # SDK debug logging was on
    pieces = [KEY] + [KEY[i : i + 8] for i in range(len(KEY) - 7)]
    for piece in pieces:
        assert all(piece not in source for source in pages), f"{piece!r} in the page source"
        assert all(piece.encode() not in blob for blob in blobs), f"{piece!r} in the database file"
        assert piece not in log, f"{piece!r} in the streamlit log"
