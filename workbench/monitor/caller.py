"""How ``AppPrompt.complete`` reaches the gateway from an application's synchronous code.

A fresh event loop and gateway per call would build a new SDK client, a new TLS context and a new
connection for every answer, and the monitor would count that as the model's latency. So the
synchronous calls of a process share one event loop (a daemon thread) and one ``Gateway`` per
database and key lookup: its providers keep their clients and connections alive between answers,
and any number of application threads can call at once (each call is a task on that loop).

Every call still goes through ``Gateway.call``: the project's data policy is checked on the exact
messages (read afresh for each call, so a change of sensitivity applies at once), the SDK retries
as the endpoint says, and latency, tokens and cost are measured. The gateway's recorder turns the
call into a served-answer report; which answer it belongs to travels with the call's task
(``ANSWERING``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine

from workbench.models.gateway import CallRequest, CallResult, Gateway
from workbench.models.providers.interface import KeyLookup
from workbench.projects.project_records import get_project

# The recorder of the answer being made in this task (set by ``call`` before the gateway runs).
ANSWERING: ContextVar[Callable[[CallRequest, CallResult], Any]] = ContextVar("monitor_answering")


async def _record(request: CallRequest, result: CallResult) -> Any:
    return ANSWERING.get()(request, result)


class _Caller:
    def __init__(self, engine: Engine, lookup: KeyLookup) -> None:
        self.engine = engine
        self.gateway = Gateway(engine, lookup=lookup, recorder=_record)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="workbench-calls", daemon=True).start()

    async def _one(
        self, request: CallRequest, record: Callable[[CallRequest, CallResult], Any]
    ) -> CallResult:
        ANSWERING.set(record)
        return await self.gateway.call(request)

    def call(self, request: CallRequest, record: Callable[[CallRequest, CallResult], Any]) -> CallResult:
        if request.project_id is not None:
            self.gateway.use_policy(request.project_id, get_project(self.engine, request.project_id))
        return asyncio.run_coroutine_threadsafe(self._one(request, record), self.loop).result()


_callers: dict[tuple[str, int], _Caller] = {}
_lock = threading.Lock()


def call(
    engine: Engine, lookup: KeyLookup, request: CallRequest, record: Callable[[CallRequest, CallResult], Any]
) -> CallResult:
    """``request`` through the process's shared gateway for ``engine``; ``record`` makes the
    answer's report from the result (its return value is ``CallResult.record``)."""
    key = (engine.url.render_as_string(hide_password=False), id(lookup))
    with _lock:
        if key not in _callers:
            _callers[key] = _Caller(engine, lookup)
        caller = _callers[key]
    return caller.call(request, record)


async def call_async(
    engine: Engine, lookup: KeyLookup, request: CallRequest, record: Callable[[CallRequest, CallResult], Any]
) -> CallResult:
    """``call`` for asyncio applications, on their own loop (a gateway of its own per call)."""
    ANSWERING.set(record)
    async with Gateway(engine, lookup=lookup, recorder=_record) as gateway:
        return await gateway.call(request)
