"""One cell's call: the cache lookup, then the gateway, and the output row it comes to.

This is kept apart from the fan-out (``workbench.runs.runner``) because it decides what a user
later reads in a cell. The call itself goes through ``workbench.models.gateway`` like every
other model call (data policy, provider, figures, storage); what is particular to a run is here:

- Cache: an identical earlier answer (same endpoint, model, settings and messages) can be
  reused without taking a slot or calling anyone; it is stored marked ``cache_hit``.
- Slots: the endpoint's first, then the run's overall one, held only while the provider works,
  so a cell queued behind a busy endpoint never holds an overall slot other cells could use.
- Storage: the gateway's recorder for a run turns the call into the cell's ``Output`` row and
  hands it to the run's single writer thread (``OutputRecorder``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from typing import Any

from sqlalchemy import Engine

from workbench.models.gateway import CallRequest, CallResult, Gateway, failed
from workbench.runs import outputs
from workbench.runs.plan import PreparedCell
from workbench.store.tables import Output

log = logging.getLogger(__name__)


class OutputRecorder:
    """The gateway's recorder for one run: each call becomes its cell's ``Output`` row, saved by
    the run's single writer thread (SQLite allows one writer; one thread keeps them in order)."""

    def __init__(self, engine: Engine, run_id: int, writer: Executor) -> None:
        self.engine = engine
        self.run_id = run_id
        self.writer = writer
        self._cells: dict[int, PreparedCell] = {}

    def expect(self, request: CallRequest, prepared: PreparedCell) -> None:
        self._cells[id(request)] = prepared

    async def save(self, output: Output) -> Output:
        """Store ``output``; if the database refuses it, store the cell as a failure that says
        why instead, so one unstorable answer leaves a visible cell and never stops the run."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.writer, outputs.save_output, self.engine, output)
        except Exception as exc:
            log.exception("run %s: output of row %s could not be stored", self.run_id, output.row_index)
            return await loop.run_in_executor(
                self.writer, outputs.save_output, self.engine, outputs.unstorable(output, exc)
            )

    async def __call__(self, request: CallRequest, result: CallResult) -> Output:
        prepared = self._cells.pop(id(request))
        return await self.save(prepared.output(self.run_id, result))


@contextlib.asynccontextmanager
async def _slots(endpoint_slot: asyncio.Semaphore, overall_slot: asyncio.Semaphore) -> AsyncIterator[None]:
    async with endpoint_slot, overall_slot:
        yield


async def call_cell(
    engine: Engine,
    prepared: PreparedCell,
    gateway: Gateway,
    recorder: OutputRecorder,
    *,
    purpose: str,
    project_id: int,
    actor: str,
    evaluation_id: int | None,
    use_cache: bool,
    stream: bool,
    endpoint_slot: asyncio.Semaphore,
    overall_slot: asyncio.Semaphore,
    on_start: Callable[[], None],
    on_delta: Callable[[str], None],
) -> Output:
    """The cell's stored output: its problem, a cache hit, or what its call came to. Never
    raises for a failed call; cancelling stores a ``cancelled`` output with the text so far."""
    if prepared.problem is not None:
        return await _shielded(recorder.save(prepared.output(recorder.run_id, failed(prepared.problem))))
    if use_cache and prepared.cache_key:
        try:
            hit = await asyncio.to_thread(outputs.find_cached, engine, prepared.cache_key)
        except asyncio.CancelledError:
            cancelled = CallResult(
                status="cancelled",
                error_kind="cancelled",
                error_message="Cancelled before it started. Run again to get this answer.",
            )
            return await _shielded(recorder.save(prepared.output(recorder.run_id, cancelled)))
        if hit is not None:
            return await _shielded(recorder.save(prepared.cached_copy(recorder.run_id, hit)))
    request = prepared.request(purpose, project_id, actor, evaluation_id)
    recorder.expect(request, prepared)
    result = await gateway.call(
        request,
        stream=stream,
        limit=_slots(endpoint_slot, overall_slot),
        on_start=on_start,
        on_delta=on_delta,
    )
    record: Output = result.record
    return record


async def _shielded(save: Any) -> Output:
    """Finish a save even when the cell is cancelled meanwhile (the answer is not lost)."""
    future = asyncio.ensure_future(save)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        return await future
