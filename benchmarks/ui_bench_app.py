"""The app under ``ui_reruns.py``: a prepared database, the fake provider server in its own
process, ``streamlit run`` on a free port, and Chromium with a few page helpers.

Not a benchmark itself (no ``__main__``).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from playwright.sync_api import Locator, Page, expect, sync_playwright
from sqlmodel import col, func, select

from workbench.demo.seed import seed_demo
from workbench.models import endpoints
from workbench.store.engine import open_database, session_scope
from workbench.store.tables import Output, Run

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "workbench" / "ui" / "app.py"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync"]
DEMO_PROMPT = "Late order reply"
SCALE_PROMPT = "Prompt 0001 about topic 1"
ROW_VALUES = ("A-1001", "A-1002", "A-1003")
LATENCY_S, TOKEN_DELAY_S = 0.2, 0.005


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


@contextmanager
def fake_server(folder: Path) -> Iterator[str]:
    """The fake OpenAI/Anthropic server in its own process (as a provider would be); its base URL."""
    port, log = free_port(), folder / "fake.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.server",
            "--port",
            str(port),
            "--latency",
            str(LATENCY_S),
            "--token-delay",
            str(TOKEN_DELAY_S),
        ],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", process, log)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def prepared_database(kind: str) -> Iterator[tuple[str, str]]:
    """A temp SQLite database (``demo`` or ``scale``) whose local endpoint is the fake server."""
    with tempfile.TemporaryDirectory(prefix=f"wb-ui-{kind}-") as name, fake_server(Path(name)) as base_url:
        folder = Path(name)
        url = f"sqlite:///{folder / 'workbench.db'}"
        engine = open_database(url)
        started = time.perf_counter()
        if kind == "demo":
            seed_demo(engine)
            local = endpoints.find_endpoint(engine, "Local fake server")
        else:
            from scale_data import report_seed, seed

            report_seed(seed(engine), time.perf_counter() - started)
            local = endpoints.find_endpoint(engine, "Local")
            endpoints.add_model(engine, actor="bench", endpoint_id=local.id, model="fake-lazy")  # type: ignore[union-attr,arg-type]
        endpoints.update_endpoint(engine, local.id, actor="bench", base_url=base_url, max_retries=0)  # type: ignore[union-attr,arg-type]
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        note = f"Database: {kind} (prepared in {time.perf_counter() - started:.1f} s); fake models at {base_url}."
        yield url, note


@dataclass
class App:
    page: Page
    url: str
    database_url: str

    def title(self) -> str:
        return self.page.locator("h1").first.inner_text().strip()

    def menu(self, title: str) -> Locator:
        return self.page.get_by_test_id("stSidebarNavLink").filter(has_text=title).first

    def at_rest(self) -> None:
        self.page.wait_for_function(
            "() => document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') "
            "=== 'notRunning'",
            timeout=120_000,
        )

    def open(self, title: str) -> None:
        """Go to a page through the menu (no reload: the click clock stays) and wait for rest."""
        if self.title() != title:
            self.menu(title).click()
            self.page.wait_for_function(
                f"() => document.querySelector('h1')?.innerText.trim() === {title!r}", timeout=120_000
            )
        self.at_rest()

    def set_name(self, name: str) -> None:
        box = self.page.get_by_test_id("stSidebar").get_by_label("Your name", exact=True)
        box.fill(name)
        box.press("Enter")
        self.at_rest()

    def pick(self, label: str, index: int) -> str:
        """Choose the ``index``-th option of the select box labelled ``label``; its text."""
        box = self.page.get_by_test_id("stSelectbox").filter(has_text=label).first
        box.evaluate("element => element.scrollIntoView({block: 'center'})")
        box.click()
        option = self.page.get_by_role("option").nth(index)
        text = option.inner_text().strip()
        option.click()
        self.at_rest()
        return text

    def choose_prompt(self, name: str) -> None:
        box = self.page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text="Prompt").first
        if box.locator("input").input_value() == name:
            return
        box.click()
        self.page.get_by_role("option", name=name, exact=True).click()
        self.page.wait_for_function(
            "name => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stSelectbox] input')]"
            ".some(i => i.value === name)",
            arg=name,
        )
        self.at_rest()

    def three_rows(self) -> None:
        """Compare's variable table with three rows: every empty box of a row gets its value.
        Each step waits for its own result (a new row's boxes, a value kept after Enter), since
        the app is at rest for a moment between a click and the rerun it starts."""

        def row(number: int) -> Locator:
            return self.page.get_by_role("textbox", name=re.compile(rf", row {number}$"))

        for number in (2, 3):
            if not row(number).count():
                self.page.get_by_role("button", name="Add a row").click()
                row(number).first.wait_for(timeout=120_000)
                self.at_rest()
        for number, value in enumerate(ROW_VALUES, start=1):
            for box in row(number).all():
                if not box.input_value():
                    box.fill(value)
                    box.press("Enter")
                    self.at_rest()
                    expect(box).to_have_value(value, timeout=120_000)

    def _engine(self):  # type: ignore[no-untyped-def]
        return open_database(self.database_url)

    def latest_run_id(self) -> int:
        engine = self._engine()
        try:
            with session_scope(engine) as session:
                return int(session.exec(select(func.max(Run.id))).one() or 0)
        finally:
            engine.dispose()

    def last_answer_at(self, after_run: int) -> float:
        """When the newest run after ``after_run`` stored its last answer (epoch seconds)."""
        engine = self._engine()
        try:
            with session_scope(engine) as session:
                run_id = session.exec(select(func.max(Run.id)).where(col(Run.id) > after_run)).one()
                stored = session.exec(
                    select(func.max(Output.created_at)).where(Output.run_id == run_id)
                ).one()
        finally:
            engine.dispose()
        if stored is None:
            raise RuntimeError(f"run {run_id} (after #{after_run}) stored no answer")
        return stored.replace(tzinfo=UTC).timestamp() if stored.tzinfo is None else stored.timestamp()


@contextmanager
def running_app(database_url: str) -> Iterator[App]:
    """``streamlit run`` on the database, and a Chromium page on it, at rest on the home page."""
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="wb-ui-app-"))
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(
        WORKBENCH_DATABASE_URL=database_url,
        WORKBENCH_HOME=str(folder),
        WORKBENCH_SEED_DEMO="0",
        WORKBENCH_LOCAL_MODELS="0",
    )
    log = folder / "streamlit.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench.ui.serve",  # as `make run` starts it: warmed up after the server answers
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
    try:
        wait_healthy(f"{url}/_stcore/health", process, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.wait_for_selector("h1", timeout=120_000)
            app = App(page, url, database_url)
            app.at_rest()
            yield app
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)
