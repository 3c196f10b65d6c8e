"""Starting a generation (test cases or fine-tuning pairs) and following it.

A generation is a run of the runner, as on Compare: the role check, the data-policy check on
exactly what would be sent (with "Redact and continue" where personal data was found), then the
run in the background with a progress bar and Cancel. Its answers become review candidates as
they are collected (``generate.jobs.collect``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import streamlit as st
from sqlalchemy import Engine

from workbench.documents import records
from workbench.generate import jobs
from workbench.generate.instructions import DEFAULT_PAIRS_EXAMPLE, DEFAULT_PAIRS_INSTRUCTION, PairsInstruction
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.runs.live import LiveRun
from workbench.runs.plan import Cell
from workbench.runs.runner import start_run
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.ui.admin.policy_check import gate_cells
from workbench.ui.documents import review_cards
from workbench.ui.shell import auth, state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.page import literal, shows_errors

LIVE = "documents_live"  # (kind, LiveRun) being followed
PENDING = "documents_pending"  # (kind, signature) Generate was clicked for, while the policy check waits
ENDED = "documents_ended"
POLL_S = 0.2


def _included(engine: Engine, project_id: int) -> dict[int, str]:
    with session_scope(engine) as session:
        return {id_of(d): d.title for d in records.list_documents(session, project_id) if not d.excluded}


def pick_model(engine: Engine, key: str) -> int | None:
    """One enabled model; the last one that answered comes first."""
    by_endpoint = {e.id: e for e in endpoints.list_endpoints(engine, include_disabled=False)}
    models = {
        m.id: endpoints.model_label(m, by_endpoint[m.endpoint_id])
        for m in endpoints.list_models(engine, enabled_only=True)
        if m.endpoint_id in by_endpoint and by_endpoint[m.endpoint_id].provider != "echo"
    }
    if not models:
        st.info("No model to generate with: add one in Settings (the offline Echo only repeats the prompt).")
        return None
    answered = [m for m in outputs.models_that_answered(engine) if m in models]
    order = answered + [m for m in models if m not in answered]
    return st.selectbox("Model that writes them", order, format_func=models.__getitem__, key=key)


def pick_documents(engine: Engine, project_id: int, key: str) -> list[int]:
    included = _included(engine, project_id)
    if not included:
        st.info("No included documents: add some on the Add tab first.")
        return []
    chosen = st.multiselect("From these documents", list(included), format_func=included.__getitem__, key=key)
    return list(chosen or [])


def cases_cells(engine: Engine, project_id: int) -> tuple[list[Cell] | None, str]:
    documents = pick_documents(engine, project_id, "gen_cases_docs")
    prompts = {p.id: p.name for p in versions.list_prompts(engine, project_id)}
    left, mid, right = st.columns([2, 2, 1])
    with left:
        prompt_id = (
            st.selectbox(
                "For the bench of", list(prompts), format_func=prompts.__getitem__, key="gen_cases_prompt"
            )
            if prompts
            else None
        )
    with mid:
        model_id = pick_model(engine, "gen_cases_model")
    count = right.number_input("Questions per passage", 1, 10, 3, key="gen_cases_count")
    if not (documents and prompt_id and model_id):
        return None, ""
    with shows_errors():
        request = jobs.CasesRequest(project_id, tuple(documents), model_id, prompt_id, per_passage=int(count))
        return jobs.case_cells(engine, request), json.dumps([documents, prompt_id, model_id, count])
    return None, ""


def pairs_cells(engine: Engine, project_id: int) -> tuple[list[Cell] | None, str]:
    documents = pick_documents(engine, project_id, "gen_pairs_docs")
    left, right = st.columns([4, 1])
    with left:
        model_id = pick_model(engine, "gen_pairs_model")
    count = right.number_input("Prompts per document", 1, 10, 2, key="gen_pairs_count")
    instruction = st.text_area(
        "Instruction to the model", DEFAULT_PAIRS_INSTRUCTION, height=110, key="gen_pairs_instruction"
    )
    example = st.text_area(
        "Few-shot example (a document and the prompt it answers)",
        DEFAULT_PAIRS_EXAMPLE,
        height=150,
        key="gen_pairs_example",
    )
    if not (documents and model_id):
        return None, ""
    with shows_errors():
        request = jobs.PairsRequest(
            project_id, tuple(documents), model_id, int(count), PairsInstruction(instruction, example)
        )
        return jobs.pair_cells(engine, request), json.dumps(
            [documents, model_id, count, instruction, example]
        )
    return None, ""


def controls(
    engine: Engine, project_id: int, kind: str, cells: Sequence[Cell] | None, signature: str
) -> None:
    """Generate (with the policy check), or the progress and Cancel of the running generation."""
    live = st.session_state.get(LIVE)
    if live is not None and not live[1].snapshot().finished:
        follow(engine, project_id)
        return
    label = "Generate test cases" if kind == "cases" else "Generate pairs"
    if st.button(
        label, type="primary", icon=":material/auto_awesome:", key=f"gen_{kind}_run", disabled=not cells
    ) and auth.allowed("documents.edit", project_id):
        st.session_state[PENDING] = (kind, signature)
    if st.session_state.get(PENDING) != (kind, signature) or not cells:
        if (st.session_state.get(PENDING) or ("",))[0] == kind:
            st.session_state.pop(PENDING, None)  # the inputs changed since Generate was clicked
        return
    ready = gate_cells(engine, project_id=project_id, cells=cells, key=f"gen_gate_{kind}")
    if ready is None:
        return
    st.session_state.pop(PENDING, None)
    run = LiveRun(ready, ["generation"])
    options = jobs.run_options(
        project_id, state.user_name(), kind, prompt_id=ready[0].variables.get("prompt_id")
    )
    run.attach(start_run(engine, ready, options, lookup=lookup_key, listener=run))
    st.session_state[LIVE] = (kind, run)
    follow(engine, project_id)


def follow(engine: Engine, project_id: int) -> None:
    kind, live = st.session_state[LIVE]
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    right.button("Cancel", icon=":material/stop:", key="gen_cancel", on_click=live.cancel)
    bar = left.progress(0.0, text="Starting…")
    while True:
        snap = live.snapshot()
        bar.progress(snap.progress, text=f"{snap.done} of {snap.total} calls answered")
        if snap.finished:
            break
        time.sleep(POLL_S)
    with session_scope(engine) as session:
        made = jobs.collect(session, snap.run_id)
    st.session_state[ENDED] = (kind, snap.run_id, made, snap.error, snap.cancel_requested)
    st.rerun()


def say_how_it_ended(kind: str) -> None:
    ended = st.session_state.get(ENDED)
    if not ended or ended[0] != kind:
        return
    st.session_state.pop(ENDED)
    _, run_id, made, error, cancelled = ended
    text = (
        f"Generation #{run_id}{' (cancelled)' if cancelled else ''}: {made.proposed} proposed for review, "
        f"{made.invalid} rejected automatically, {made.merged} merged as repeats, {made.failed_calls} calls failed."
    )
    if error:
        st.error(literal(error), icon=":material/error:")
    (st.success if made.proposed else st.warning)(text, icon=":material/auto_awesome:")


INTRO = {
    "cases": "A model writes question / expected answer / quote triples from each passage; a triple whose "
    "quote is not in its passage word for word is rejected, repeated questions are merged.",
    "pairs": "Reverse generation: for each document a model writes the prompts to which the document is the "
    "answer. Accepted pairs join the fine-tuning export; one document's pairs stay on one side of the split.",
}


def section(engine: Engine, project_id: int, kind: str) -> None:
    """One generation tab: what it does, its form, Generate (or the run's progress), how the
    last run ended, and the candidates waiting for review."""
    st.caption(INTRO[kind])
    cells, signature = (cases_cells if kind == "cases" else pairs_cells)(engine, project_id)
    controls(engine, project_id, kind, cells, signature)
    say_how_it_ended(kind)
    review_cards.candidates(engine, project_id, "case" if kind == "cases" else "pair")
