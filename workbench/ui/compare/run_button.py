"""Compare's Run button: the role check, the data-policy check on everything the run would
send, then the run in the background, followed by a ``LiveRun`` kept in session state.

Clicking Run marks the run as pending for the exact inputs on screen. While it is pending the
policy check (``gate_cells``) is shown on every rerun: nothing to say (the run starts at once),
a warning with "Redact and continue" / "Send unchanged", or a block with its reason. Changing
the inputs drops the pending run, so a run never starts on inputs nobody clicked Run for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from workbench.runs.live import LiveRun
from workbench.runs.outputs import RunSummary
from workbench.runs.plan import ModelChoice
from workbench.runs.runner import RowInput, RunOptions, plan, start_run
from workbench.store.tables import PromptVersion
from workbench.ui.admin.policy_check import blocked, gate_cells, rules_of
from workbench.ui.compare.inputs import MAX_MODELS, MIN_MODELS, empty_values
from workbench.ui.shell import auth, state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.page import literal

LIVE = "compare_live"  # the LiveRun being followed (plain data and a cancel flag, no rows)
RUN = "compare_run"
RUN_WHILE_BUSY = "compare_run_busy"  # the disabled Run shown while a run streams (see ``settle``)
RUN_PICK = "compare_run_pick"
RUN_PICK_AFTER_RUN = "compare_run_pick_after_run"
RUN_ERROR = "compare_run_error"
PENDING = "compare_pending"  # the inputs Run was clicked for, while the policy check waits
GATE = "compare_gate"
BLOCKED = "compare_blocked"  # (inputs, reasons) of the last Run the data policy refused
NOTHING_SENT = (
    "Nothing was sent, and nothing will be sent by itself: once the project's data rules or the chosen "
    "models allow it, click Run again."
)


def _signature(
    version: PromptVersion, choices: Sequence[tuple[ModelChoice, str]], rows: Any, cache: bool
) -> str:
    models = [[c.model_id, c.settings.to_dict()] for c, _ in choices]
    return json.dumps([version.id, models, rows, cache], sort_keys=True, default=str)


@dataclass
class RunControls:
    """Run and Cancel as drawn, and the run they started or follow."""

    live: LiveRun | None
    busy: bool
    run_slot: Any
    cancel_slot: Any
    run_key_drawn: bool  # Run under its usual key was drawn in this script run (not found busy)
    problem: str | None  # why Run cannot start (models or rows), shown beside it

    def settle(self) -> None:
        """After the followed run ended within this script run: Cancel goes, Run can be clicked.

        The page finishes a followed run in place instead of rerunning (a rerun redraws every
        element of the page in the browser). A run that found the page busy drew Run disabled
        under another key, so the enabled one can be drawn now without a duplicate key."""
        self.cancel_slot.empty()
        if not self.run_key_drawn:
            _run_button(self.run_slot, busy=False, disabled=self.problem is not None)


def _run_button(slot: Any, *, busy: bool, disabled: bool) -> bool:
    return bool(
        slot.button(
            "Run",
            type="primary",
            icon=":material/play_arrow:",
            disabled=disabled,
            key=RUN_WHILE_BUSY if busy else RUN,
        )
    )


def _start(engine: Engine, project_id: int, cells: list, titles: list[str], *, use_cache: bool) -> LiveRun:
    live = LiveRun(cells, titles)
    options = RunOptions(project_id=project_id, actor=state.user_name(), use_cache=use_cache)
    live.attach(start_run(engine, cells, options, lookup=lookup_key, listener=live))
    st.session_state[LIVE] = live
    st.session_state[RUN_PICK] = live.run_id
    st.session_state[RUN_ERROR] = None
    return live


def _picked_after_run() -> None:
    st.session_state[RUN_PICK] = st.session_state[RUN_PICK_AFTER_RUN]


def pick_run(slot: Any, runs: Sequence[RunSummary], *, after_run: bool = False) -> int:
    """ "Showing run" in ``slot``; the run picked.

    ``after_run``: drawn again, with the finished run's figures, in the script run that followed
    it (see ``RunControls.settle``). That copy has a key of its own (a key is drawn once per
    script run) and hands a choice made in it to the usual one. The usual one is always drawn
    first, so the browser holds the run just started even if this script run is interrupted."""
    labels = {r.id: r.label for r in runs}
    if after_run:
        st.session_state[RUN_PICK_AFTER_RUN] = st.session_state[RUN_PICK]
    elif st.session_state.get(RUN_PICK) not in labels:
        st.session_state[RUN_PICK] = runs[0].id
    return int(
        slot.selectbox(
            "Showing run",
            list(labels),
            format_func=labels.__getitem__,
            key=RUN_PICK_AFTER_RUN if after_run else RUN_PICK,
            on_change=_picked_after_run if after_run else None,
        )
    )


def run_controls(
    engine: Engine,
    project_id: int,
    version: PromptVersion,
    choices: Sequence[tuple[ModelChoice, str]],
    rows: list[dict[str, Any]],
    *,
    use_cache: bool,
) -> RunControls:
    """Run / Cancel and the policy check; a run starts in the background, followed by the page."""
    live: LiveRun | None = st.session_state.get(LIVE)
    busy = live is not None and not live.snapshot().finished
    problem = None
    if not MIN_MODELS <= len(choices) <= MAX_MODELS:
        problem = f"Pick {MIN_MODELS} to {MAX_MODELS} models to compare."
    elif not rows:
        problem = "Fill in at least one row of values."
    else:
        problem = empty_values(rows)
    # The data rules are part of what Run was clicked for: a run waiting for a choice never
    # starts by itself once they change.
    signature = _signature(version, choices, rows, use_cache) + rules_of(engine, project_id)
    left, right = st.columns([1, 5], vertical_alignment="center")
    run_slot, cancel_slot = left.empty(), right.empty()
    run_key_drawn = not busy
    clicked = _run_button(run_slot, busy=busy, disabled=busy or problem is not None)
    if clicked and auth.allowed("run.start", project_id):
        st.session_state[PENDING] = signature
        st.session_state.pop(BLOCKED, None)
    refused = st.session_state.get(BLOCKED)
    if refused and refused[0] == signature and PENDING not in st.session_state:
        for reason in refused[1]:
            st.error(f"Blocked: {literal(reason)}", icon=":material/lock:")
        st.caption(NOTHING_SENT)
    if st.session_state.get(PENDING) != signature:
        st.session_state.pop(PENDING, None)  # the inputs changed since Run was clicked
    elif not busy and problem is None:
        cells = plan([version.id], [c for c, _ in choices], [RowInput(r) for r in rows])  # type: ignore[list-item]
        ready = gate_cells(engine, project_id=project_id, cells=cells, key=GATE)
        if ready is not None:
            st.session_state.pop(PENDING, None)
            live, busy = _start(engine, project_id, ready, [t for _, t in choices], use_cache=use_cache), True
        elif reasons := blocked(*st.session_state.get(f"{GATE}:gates", [])):
            st.session_state.pop(PENDING, None)  # refused, not kept: it must never start by itself later
            st.session_state[BLOCKED] = (signature, reasons)
            st.caption(NOTHING_SENT)
        elif st.button("Don't run", key="compare_pending_drop", icon=":material/close:"):
            st.session_state.pop(PENDING, None)
            st.rerun()
    if busy and cancel_slot.button("Cancel", icon=":material/stop:", key="compare_cancel"):
        live.cancel()  # type: ignore[union-attr]
    if problem:
        right.caption(problem)
    return RunControls(live, busy, run_slot, cancel_slot, run_key_drawn=run_key_drawn, problem=problem)
