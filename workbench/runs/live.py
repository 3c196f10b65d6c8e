"""The live state of a running run, for a page that polls it while calls stream in.

A ``LiveRun`` is the runner's listener: the runner's thread writes deltas and finished outputs
into it under a lock, and the page's script thread reads ``snapshot()``s of plain data. It holds
no database rows and no keys (only the run id and two thread events of the run's handle), so it
can sit in a session's state between reruns.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from workbench.runs.outputs import CellView
from workbench.runs.plan import Cell
from workbench.runs.runner import RunHandle, RunListener
from workbench.store.tables import Output


@dataclass(frozen=True)
class LiveSnapshot:
    run_id: int | None
    total: int
    done: int
    finished: bool
    cancel_requested: bool
    error: str | None
    cells: tuple[CellView, ...]
    version: int = 0  # ``LiveRun.wait_for_change`` takes it

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0


class LiveRun(RunListener):
    """Cell views keyed by ``Cell.key``; every change bumps that cell's ``revision``."""

    def __init__(self, cells: Sequence[Cell], titles: Sequence[str]) -> None:
        self.titles = tuple(titles)  # one per column
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a follower wakes at once, not at its next poll
        self._version = 0  # bumped by every change
        self._cells: dict[str, CellView] = {
            c.key: CellView(
                key=c.key,
                row_index=c.row_index,
                column=c.column,
                title=titles[c.column] if c.column < len(titles) else f"model #{c.model_id}",
                variables=dict(c.variables),
                params=c.settings.to_dict(),
            )
            for c in cells
        }
        self._parts: dict[str, list[str]] = {k: [] for k in self._cells}
        self._done = 0
        self._finished = False
        self._error: str | None = None
        self.run_id: int | None = None
        self._cancel: threading.Event | None = None
        self._stopped: threading.Event | None = None

    def attach(self, handle: RunHandle) -> LiveRun:
        """Follow ``handle``'s run: keep its id and events, not the handle (it holds the report)."""
        self.run_id = handle.run_id
        self._cancel, self._stopped = handle.events()
        return self

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    # ---- listener (runner thread) -------------------------------------------------------
    def _touch(self) -> None:
        """Called with the lock held, after a change."""
        self._version += 1
        self._changed.notify_all()

    def _bump(self, key: str, **changes: object) -> None:
        view = self._cells[key]
        self._cells[key] = replace(view, revision=view.revision + 1, **changes)  # type: ignore[arg-type]
        self._touch()

    def cell_started(self, cell: Cell) -> None:
        with self._lock:
            self._bump(cell.key, status="running")

    def cell_delta(self, cell: Cell, text: str) -> None:
        with self._lock:
            parts = self._parts[cell.key]
            parts.append(text)
            self._bump(cell.key, text="".join(parts))

    def cell_finished(self, cell: Cell, output: Output) -> None:
        with self._lock:
            view = self._cells[cell.key]
            self._cells[cell.key] = CellView.from_output(
                output, key=cell.key, column=cell.column, title=view.title, revision=view.revision + 1
            )
            self._done += 1
            self._touch()

    def run_finished(self, status: str, error: str | None) -> None:
        with self._lock:
            self._finished = True
            self._error = error
            self._touch()

    # ---- readers (any thread) -----------------------------------------------------------
    def wait_for_change(self, since: int, timeout_s: float) -> None:
        """Until something changed after ``snapshot().version == since``, or ``timeout_s``."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != since, timeout=timeout_s)

    def wait_until_finished(self, timeout_s: float) -> None:
        """Until the runner said the run is over, or ``timeout_s``."""
        with self._changed:
            self._changed.wait_for(lambda: self._finished, timeout=timeout_s)

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return LiveSnapshot(
                run_id=self.run_id,
                total=len(self._cells),
                done=self._done,
                finished=self._finished or bool(self._stopped and self._stopped.is_set()),
                cancel_requested=bool(self._cancel and self._cancel.is_set()),
                error=self._error,
                cells=tuple(self._cells.values()),
                version=self._version,
            )
