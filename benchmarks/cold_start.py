"""How soon a newly started workbench answers, and how soon its first page is fully rendered.

The server is started the way ``make run`` starts it (``python -m workbench.ui.serve``) on an
installed checkout; timed from spawn: ``/_stcore/health`` answering ``ok``, then the home page
fully rendered in Debian's Chromium (its title shown, the app's script state back at rest, and
no placeholder left where the browser was still loading an element's code).
Three figures, each the median of five interleaved starts:

- fresh: an empty data folder, so the first start also migrates the database and seeds the demo;
- second start: the same folder again (the database is current and seeded).

Targets on this 2-core machine with nothing else running: health ≤ 2 s; first page ≤ 4 s fresh
and ≤ 3 s on a second start. The physical limit is printed beside them: a one-line Streamlit app
(``st.title``) started and timed the same way, interleaved with the workbench's starts: what
Streamlit itself costs here (the interpreter, its server, serving and running its front end). Usage: ``.venv/bin/python benchmarks/cold_start.py`` (exit 1 when a
target is missed). Needs Chromium (``make test`` installs Debian's package).
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from summary import record

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
REPEATS = int(os.environ.get("COLD_START_REPEATS", "5"))
TARGETS = {"health": 2.0, "first page, fresh": 4.0, "first page, second start": 3.0}
SAME_SECRETS = ["--secrets.files", str(ROOT / ".streamlit" / "secrets.toml")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def start(home: Path, browser: object, script: Path | None = None) -> tuple[float, float]:
    """(seconds to health, seconds to the first page rendered), from spawn; ``script``: a plain
    ``streamlit run`` of that file instead of the workbench."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"WORKBENCH_HOME": str(home), "WORKBENCH_DATABASE_URL": f"sqlite:///{home / 'workbench.db'}"})
    began = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            # The floor's app watches the same secrets files as the launcher's (serve.secrets_files
            # says why): it would otherwise wait 0.5-0.8 s on Streamlit's retries.
            *(["streamlit", "run", str(script), *SAME_SECRETS] if script else ["workbench.ui.serve"]),
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.02)
        health = time.perf_counter() - began
        page = browser.new_page()
        page.goto(url)
        expect(page.locator("h1").first).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stApp")).to_have_attribute(
            "data-test-script-state", "notRunning", timeout=60_000
        )
        # Elements whose code the browser loads on first use (metrics, tables, page links) show
        # a grey placeholder until it has come: the page is drawn when none is left.
        expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
        rendered = time.perf_counter() - began
        page.close()
        return health, rendered
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> int:
    from playwright.sync_api import sync_playwright

    print(f"Cold start of the workbench server ({machine_load()}), median of {REPEATS} interleaved starts")
    figures: dict[str, list[float]] = {name: [] for name in TARGETS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        start(Path(tempfile.mkdtemp(prefix="wb-cold-warmup-")), browser)  # disk caches, .pyc files
        hello = Path(tempfile.mkdtemp(prefix="wb-cold-hello-")) / "hello.py"
        hello.write_text('import streamlit as st\n\nst.title("Hello")\n')
        floor = []
        for _ in range(REPEATS):  # each round: the floor, then the workbench fresh and again
            floor.append(start(hello.parent, browser, hello)[1])
            home = Path(tempfile.mkdtemp(prefix="wb-cold-"))
            health, fresh = start(home, browser)
            figures["health"].append(health)
            figures["first page, fresh"].append(fresh)
            _, again = start(home, browser)
            figures["first page, second start"].append(again)
            shutil.rmtree(home, ignore_errors=True)
        browser.close()
    limit = statistics.median(floor)
    print(f"{'Streamlit alone (floor)':<26} {limit:6.2f} s   a one-line app's first page   "
          f"(runs: {', '.join(f'{v:.2f}' for v in floor)})")  # fmt: skip
    missed = 0
    for name, values in figures.items():
        median, target = statistics.median(values), TARGETS[name]
        ok = record(name, median, target).passed
        missed += not ok
        runs = ", ".join(f"{v:.2f}" for v in values)
        above = f"   {median - limit:+.2f} s over the floor" if name.startswith("first page") else ""
        print(f"{name:<26} {median:6.2f} s   target ≤ {target:.1f} s   ratio {median / target:4.2f}   "
              f"{'met' if ok else 'MISSED'}{above}   (runs: {runs})")  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
