"""What reporting an answer adds to an application's response time, on SQLite: target p99 < 5 ms.

An application that serves an answer calls ``prompt.record(...)`` (or ``complete``, which does
the same after the model's call): the time that call takes is the delay recording adds before
the application can reply. It checks the report and queues it; the writer thread protects
personal data and writes to the database meanwhile, competing for the same interpreter, which
is what makes the tail (p99) the figure to watch.

Three runs on a temp SQLite file (WAL, as the workbench opens it), each after a warm-up:

1. **paced** (the figure judged): one application thread serves 5,000 answers with 0.5 ms of
   its own work between them, so the writer is busy writing the whole time;
2. **burst**: the same thread reports 5,000 answers back to back (the queue fills faster than
   any database writes; reports wait in memory, then in the spool);
3. **eight threads**: eight application threads report 1,250 answers each at once.

Each prints the median, p99 and max of the call, with p99 against the target. Every answer is
checked to be in the database afterwards. Exits 1 when the paced p99 misses the target.
Run from the repository root: ``.venv/bin/python benchmarks/record_overhead.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from summary import machine_load, record

from workbench.models import endpoints
from workbench.monitor import api
from workbench.monitor.app_prompt import AppPrompt
from workbench.monitor.figures import served_frame
from workbench.monitor.spool import Spool
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.prompts.releases import ReleaseModel
from workbench.store.engine import open_database, session_scope

TARGET_MS = 5.0
ANSWERS = 5_000
WORK_S = 0.0005
THREADS = 8


def setup(folder: Path) -> AppPrompt:
    """A project with a prompt whose production release runs on the offline Echo endpoint."""
    engine = open_database(f"sqlite:///{folder / 'bench.db'}")
    endpoints.ensure_builtin_endpoints(engine)
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="bench", name="Benchmark")
        prompt = versions.create_prompt(session, project_id=project.id, name="Order update", actor="bench")  # type: ignore[arg-type]
        version = versions.save_version(
            session,
            prompt_id=prompt.id,
            system_template="Be brief.",
            user_template="Order {{ order_id }}?",
            author="bench",  # type: ignore[arg-type]
        )
        versions.set_label(
            session,
            version_id=version.id,
            name="production",
            actor="bench",
            model=ReleaseModel("Echo", "echo"),
        )  # type: ignore[arg-type]
    api.reporter_for(engine, spool=Spool(folder / "spool"))
    return api.app_prompt(engine, "Order update", source="benchmark")


def timed_records(prompt: AppPrompt, count: int, start: int, pause: float) -> list[float]:
    """Milliseconds each ``record`` call took."""
    took = []
    for n in range(start, start + count):
        began = time.perf_counter()
        prompt.record(
            variables={"order_id": str(n), "question": "Where is my parcel? It was due on Monday."},
            text=f"Order {n} left our warehouse on Friday and arrives on Tuesday. Sorry for the wait.",
            latency_ms=812.5,
            tokens_in=64,
            tokens_out=24,
            cost_usd=0.000123,
        )
        took.append((time.perf_counter() - began) * 1000)
        if pause:
            time.sleep(pause)
    return took


def threaded(prompt: AppPrompt, start: int) -> list[float]:
    results: list[list[float]] = [[] for _ in range(THREADS)]
    per_thread = ANSWERS // THREADS

    def work(i: int) -> None:
        results[i] = timed_records(prompt, per_thread, start + i * per_thread, 0.0)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [t for part in results for t in part]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99 + 0.999999) - 1)]


def report(name: str, took: list[float]) -> float:
    figure = p99(took)
    print(
        f"  {name:<34} median {statistics.median(took):6.3f} ms   p99 {figure:6.3f} ms   max {max(took):7.3f} ms   "
        f"p99 = {figure / TARGET_MS:5.1%} of the {TARGET_MS:.0f} ms target (ratio {figure / TARGET_MS:.3f})",
        flush=True,
    )
    return figure


def run(prompt: AppPrompt, name: str, action: Callable[[int], list[float]], start: int) -> tuple[float, int]:
    action(start)  # warm-up: compiled statements, the detectors' patterns, the file cache
    figure = report(name, action(start + ANSWERS))
    done = prompt.reporter.flush(timeout=600)  # type: ignore[union-attr]
    if not done.complete or done.rejected:
        raise RuntimeError(f"{name}: reports not all written ({done})")
    return figure, start + 2 * ANSWERS


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        prompt = setup(Path(tmp))
        machine_load("before")
        print(f"Recording one answer (prompt.record), {ANSWERS:,} answers per run, SQLite:")
        paced, start = run(
            prompt, "paced (0.5 ms of work between)", lambda s: timed_records(prompt, ANSWERS, s, WORK_S), 0
        )
        _burst, start = run(
            prompt, "burst (back to back)", lambda s: timed_records(prompt, ANSWERS, s, 0.0), start
        )
        _threads, start = run(prompt, f"{THREADS} threads at once", lambda s: threaded(prompt, s), start)
        machine_load("after")
        rows = len(served_frame(prompt.engine, prompt_id=prompt.prompt_id))  # type: ignore[arg-type]
        print(f"Answers in the database: {rows:,} of {start:,} reported.")
        api.forget(prompt.engine)  # type: ignore[arg-type]
    record("time added per answer recorded, p99 (paced)", paced, TARGET_MS, unit="ms")
    verdict = "met" if paced < TARGET_MS else "MISSED"
    print(
        f"Result: p99 {paced:.3f} ms added per answer (paced) against the {TARGET_MS:.0f} ms target: {verdict}."
    )
    return 0 if paced < TARGET_MS and rows == start else 1


if __name__ == "__main__":
    sys.exit(main())
