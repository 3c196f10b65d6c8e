"""Reviewing generated candidates, one card each: edit the text, then accept or reject.

Each card is a fragment: accepting or rejecting redraws that card only. Accepted test cases go
to the chosen prompt's bench (with their source); accepted pairs join the fine-tuning export.
What was rejected automatically or merged is listed with the reason, so nothing disappears
silently.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.generate import acceptance, jobs
from workbench.runs import outputs
from workbench.store.engine import session_scope
from workbench.ui.shell import auth, state
from workbench.ui.shell.page import literal, shows_errors

PAGE_SIZE = 20
FIELDS = {"case": ("question", "answer", "quote"), "pair": ("question",)}
LABELS = {"question": "Question", "answer": "Expected answer", "quote": "Supporting quote"}


def collect_recent(engine: Engine, project_id: int) -> None:
    """Collect answers of recent generations that finished while nobody watched (idempotent)."""
    with session_scope(engine) as session:
        for run in outputs.list_runs(engine, kind=jobs.KIND, limit=5):
            if run.status != "running":
                jobs.collect(session, run.id)


@st.fragment
def card(engine: Engine, project_id: int, candidate_id: int, kind: str) -> None:
    with session_scope(engine) as session:
        found = [
            c
            for c in acceptance.candidates(session, project_id, kind, statuses=acceptance.REVIEWABLE)
            if c.id == candidate_id
        ]
    if not found:
        return
    item = found[0]
    with st.container(border=True, key=f"gen_card_{candidate_id}"):
        if item.status != "proposed":
            st.markdown(
                f"~~{literal(item.question)}~~"
                if item.status == "rejected"
                else f":green[:material/check:] {literal(item.question)}"
            )
            st.caption(f"{item.status.capitalize()} · {literal(item.document)}")
            return
        st.caption(f"From {literal(item.document)}")
        typed = {}
        for field in FIELDS[kind]:
            label = LABELS[field] if kind == "case" else "Prompt (the document is its answer)"
            typed[field] = st.text_area(
                label, getattr(item, field), key=f"gen_{field}_{candidate_id}", height=68
            )
        if kind == "pair":
            st.caption("Answer: " + literal(item.answer[:300]) + ("…" if len(item.answer) > 300 else ""))
        accept, reject, _ = st.columns([1, 1, 4])
        if accept.button("Accept", key=f"gen_accept_{candidate_id}", icon=":material/check:"):
            _decide(engine, project_id, item, typed, accept=True)
        if reject.button("Reject", key=f"gen_reject_{candidate_id}", icon=":material/close:"):
            _decide(engine, project_id, item, typed, accept=False)


def _decide(
    engine: Engine, project_id: int, item: acceptance.CandidateView, typed: dict[str, str], *, accept: bool
) -> None:
    if not auth.allowed("documents.edit", project_id):
        return
    changes = {k: v for k, v in typed.items() if v.strip() != getattr(item, k)}
    done = False
    with shows_errors(), session_scope(engine) as session:
        if changes and accept:
            acceptance.edit(session, project_id, item.id, changes, actor=state.user_name())
        acceptance.review(
            session,
            project_id,
            accept=[item.id] if accept else [],
            reject=[] if accept else [item.id],
            actor=state.user_name(),
        )
        done = True
    if done:
        st.rerun(scope="fragment")


def candidates(engine: Engine, project_id: int, kind: str) -> None:
    """The candidates waiting for review, then the ones set aside automatically."""
    with session_scope(engine) as session:
        waiting = acceptance.candidates(session, project_id, kind)
        set_aside = acceptance.candidates(session, project_id, kind, statuses=("invalid", "merged"))
        accepted = acceptance.candidates(session, project_id, kind, statuses=("accepted",))
    noun = "test cases" if kind == "case" else "pairs"
    st.markdown(f"#### To review: {len(waiting)} {noun}")
    st.caption(
        f"{len(accepted)} accepted so far."
        + (" Accepted cases are on the Bench page." if kind == "case" else "")
    )
    if (
        waiting
        and st.button(f"Accept all {min(len(waiting), PAGE_SIZE)} shown", key=f"gen_accept_all_{kind}")
        and auth.allowed("documents.edit", project_id)
    ):
        with shows_errors(), session_scope(engine) as session:
            acceptance.review(
                session, project_id, accept=[c.id for c in waiting[:PAGE_SIZE]], actor=state.user_name()
            )
        st.rerun()
    for item in waiting[:PAGE_SIZE]:
        card(engine, project_id, item.id, kind)
    if len(waiting) > PAGE_SIZE:
        st.caption(f"{len(waiting) - PAGE_SIZE} more after these.")
    if set_aside:
        with st.expander(f"Set aside automatically: {len(set_aside)}", icon=":material/filter_alt_off:"):
            for item in set_aside:
                st.markdown(f"- **{literal(item.question or '(no question)')}** · {literal(item.reason)}")
