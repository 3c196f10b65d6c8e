"""Starting and following an evaluation from a page: the data-policy gate, the start, a
progress bar "N of M answers" with Cancel, and a rerun of the page when it is over.

A request to run (a new evaluation or a rerun of a stored one) is kept in session state as the
config's JSON until the gate lets it go, so the policy's warning and its buttons survive the
reruns they cause. Only the ``EvaluationProgress`` (counters and thread events) is kept while
the evaluation runs.
"""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy import Engine

from workbench.evals import evaluations, matrix, outbound
from workbench.evals.snapshot import EvaluationConfig
from workbench.ui.admin.policy_check import blocked, gate_destinations, rules_of
from workbench.ui.shell import state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.page import literal

PENDING = "evaluate_pending"  # (config JSON, data rules) waiting for the data-policy gate
LIVE = "evaluate_live"  # the EvaluationProgress being followed
SHOWN = "evaluate_shown"  # the evaluation the results section shows
ENDED = "evaluate_ended"  # what to say once it is over
BLOCKED = "evaluate_blocked"  # why the last request was refused (it was dropped, not kept)
POLL_S = 0.15


def request(engine: Engine, project_id: int, config: EvaluationConfig) -> None:
    """Run ``config`` once the data policy lets it go; it holds only under today's data rules."""
    st.session_state.pop(BLOCKED, None)
    st.session_state[PENDING] = (config.to_json(), rules_of(engine, project_id))


def _say_blocked() -> None:
    """A blocked request is dropped, never kept waiting: it must not start by itself later,
    when someone changes the data rules. What blocked it stays in view until the next request."""
    for reason in st.session_state.get(BLOCKED) or []:
        st.error(f"Blocked: {literal(reason)}", icon=":material/lock:")
    if st.session_state.get(BLOCKED):
        st.caption(
            "Nothing was sent, and nothing will be sent by itself. Once the project's data rules or the "
            "chosen models allow it, click Run evaluation again."
        )


def running() -> matrix.EvaluationProgress | None:
    live: matrix.EvaluationProgress | None = st.session_state.get(LIVE)
    return live if live is not None and not live.snapshot().finished else None


def start_when_allowed(engine: Engine, project_id: int) -> None:
    """While a run is requested: show the policy's verdict for each endpoint it would call,
    and start it once every one allows it (redacting the cases' values if so chosen)."""
    pending = st.session_state.get(PENDING)
    if pending and pending[1] != rules_of(engine, project_id):
        del st.session_state[PENDING]  # the rules changed while it waited: it never starts by itself
        st.session_state[BLOCKED] = ["The project's data rules changed since Run evaluation was clicked."]
        pending = None
    if not pending:
        _say_blocked()
        return
    config = EvaluationConfig.from_json(pending[0])
    redact = gate_destinations(
        engine,
        project_id=project_id,
        destinations=outbound.requests_by_destination(engine, config),
        key="evaluate_gate",
    )
    reasons = blocked(*st.session_state.get("evaluate_gate:gates", []))
    if reasons:  # shown by the gate just now; the request itself goes
        del st.session_state[PENDING]
        st.session_state[BLOCKED] = reasons
        st.caption("Nothing was sent, and nothing will be sent by itself: click Run evaluation again later.")
        return
    if redact is None:
        if st.button("Don't run", key="evaluate_drop"):
            del st.session_state[PENDING]
            st.rerun()
        return
    del st.session_state[PENDING]
    if redact:
        config = outbound.redacted(engine, config)
    progress = matrix.start_evaluation(engine, config, actor=state.user_name(), lookup=lookup_key)
    st.session_state[LIVE] = progress
    st.session_state[SHOWN] = progress.evaluation_id


def interrupted_notice(engine: Engine, report: evaluations.EvaluationReport, may_run: bool) -> None:
    """For an evaluation whose server stopped: what was saved and what is missing, and the
    button that checks the saved answers and runs only the missing cells."""
    progress = (report.evaluation.summary or {}).get(evaluations.INTERRUPTED, {})
    saved, missing = progress.get("saved", 0), progress.get("missing", 0)
    st.warning(
        f"Interrupted: the server stopped while this evaluation ran. {saved} answers were saved and "
        f"{missing} never came; the saved ones are not all checked yet.",
        icon=":material/power_off:",
    )
    label = f"Check the saved answers and run the {missing} missing" if missing else "Check the saved answers"
    if st.button(label, key="evaluate_resume", icon=":material/resume:", disabled=not may_run):
        evaluation_id: int = report.evaluation.id  # type: ignore[assignment]
        st.session_state[LIVE] = matrix.start_resume(
            engine, evaluation_id, actor=state.user_name(), lookup=lookup_key
        )
        st.rerun()


def follow(progress: matrix.EvaluationProgress) -> None:
    """Progress and Cancel until the evaluation is stored and scored, then redraw the page."""
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    right.button("Cancel", icon=":material/stop:", key="evaluate_cancel", on_click=progress.cancel)
    bar = left.progress(0.0, text="Starting…")
    while True:
        snap = progress.snapshot()
        bar.progress(snap.fraction, text=snap.text)
        if snap.finished:
            break
        time.sleep(POLL_S)
    st.session_state[ENDED] = (snap.evaluation_id, snap.phase, snap.error)
    st.session_state[SHOWN] = snap.evaluation_id
    st.rerun()


def say_how_it_ended() -> None:
    ended = st.session_state.pop(ENDED, None)
    if ended is None:
        return
    evaluation_id, phase, error = ended
    if error:
        st.error(f"Evaluation #{evaluation_id}: {literal(error)}", icon=":material/error:")
    elif phase == "failed":
        st.error(
            f"Evaluation #{evaluation_id} failed: no call returned an answer, so nothing was checked. "
            "It has no pass rate and is left out of the Library and Insights; the Cases tab says why "
            "each call failed.",
            icon=":material/error:",
        )
    elif phase == "cancelled":
        st.warning(
            f"Evaluation #{evaluation_id} was cancelled: the answers that came back are checked below.",
            icon=":material/stop:",
        )
    else:
        st.success(f"Evaluation #{evaluation_id} is done and saved.", icon=":material/check_circle:")
