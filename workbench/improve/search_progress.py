"""Following an optimization while it runs: its phase and round, answers, calls and cost so
far, one line per finished step, and Cancel; plus the two pieces that count its calls and hold
its keys.

``SearchProgress`` is also the runner's listener for the search's runs, so a page sees every
answer arrive. It holds plain values and two thread events, never rows or keys, so it can sit
in a Streamlit session between reruns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workbench.models.gateway import CallRequest, CallResult, Recorder
from workbench.models.pricing import money
from workbench.models.providers.interface import EndpointConfig, KeyLookup
from workbench.models.providers.registry import key_env_for
from workbench.runs.plan import Cell
from workbench.runs.runner import RunListener
from workbench.store.tables import Output


@dataclass(frozen=True)
class SearchSnapshot:
    optimization_id: int
    phase: str
    round: int
    rounds: int
    answers_done: int
    answers_total: int
    calls_used: int
    max_calls: int
    cost_usd: float
    log: tuple[str, ...]
    finished: bool
    outcome: str | None
    error: str | None
    cancel_requested: bool

    @property
    def fraction(self) -> float:
        return min(1.0, self.calls_used / self.max_calls) if self.max_calls else 1.0

    @property
    def text(self) -> str:
        step = f" · {self.answers_done} of {self.answers_total} answers" if self.answers_total else ""
        stop = " · cancelling…" if self.cancel_requested and not self.finished else ""
        return (
            f"{self.phase}{step} · {self.calls_used} of {self.max_calls} calls · {money(self.cost_usd)}{stop}"
        )


class SearchProgress(RunListener):
    """What a page follows: the phase, the round, answers, calls and cost so far, one line per
    finished step, and Cancel. Holds no rows and no keys."""

    def __init__(self, optimization_id: int, max_calls: int, rounds: int) -> None:
        self.optimization_id = optimization_id
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._state: dict[str, Any] = {
            "phase": "Starting…",
            "round": 0,
            "rounds": rounds,
            "answers_done": 0,
            "answers_total": 0,
            "calls_used": 0,
            "max_calls": max_calls,
            "cost_usd": 0.0,
            "finished": False,
            "outcome": None,
            "error": None,
        }
        self._log: list[str] = []

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    def cancel(self) -> None:
        self._cancel.set()

    def cell_finished(self, cell: Cell, output: Output) -> None:
        with self._lock:
            self._state["answers_done"] += 1
            if output.latency_ms is not None:  # the provider was called
                self._state["calls_used"] += 1
                self._state["cost_usd"] += output.cost_usd or 0.0

    def step(self, phase: str, round_number: int, answers: int = 0) -> None:
        with self._lock:
            self._state.update(phase=phase, round=round_number, answers_done=0, answers_total=answers)

    def settle(self, calls: int, cost: float) -> None:
        with self._lock:
            self._state.update(calls_used=calls, cost_usd=cost)

    def note(self, line: str) -> None:
        with self._lock:
            self._log.append(line)

    def ended(self, outcome: str, message: str, error: str | None = None) -> None:
        with self._lock:
            self._state.update(finished=True, outcome=outcome, phase=message, error=error, answers_total=0)

    def snapshot(self) -> SearchSnapshot:
        with self._lock:
            return SearchSnapshot(
                optimization_id=self.optimization_id,
                log=tuple(self._log),
                cancel_requested=self._cancel.is_set(),
                **self._state,
            )


class Tally:
    """A recorder that counts the calls that reached a provider and their cost, then stores
    them as the wrapped recorder does."""

    def __init__(self, inner: Recorder) -> None:
        self.inner = inner
        self.calls = 0
        self.cost = 0.0

    async def __call__(self, request: CallRequest, result: CallResult) -> Any:
        if result.latency_ms is not None:
            self.calls += 1
            self.cost += result.cost_usd or 0.0
        return await self.inner(request, result)


def frozen_lookup(lookup: KeyLookup, configs: Iterable[EndpointConfig]) -> KeyLookup:
    """The keys the run needs, looked up now in the caller's thread (a page's secrets), kept in
    memory for the run's life only."""
    keys = {name: lookup(name) for name in (key_env_for(c) for c in configs) if name}
    return keys.get
