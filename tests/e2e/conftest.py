"""Browser tests: a real ``streamlit run`` server on a free loopback port, a private seeded
database, the fake provider server, and Debian's Chromium driven by Playwright.

Chromium comes from Debian's package (``make test`` installs it); Playwright's own browser
download is never used. Without Chromium the tests skip, except under ``CI=true``, where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.conftest import IN_CI, ROOT, copy_sqlite, sqlite_url
from tests.e2e.waiting import ACTION_CEILING_MS, expect
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.store.engine import open_database
from workbench.ui.shell.model_menu import CHECKING
from workbench.ui.shell.nav import APP_SCRIPT

HEALTH_CEILING_S = 120
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, whose clicks and fills wait for their element as long as an
    assertion would (``tests/e2e/waiting.py``): on a busy machine a rerun can outlast 30 s."""
    page.set_default_timeout(ACTION_CEILING_MS)
    return page


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install chromium); make test installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RunningApp:
    url: str
    database: Path
    fake: FakeLLMServer
    log: Path

    def engine(self):  # type: ignore[no-untyped-def]
        return open_database(sqlite_url(self.database))


@pytest.fixture(scope="session")
def e2e_fake_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(latency=0.05, token_delay=0.01) as server:
        yield server


def start_app(
    home: Path,
    fake: FakeLLMServer,
    seeded: Path,
    extra_env: dict[str, str] | None = None,
    *,
    local_base_url: str | None = None,
    like_make_run: bool = False,
) -> tuple[subprocess.Popen, RunningApp]:
    """``streamlit run`` on a private copy of ``seeded`` (the session's demo database, the
    ``seeded_template`` fixture), its local endpoint pointed at ``fake`` unless ``local_base_url``
    names another address (a fresh start: nothing listens there, the app serves it itself);
    ``like_make_run`` starts it the way ``make run`` does."""
    home.mkdir(parents=True, exist_ok=True)
    database = home / "workbench.db"
    engine = copy_sqlite(seeded, database)
    local = endpoints.find_endpoint(engine, "Local fake server")
    assert local is not None
    base_url = local_base_url or fake.openai_base_url
    endpoints.update_endpoint(engine, local.id, actor="test", base_url=base_url)  # type: ignore[arg-type]
    engine.dispose()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"WORKBENCH_DATABASE_URL": sqlite_url(database), "WORKBENCH_HOME": str(home)})
    env.update(extra_env or {})
    log = home / "streamlit.log"
    # `make run` starts the same server through `workbench.ui.serve` (it warms the database and
    # the imports); the other tests start it with plain `streamlit run`, reading only the
    # project's secrets file (Streamlit would first wait for the other, missing ones: serve.py).
    chosen = "STREAMLIT_SECRETS_FILES" in (extra_env or {})  # a test's own secrets (sign-in's)
    secrets = [] if chosen else ["--secrets.files", str(ROOT / ".streamlit" / "secrets.toml")]
    launcher = ["workbench.ui.serve"] if like_make_run else ["streamlit", "run", str(APP_SCRIPT), *secrets]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            *launcher,
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    # Polls until the server answers; it only gives up when the process exits, or as a last
    # resort after HEALTH_CEILING_S (a start takes about 1 s, longer on a busy machine).
    deadline = time.monotonic() + HEALTH_CEILING_S
    import urllib.request

    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.15)
    else:
        process.terminate()
        raise RuntimeError(f"streamlit did not become healthy:\n{log.read_text()}")
    return process, RunningApp(url=url, database=database, fake=fake, log=log)


@pytest.fixture(scope="module")
def running_app(
    tmp_path_factory: pytest.TempPathFactory, e2e_fake_server: FakeLLMServer, seeded_template: Path
) -> Iterator[RunningApp]:
    """A fresh app per test module (its own database), so modules never see each other's data."""
    process, app = start_app(tmp_path_factory.mktemp("app"), e2e_fake_server, seeded_template)
    try:
        yield app
    finally:
        stop_app(process)


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_idle(page: Page) -> None:
    """Wait until the script run finished (use after waiting for an expected result)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")


def assert_no_errors(page: Page) -> None:
    """No uncaught exception and no error box on the page."""
    try:
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    except AssertionError as exc:
        shown = page.locator("[data-testid=stException], [data-testid=stAlertContentError]").all_inner_texts()
        raise AssertionError(f"the page shows: {shown}") from exc


def open_page(page: Page, app: RunningApp, url_path: str = "") -> None:
    page.goto(f"{app.url}/{url_path}")
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-connection-state", "CONNECTED")
    expect(page.locator("h1").first).to_be_visible()
    wait_idle(page)
    # The sidebar asks each endpoint whether it answers. A session's first run waits 3 s for the
    # answers; a later one (the first probe imports the SDK: seconds on a busy machine) ends in
    # one full rerun at a moment of its own, which closes a dropdown the test has just opened.
    # So the test starts once every endpoint has its tick.
    expect(page.get_by_test_id("stSidebar").get_by_text(CHECKING)).to_have_count(0)
    wait_idle(page)


def set_name(page: Page, name: str = "E2E Tester") -> None:
    """Fill the sidebar's "Your name" field (recorded on versions and ratings)."""
    box = page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)
    box.fill(name)
    box.press("Enter")
    wait_idle(page)


def choose_project(page: Page, name: str) -> None:
    """Pick the active project in the sidebar. The picker is centred first: below the full menu
    it can sit at the viewport's bottom edge, where its dropdown closes as soon as it opens."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option", name=name).click()
