"""A page following a run wakes when something changes, not at its next poll: the last answer
of a Compare run is drawn, and the page's final figures follow, as soon as it is stored."""

from __future__ import annotations

import threading

from workbench.runs.live import LiveRun
from workbench.runs.plan import Cell

FOREVER_S = 600.0  # never reached: each wait below ends on a change


def follower(live: LiveRun, wait: str, since: int) -> tuple[threading.Thread, threading.Event]:
    woke = threading.Event()

    def run() -> None:
        if wait == "change":
            live.wait_for_change(since, FOREVER_S)
        else:
            live.wait_until_finished(FOREVER_S)
        woke.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, woke


def test_every_change_bumps_the_version_and_wakes_a_waiting_follower() -> None:
    cell = Cell(prompt_version_id=1, model_id=1, variables={"q": "hello"})
    live = LiveRun([cell], ["Model"])
    before = live.snapshot().version
    live.wait_for_change(before - 1, FOREVER_S)  # an older version: returns at once
    thread, woke = follower(live, "change", before)
    assert not woke.is_set()
    live.cell_delta(cell, "Hel")
    thread.join(FOREVER_S)
    assert woke.is_set() and live.snapshot().version == before + 1
    assert live.snapshot().cells[0].text == "Hel"


def test_the_end_of_the_run_wakes_a_follower_waiting_for_it() -> None:
    cell = Cell(prompt_version_id=1, model_id=1, variables={})
    live = LiveRun([cell], ["Model"])
    thread, woke = follower(live, "finished", 0)
    live.cell_started(cell)
    live.cell_delta(cell, "streamed words do not end the wait")
    assert not woke.is_set() or live.snapshot().finished
    live.run_finished("completed", None)
    thread.join(FOREVER_S)
    assert woke.is_set() and live.snapshot().finished
