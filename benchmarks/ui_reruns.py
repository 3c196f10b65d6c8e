"""How long the common interactions take in a browser, from the click until the app is at rest.

The app runs as ``streamlit run workbench/ui/app.py`` on two databases: the demo, and the scale
library of 10,000 versions and 200,000 rated outputs (``scale_data.py``). Debian's Chromium
drives it through Playwright. Each item is timed from the moment the click (or key) reaches the
page until the expected result is on screen *and* the app's script state is back at rest
(``data-test-script-state="notRunning"``), checked every animation frame; the median of 5 is
printed with its target and the ratio. "Compare at rest" is the time from the last answer of a
3 rows × 3 models run being stored to the page at rest with every answer ready to rate.

Then, without a browser, AppTest gives each page's full run on the same database: the median of
5 runs and the SQL statements one run issues (which a busy machine does not change).

Targets (2-core machine, nothing else running): star, tag, vote ≤ 300 ms, saved rating and label
move ≤ 500 ms on the demo; every one of those ≤ 800 ms on the scale database; a page switch
≤ 700 ms demo / ≤ 1.5 s scale; Compare at rest ≤ 0.5 s after its last answer.

Run from the repository root: ``.venv/bin/python benchmarks/ui_reruns.py [demo|scale]``.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from summary import machine_load, record
from ui_bench_app import DEMO_PROMPT, SCALE_PROMPT, App, prepared_database, running_app

REPEATS = 5
FAILED_SHOT = "/tmp/ui_reruns_failed.png"
PAGES = ("Draft", "Compare", "Versions", "Review", "Leaderboard", "Feedback", "Library", "Evaluate")
TARGETS_S = {  # (demo, scale)
    "star": (0.3, 0.8),
    "tag": (0.3, 0.8),
    "vote": (0.3, 0.8),
    "save rating": (0.5, 0.8),
    "save rating (Review)": (0.5, 0.8),
    "label move": (0.5, 0.8),
    "page switch": (0.7, 1.5),
    "Compare at rest after last answer": (0.5, 0.5),
}
STARS = ("3 out of 5 stars", "4 out of 5 stars")
TAGS = ("accurate", "too long", "wrong tone", "off-topic", "great example")  # the demo's default list
AT_REST = (
    "document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state') === 'notRunning'"
)
CLICK_CLOCK = """() => { if (!window.__benchClock) { window.__benchClock = true;
  for (const kind of ['mousedown', 'keydown']) document.addEventListener(kind, () => {
    window.__t0 = performance.now(); window.__t1 = null; }, true); } }"""


def wait_for(app: App, function_js: str, arg: object = None) -> None:
    """``page.wait_for_function`` checked every frame; when it never comes true, a screenshot
    and what was waited for."""
    try:
        app.page.wait_for_function(function_js, arg=arg, polling="raf", timeout=120_000)
    except Exception:
        app.page.screenshot(path=FAILED_SHOT, full_page=True)
        print(f"Never came true: {function_js} with {arg!r} (the page: {FAILED_SHOT})")
        raise


def until(app: App, condition_js: str) -> float:
    """Seconds from the last click or key to ``condition_js`` and the app at rest, as the page saw it."""
    wait_for(
        app,
        f"() => {{ if (({condition_js}) && {AT_REST}) {{ window.__t1 ??= performance.now(); return true; }} return false; }}",
    )
    return app.page.evaluate("() => (window.__t1 - window.__t0) / 1000")


def text_on_page(text: str) -> str:
    return f"document.body.innerText.includes({text!r})"


def median_of(name: str, action: Callable[[int], float]) -> tuple[str, float, list[float]]:
    times = [action(i) for i in range(REPEATS)]
    return name, statistics.median(times), times


# ---- the items ------------------------------------------------------------------------------------


def page_switches(app: App) -> list[tuple[str, float, list[float]]]:
    found = []
    for title in PAGES:

        def switch(i: int, title: str = title) -> float:
            app.open("Project")  # start elsewhere each time (a page not in PAGES)
            app.menu(title).click()
            return until(app, f"document.querySelector('h1')?.innerText.trim() === {title!r}")

        found.append(median_of(f"page switch to {title}", switch))
    return found


def compare_at_rest(app: App, prompt: str) -> tuple[str, float, list[float]]:
    """Run 3 rows × 3 models; from the last answer stored to every answer ready to rate."""
    app.open("Compare")
    app.choose_prompt(prompt)
    app.three_rows()

    def run(i: int) -> float:
        before = app.latest_run_id()
        app.page.get_by_role("button", name="Run", exact=True).click()
        shown = f"#{before + 1} · "  # the new run, stored and picked in "Showing run" (nobody else runs)
        wait_for(
            app,
            "shown => [...document.querySelectorAll('[data-testid=stSelectbox] input')]"
            ".some(i => i.value.startsWith(shown) && i.value.includes(' 9 answers')) && "
            "document.querySelectorAll('[data-testid=stFeedback]').length >= 9 && "
            f"!document.querySelector('[data-testid=stProgress]') && {AT_REST}",
            shown,
        )
        at_rest = time.time()
        return at_rest - app.last_answer_at(before)

    return median_of("Compare at rest after last answer", run)


def grid_items(app: App) -> list[tuple[str, float, list[float]]]:
    """Star, tag, save and vote on the grid of the last Compare run."""
    form = app.page.get_by_test_id("stForm").first
    found = []

    def star(i: int) -> float:
        form.get_by_role("radio", name=STARS[i % 2]).click()
        checked = f"document.querySelector('[data-testid=stForm] [aria-label=\"{STARS[i % 2]}\"]')"
        return until(app, f"{checked}?.getAttribute('aria-checked') === 'true'")

    found.append(median_of("star", star))

    def tag(i: int) -> float:
        form.get_by_test_id("stMultiSelect").locator("input").click()  # not a chip picked before
        name = TAGS[i % len(TAGS)]  # a tag of the project's list not picked yet, typed as a rater does
        app.page.keyboard.type(name)
        app.page.keyboard.press("Enter")
        seconds = until(app, f"document.querySelector('[data-testid=stForm]').innerText.includes({name!r})")
        app.page.keyboard.press("Escape")
        return seconds

    found.append(median_of("tag", tag))

    def save(i: int) -> float:
        other = (i + REPEATS) % 2  # not the stars picked last (a second click on them clears them)
        form.get_by_role("radio", name=STARS[other]).click()
        shown = "★" * (3 + other) + "☆" * (2 - other)
        form.get_by_role("button", name=re.compile("Save rating|Update my rating")).click()
        return until(app, text_on_page(f"Saved: {shown}"))

    found.append(median_of("save rating", save))

    def vote(i: int) -> float:
        labels = ("A is better", "B is better")
        panel = app.page.get_by_test_id("stPopoverBody")
        if not panel.get_by_role("button", name=labels[0]).is_visible():
            app.page.get_by_role("button", name=re.compile("Which answer is better?")).first.click()
        panel.get_by_role("button", name=labels[i % 2]).click()
        return until(app, text_on_page(f"Vote recorded: {labels[i % 2]}"))

    found.append(median_of("vote", vote))
    return found


def review_save(app: App) -> tuple[str, float, list[float]]:
    app.open("Review")

    def save(i: int) -> float:
        progress = app.page.get_by_test_id("stProgress").inner_text()
        app.page.get_by_test_id("stForm").get_by_role("radio", name=STARS[i % 2]).click()
        app.page.get_by_test_id("stForm").get_by_role("button", name="Save rating").click()
        return until(
            app,
            f"document.querySelector('[data-testid=stProgress]') && "
            f"document.querySelector('[data-testid=stProgress]').innerText !== {progress!r}",
        )

    return median_of("save rating (Review)", save)


def label_move(app: App) -> tuple[str, float, list[float]]:
    app.open("Versions")

    def move(i: int) -> float:
        target = app.pick("Point it at", i % 2)
        app.page.get_by_role("button", name="Move label").click()
        return until(app, text_on_page(f"now points at {target}"))

    return median_of("label move", move)


# ---- AppTest: full runs and SQL per run --------------------------------------------------------


def apptest_pages(url: str) -> list[tuple[str, float, int]]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from streamlit.testing.v1 import AppTest

    from workbench.ui.shell.nav import APP_SCRIPT, PROJECT_ROOT
    from workbench.ui.shell.nav import PAGES as SPECS

    os.environ.update(WORKBENCH_DATABASE_URL=url, WORKBENCH_SEED_DEMO="0", WORKBENCH_LOCAL_MODELS="0")
    statements = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=300)
    at.session_state["rater_name"] = "Bench"
    at.run()
    found = []
    for spec in SPECS:
        if spec.title not in PAGES:
            continue
        at.switch_page(os.path.relpath(PROJECT_ROOT / spec.path, APP_SCRIPT.parent)).run()
        times, counts = [], []
        for _ in range(REPEATS):
            statements[0] = 0
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
            counts.append(statements[0])
        assert not at.exception, (spec.title, at.exception)
        found.append((spec.title, statistics.median(times), int(statistics.median(counts))))
    event.remove(Engine, "before_cursor_execute", count)
    return found


# ---- report ----------------------------------------------------------------------------------------


def target_of(name: str, scale: bool) -> float:
    key = "page switch" if name.startswith("page switch") else name
    return TARGETS_S[key][1 if scale else 0]


def report(kind: str, rows: list[tuple[str, float, list[float]]]) -> bool:
    """Print every item; for the summary table, each item and the slowest page switch."""
    met = True
    print(f"  {'item':<40} {'median':>9} {'target':>8} {'ratio':>6}   all 5 (ms)")
    switches = [row for row in rows if row[0].startswith("page switch")]
    slowest = max(switches, key=lambda row: row[1]) if switches else None
    for name, median, times in rows:
        target = target_of(name, kind == "scale")
        met &= median <= target
        if not name.startswith("page switch") or (slowest and name == slowest[0]):
            label = f"{name} (slowest page switch)" if name.startswith("page switch") else name
            record(f"{label}, {kind} database", median * 1000, target * 1000, unit="ms")
        spread = " ".join(f"{t * 1000:.0f}" for t in times)
        print(f"  {name:<40} {median * 1000:7.0f}ms {target * 1000:6.0f}ms {median / target:6.2f}   {spread}")
    return met


def measure(kind: str) -> bool:
    print(f"\n== {kind} database")
    with prepared_database(kind) as (url, note):
        print(note)
        machine_load("before")
        rows: list[tuple[str, float, list[float]]] = []
        with running_app(url) as app:
            app.page.evaluate(CLICK_CLOCK)
            app.set_name("Bench")
            rows.append(compare_at_rest(app, DEMO_PROMPT if kind == "demo" else SCALE_PROMPT))
            rows += grid_items(app)
            rows.append(review_save(app))
            rows.append(label_move(app))
            rows += page_switches(app)
        machine_load("after the browser part")
        met = report(kind, rows)
        print("  AppTest, each page's full run (median of 5) and SQL statements per run:")
        for title, seconds, statements in apptest_pages(url):
            print(f"    {title:<12} {seconds * 1000:7.0f} ms   {statements:4d} statements")
        machine_load("after")
        return met


def main() -> int:
    kinds = sys.argv[1:] or ["demo", "scale"]
    results = {kind: measure(kind) for kind in kinds}
    print("\nResult: " + ", ".join(f"{k} {'MET' if ok else 'NOT MET'}" for k, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
