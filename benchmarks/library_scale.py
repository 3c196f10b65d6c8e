"""Library page at scale: 10,000 versions and 200,000 rated outputs; target under 1 s of server time.

Seeds a temp SQLite file (``scale_data.py``), then times the page's queries one by one and the
whole page rendered by Streamlit's AppTest (router, sidebar, filters, query and table). Each
figure is the median of five runs after one warm-up; the ratio is figure / target.

Run from the repository root: ``.venv/bin/python benchmarks/library_scale.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from scale_data import report_seed, scale_database
from summary import machine_load, record

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0
REPEATS = 5


def median_seconds(action: Callable[[], object]) -> float:
    action()  # warm-up: first query compiles statements and fills the page cache
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def line(name: str, seconds: float, detail: str = "") -> None:
    print(f"  {name:<44} {seconds * 1000:8.1f} ms   {seconds / TARGET_S:6.1%} of target  {detail}")


def main() -> int:
    from workbench.insights import library

    with scale_database() as (engine, counts, seed_s):
        report_seed(counts, seed_s)
        machine_load("before")
        print(f"Target: the Library page in under {TARGET_S:.0f} s of server time.")
        print("Queries (core, workbench.insights.library):")
        cases = {
            "all prompts, no filter": library.LibraryFilter(),
            "text search 'topic 12'": library.LibraryFilter(text="topic 12"),
            "one project": library.LibraryFilter(project_ids=(3,)),
            "label production": library.LibraryFilter(labels=("production",)),
            "tag 'hallucination'": library.LibraryFilter(tags=("hallucination",)),
            "model 'Local · fake-large'": library.LibraryFilter(models=("Local · fake-large",)),
            "average rating 3.5-5": library.LibraryFilter(rating=(3.5, 5.0)),
        }
        worst = 0.0
        choices_s = median_seconds(lambda: library.filter_choices(engine))
        line("filter choices (labels, tags, models)", choices_s)
        for name, filters in cases.items():
            rows = len(library.library_frame(engine, filters))
            seconds = median_seconds(lambda filters=filters: library.library_frame(engine, filters))
            worst = max(worst, seconds)
            line(name, seconds, f"{rows:,} prompts")
        line("page queries, worst filter + choices", worst + choices_s)

        from streamlit.testing.v1 import AppTest

        from workbench.ui.shell.nav import APP_SCRIPT, PAGES_DIR

        os.environ["WORKBENCH_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        os.environ["WORKBENCH_SEED_DEMO"] = "0"
        os.chdir(ROOT)
        app = AppTest.from_file(str(APP_SCRIPT), default_timeout=120)
        app.run()
        app.switch_page(os.path.relpath(PAGES_DIR / "library.py", APP_SCRIPT.parent))

        def render() -> None:
            app.run()
            assert not app.exception, app.exception
            assert len(app.dataframe[0].value) == counts["prompt"]

        render_s = median_seconds(render)
        print("Page (AppTest: router, sidebar, filters, queries, 1,000-row table):")
        line("full render of the Library page", render_s)
        machine_load("after")
        figure = record("Library page render, median of 5", render_s, TARGET_S)
        record("Library queries, worst filter + choices, median of 5", worst + choices_s, TARGET_S)
        verdict = "MET" if figure.passed else "NOT MET"
        print(
            f"Result: {render_s:.3f} s per render = {render_s / TARGET_S:.0%} of the 1 s target ({verdict})."
        )
        return 0 if figure.passed else 1


if __name__ == "__main__":
    sys.exit(main())
