"""Run prompt versions against models: a concurrent fan-out that streams, limits, cancels,
caches and stores every answer the moment it arrives.

The unit of work is a ``Cell``: one prompt version, one model with its parameters, one row of
variable values (optionally a bench test case). Compare runs one version × models × rows; bench
tests run versions × models × test cases through the same ``plan`` and ``run_cells``.

This module is the fan-out: it opens the run, checks the data policy, schedules every cell,
cancels and stores. What one cell does (cache, slots) is ``workbench.runs.cell``; the call
itself goes through ``workbench.models.gateway``, the one path to a model.

- Limits: each endpoint allows ``Endpoint.max_concurrency`` calls at once, and the whole run
  ``RunOptions.max_concurrency``; a cell takes its endpoint's slot first, then an overall one.
- A failed call is data: its output row has ``status`` error/incomplete/cancelled, an error kind
  and a message that names the fix. The other cells carry on.
- Persistence: each output is inserted in its own transaction by a single writer thread as
  soon as the call ends, and only then reported to the listener.
- Cancel: ``RunHandle.cancel()`` (any thread) cancels outstanding calls; each is stored as
  ``cancelled`` with whatever text had streamed.
- Data policy: before anything is sent, each cell's rendered messages are checked against the
  project's policy (``workbench.governance.data_policy``), whoever started the run (a page, the CLI, a
  script). A cell the policy blocks is stored as an error of kind ``policy`` with the reason,
  and its provider is never called. Pages show the same check first (with redaction); this is
  the last line of defence behind it. The offline Echo is never checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from workbench.aio import run_sync
from workbench.errors import InvalidInput, PolicyBlocked
from workbench.governance import data_policy
from workbench.governance.data_policy import ProjectPolicy
from workbench.models.gateway import Gateway
from workbench.models.providers.interface import KeyLookup
from workbench.models.providers.registry import env_lookup
from workbench.models.settings import CallSettings
from workbench.projects import project_records
from workbench.runs import outputs
from workbench.runs.cell import OutputRecorder, call_cell
from workbench.runs.plan import Cell, ModelChoice, PreparedCell, RowInput, plan, prepare
from workbench.store.tables import Output

__all__ = [
    "CallSettings",
    "Cell",
    "ModelChoice",
    "RowInput",
    "RunHandle",
    "RunListener",
    "RunOptions",
    "RunReport",
    "plan",
    "run_cells",
    "start_run",
]

log = logging.getLogger(__name__)

DEFAULT_OVERALL_LIMIT = 32
CANCEL_POLL_S = 0.05


@dataclass(frozen=True)
class RunOptions:
    """How a run is recorded and executed (not what it runs: that is the list of cells)."""

    project_id: int
    actor: str
    kind: str = "compare"  # compare | eval | generate | optimize
    evaluation_id: int | None = None
    max_concurrency: int = DEFAULT_OVERALL_LIMIT
    use_cache: bool = False
    stream: bool = True
    settings: Mapping[str, Any] = field(default_factory=dict)  # extra context stored on the run
    # The data policy the cells are checked against; ``None`` reads the project's own (the
    # default, so no caller can forget it). Any object with the project's policy fields works.
    policy: ProjectPolicy | None = None


class RunListener:
    """Receives a run's events on the runner's thread. Keep handlers quick; errors are logged."""

    def cell_started(self, cell: Cell) -> None:
        """The call got its slots and is about to be sent."""

    def cell_delta(self, cell: Cell, text: str) -> None:
        """A piece of streamed text."""

    def cell_finished(self, cell: Cell, output: Output) -> None:
        """The output is committed to the database (``output.id`` is set)."""

    def run_finished(self, status: str, error: str | None) -> None:
        """The run ended: done, cancelled or failed (``error`` says why it failed)."""


@dataclass
class RunReport:
    run_id: int
    status: str  # done | cancelled | failed
    outputs: list[Output]
    wall_s: float

    @property
    def cost_usd(self) -> float:
        return sum(o.cost_usd or 0.0 for o in self.outputs if not o.cache_hit)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outputs)


class _Execution:
    """One run on one event loop: semaphores, the gateway's providers and the writer live here."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        options: RunOptions,
        gateway: Gateway,
        listener: RunListener,
        cancel: threading.Event,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.options = options
        self.gateway = gateway
        self.listener = listener
        self.cancel = cancel
        self.overall = asyncio.Semaphore(max(1, options.max_concurrency))
        self.per_endpoint: dict[str, asyncio.Semaphore] = {}
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-writer")
        self.recorder = OutputRecorder(engine, run_id, self.writer)
        gateway.recorder = self.recorder

    def _notify(self, method: Callable[..., None], *args: Any) -> None:
        try:
            method(*args)
        except Exception:  # a broken view must not lose the run
            log.exception("run %s: listener %s failed", self.run_id, getattr(method, "__name__", method))

    async def run(self, prepared: Sequence[PreparedCell]) -> list[Output]:
        """Every cell's stored output. A cell that fails unexpectedly never stops the others: all
        of them finish (and are stored) before the writer closes, then the first failure is
        raised, so the run ends ``failed`` with every answer that arrived kept."""
        tasks = [asyncio.create_task(self._cell(p)) for p in prepared]
        watcher = asyncio.create_task(self._watch_cancel(tasks))
        try:
            results = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            watcher.cancel()
            await self.gateway.aclose()
            self.writer.shutdown(wait=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return list(results)  # type: ignore[arg-type]

    async def _watch_cancel(self, tasks: list[asyncio.Task[Output]]) -> None:
        while not self.cancel.is_set():
            if all(t.done() for t in tasks):
                return
            await asyncio.sleep(CANCEL_POLL_S)
        for task in tasks:
            task.cancel()

    def _slot(self, prepared: PreparedCell) -> asyncio.Semaphore:
        endpoint = prepared.endpoint
        if endpoint is None:
            return asyncio.Semaphore(1)
        if endpoint.name not in self.per_endpoint:
            self.per_endpoint[endpoint.name] = asyncio.Semaphore(max(1, endpoint.max_concurrency))
        return self.per_endpoint[endpoint.name]

    async def _cell(self, prepared: PreparedCell) -> Output:
        saved = await call_cell(
            self.engine,
            prepared,
            self.gateway,
            self.recorder,
            purpose=self.options.kind,
            project_id=self.options.project_id,
            actor=self.options.actor,
            evaluation_id=self.options.evaluation_id,
            use_cache=self.options.use_cache,
            stream=self.options.stream,
            endpoint_slot=self._slot(prepared),
            overall_slot=self.overall,
            on_start=lambda: self._notify(self.listener.cell_started, prepared.cell),
            on_delta=lambda text: self._notify(self.listener.cell_delta, prepared.cell, text),
        )
        self._notify(self.listener.cell_finished, prepared.cell, saved)
        return saved


class RunHandle:
    """A run started in a background thread: its id, progress, cancel, and the final report."""

    def __init__(self, run_id: int, total: int, listener: RunListener) -> None:
        self.run_id = run_id
        self.total = total
        self.listener = listener
        self.report: RunReport | None = None
        self.error: str | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def cancel(self) -> None:
        """Stop outstanding calls; safe from any thread, and repeatable."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def events(self) -> tuple[threading.Event, threading.Event]:
        """The cancel request and the "thread ended" events, for followers on other threads."""
        return self._cancel, self._done


def _apply_policy(
    engine: Engine, targets: Sequence[PreparedCell], options: RunOptions, gateway: Gateway
) -> None:
    """Mark every cell the data policy blocks (its reason becomes the cell's error); one audit
    event per blocked endpoint records it (kinds and counts, never the values). The gateway
    checks each call again against the same policy."""
    policy = options.policy or project_records.get_project(engine, options.project_id)
    gateway.use_policy(options.project_id, policy)
    blocked: dict[str, data_policy.Decision] = {}
    for target in targets:
        if target.problem is not None or target.endpoint is None or data_policy.is_offline(target.endpoint):
            continue
        decision = data_policy.check_outbound(policy, target.endpoint, [target.messages])
        if decision.blocked:
            target.problem = PolicyBlocked(f"Not sent: {decision.reason}")
            blocked.setdefault(target.endpoint.name, decision)
    for decision in blocked.values():
        data_policy.record_decision(
            engine,
            actor=options.actor,
            project_id=options.project_id,
            decision=decision,
            action=data_policy.ACTION_BLOCKED,
            detail="The runner refused to send.",
        )


def _begin(
    engine: Engine, cells: Sequence[Cell], options: RunOptions, lookup: KeyLookup
) -> tuple[int, list[PreparedCell], Gateway]:
    if not cells:
        raise InvalidInput("Nothing to run: choose at least one model and one row of values.")
    gateway = Gateway(engine, lookup=lookup)
    targets = prepare(engine, cells, gateway)
    _apply_policy(engine, targets, options, gateway)
    version_ids = sorted({c.prompt_version_id for c in cells if c.prompt_version_id is not None})
    columns: dict[int, dict[str, Any]] = {}
    for t in targets:
        columns.setdefault(
            t.cell.column,
            {"model_id": t.cell.model_id, "title": t.title, "params": t.cell.settings.to_dict()},
        )
    settings = {
        **dict(options.settings),
        "version_ids": version_ids,
        "columns": [columns[k] for k in sorted(columns)],
        "rows": len({c.row_index for c in cells}),
        "cells": len(cells),
        "use_cache": options.use_cache,
        "stream": options.stream,
        "max_concurrency": options.max_concurrency,
    }
    run = outputs.create_run(
        engine,
        project_id=options.project_id,
        actor=options.actor,
        kind=options.kind,
        prompt_version_id=version_ids[0] if len(version_ids) == 1 else None,
        evaluation_id=options.evaluation_id,
        settings=settings,
    )
    return run.id, targets, gateway  # type: ignore[return-value]


async def _execute(
    engine: Engine,
    run_id: int,
    targets: list[PreparedCell],
    gateway: Gateway,
    options: RunOptions,
    listener: RunListener,
    cancel: threading.Event,
) -> RunReport:
    began = time.perf_counter()
    status, error = "failed", None
    try:
        rows = await _Execution(engine, run_id, options, gateway, listener, cancel).run(targets)
        status = "cancelled" if cancel.is_set() and any(o.status == "cancelled" for o in rows) else "done"
        if status == "done" and rows and all(o.status == "error" for o in rows):
            status = "failed"  # every call failed: the run is a failure, not a run of bad answers
        return RunReport(run_id=run_id, status=status, outputs=rows, wall_s=time.perf_counter() - began)
    except Exception as exc:
        error = f"The run stopped unexpectedly ({type(exc).__name__}: {exc}). Finished answers are saved."
        raise
    finally:
        try:
            outputs.finish_run(engine, run_id, status)
        except Exception:
            log.exception("run %s: could not record its end", run_id)
        try:
            listener.run_finished(status, error)
        except Exception:
            log.exception("run %s: listener failed at the end", run_id)


def run_cells(
    engine: Engine,
    cells: Sequence[Cell],
    options: RunOptions,
    *,
    lookup: KeyLookup = env_lookup,
    listener: RunListener | None = None,
    cancel: threading.Event | None = None,
) -> RunReport:
    """Run ``cells`` and block until every one is stored (CLI, bench tests, benchmarks)."""
    run_id, targets, gateway = _begin(engine, cells, options, lookup)
    return run_sync(
        _execute(
            engine,
            run_id,
            targets,
            gateway,
            options,
            listener or RunListener(),
            cancel or threading.Event(),
        )
    )


def start_run(
    engine: Engine,
    cells: Sequence[Cell],
    options: RunOptions,
    *,
    lookup: KeyLookup = env_lookup,
    listener: RunListener | None = None,
) -> RunHandle:
    """Start ``cells`` in a background thread and return at once (Streamlit pages).

    Keys are looked up here, in the caller's thread, so the page's secrets lookup is used; the
    thread keeps running if the browser tab closes, and stores every answer that returns.
    """
    run_id, targets, gateway = _begin(engine, cells, options, lookup)
    handle = RunHandle(run_id, len(cells), listener or RunListener())

    def main() -> None:
        try:
            handle.report = asyncio.run(
                _execute(engine, run_id, targets, gateway, options, handle.listener, handle._cancel)
            )
        except Exception as exc:
            handle.error = f"The run stopped unexpectedly ({type(exc).__name__}). Finished answers are saved."
            log.exception("run %s failed", run_id)
            with contextlib.suppress(Exception):
                handle.listener.run_finished("failed", handle.error)
        finally:
            handle._done.set()

    handle._thread = threading.Thread(target=main, name=f"workbench-run-{run_id}", daemon=True)
    handle._thread.start()
    return handle
