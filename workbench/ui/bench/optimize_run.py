"""Starting and following "Improve on the bench" from a page: the data-policy gate for every
endpoint the run would call, the start, progress by round with Cancel, and a rerun of the page
when it is over.

A request to run is kept in session state as the plan's JSON until the gate lets it go, so the
policy's warning and its buttons survive the reruns they cause. While it runs only the
``SearchProgress`` (plain values and thread events) is kept.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy import Engine

from workbench.evals import outbound
from workbench.improve import optimizer
from workbench.improve.optimization_plan import OptimizationPlan, requests_by_destination
from workbench.improve.search_progress import SearchProgress
from workbench.ui.admin.policy_check import gate_destinations
from workbench.ui.shell import state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.page import literal

PENDING = "optimize_pending"  # the plan (JSON) waiting for the data-policy gate
LIVE = "optimize_live"  # the SearchProgress being followed
SHOWN = "optimize_shown"  # the run the results section shows
ENDED = "optimize_ended"  # what to say once it is over
POLL_S = 0.2


def request(plan: OptimizationPlan) -> None:
    st.session_state[PENDING] = plan.to_json()


def running() -> SearchProgress | None:
    live: SearchProgress | None = st.session_state.get(LIVE)
    return live if live is not None and not live.snapshot().finished else None


def start_when_allowed(engine: Engine, project_id: int) -> None:
    """While a run is requested: the policy's verdict for each endpoint it would call (the
    answering model, the judge, the proposer); start once every one allows it, with the cases'
    values redacted if the person chose that."""
    data = st.session_state.get(PENDING)
    if not data:
        return
    plan = OptimizationPlan.from_json(data)
    redact = gate_destinations(
        engine, project_id=project_id, destinations=requests_by_destination(engine, plan), key="optimize_gate"
    )
    if redact is None:
        if st.button("Don't run", key="optimize_drop"):
            del st.session_state[PENDING]
            st.rerun()
        return
    del st.session_state[PENDING]
    if redact:
        plan = plan.with_bench(outbound.redacted(engine, plan.bench))
    progress = optimizer.start_optimization(engine, plan, actor=state.user_name(), lookup=lookup_key)
    st.session_state[LIVE] = progress
    st.session_state[SHOWN] = progress.optimization_id


def follow(progress: SearchProgress) -> None:
    """Progress by round (calls against the ceiling, the current step, one line per finished
    step) and Cancel, until the run is stored; then redraw the page."""
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    right.button("Cancel", icon=":material/stop:", key="optimize_cancel", on_click=progress.cancel)
    bar = left.progress(0.0, text="Starting…")
    steps = st.empty()
    shown = -1
    while True:
        snap = progress.snapshot()
        bar.progress(snap.fraction, text=snap.text)
        if len(snap.log) != shown:
            shown = len(snap.log)
            steps.markdown("\n".join(f"- {literal(line)}" for line in snap.log) or " ")
        if snap.finished:
            break
        time.sleep(POLL_S)
    st.session_state[ENDED] = (snap.optimization_id, snap.outcome, snap.phase)
    st.session_state[SHOWN] = snap.optimization_id
    st.rerun()


def say_how_it_ended() -> None:
    ended = st.session_state.pop(ENDED, None)
    if ended is None:
        return
    run_id, outcome, message = ended
    if outcome == "failed":
        st.error(f"Run #{run_id}: {literal(message)}", icon=":material/error:")
    elif outcome == "cancelled":
        st.warning(
            f"Run #{run_id} was cancelled: what it tested is below; nothing was saved.",
            icon=":material/stop:",
        )
    else:
        st.success(f"Run #{run_id} is done and saved: its report is below.", icon=":material/check_circle:")
