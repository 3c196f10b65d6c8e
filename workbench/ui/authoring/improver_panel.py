"""The "Improve with a model" panel: ask, show the rewrite as a diff, accept / edit / discard.

The proposal lives in session state as plain values until the user decides; only "Accept"
writes (a new version through ``drafts``), so discarding leaves nothing behind. What is sent
(the draft, its findings, raters' comments and low-rated answers) passes the project's data
policy first, like a Compare run: a warning with one-click redaction, or a block with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from workbench.improve import rewrite as improver
from workbench.prompts import checklist
from workbench.prompts.diffs import diff_templates
from workbench.prompts.templates import PromptTemplate
from workbench.ui.admin.policy_check import send_gate
from workbench.ui.authoring import draft_state
from workbench.ui.authoring.diff_view import show_template_diff
from workbench.ui.shell import auth, kept, model_menu, state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.nav import page_script
from workbench.ui.shell.page import shows_errors
from workbench.ui.shell.safe_markdown import safe_markdown

PROPOSAL = draft_state.PROPOSAL
PENDING = "improver_pending"  # the model asked for a rewrite, while the data-policy check waits
MODEL = "improver_model"


def render(engine: Engine, project_id: int, save: Callable[[str, str, str], None]) -> None:
    """``save(system, user, note)`` stores a version the way the page's Save button does."""
    options = {
        o.id: o
        for o in model_menu.model_options(engine, project_id)
        if not o.offline and o.problem != model_menu.NOT_ALLOWED  # Echo only repeats; the policy rules
    }
    if not options:
        st.info("No model can rewrite prompts for this project yet: add an endpoint in Settings.")
        return
    models = {i: o.label for i, o in options.items()}
    origin = draft_state.origin()
    findings = checklist.check(
        draft_state.text(draft_state.SYSTEM), draft_state.text(draft_state.USER), draft_state.values()
    )
    feedback = (
        improver.collect_feedback(engine, origin.prompt_id) if origin.prompt_id else improver.Feedback()
    )
    rated = f"{feedback.ratings} rating{'s' if feedback.ratings != 1 else ''} of this prompt's outputs"
    st.caption(
        f"Sends your draft, its {len(findings)} checklist finding{'s' if len(findings) != 1 else ''} and "
        f"{rated if feedback.ratings else 'its ratings (none yet)'} to the model you pick. "
        "You see the rewrite next to your draft before anything is saved."
    )
    if origin.prompt_id:
        st.page_link(
            page_script("pages/optimize.py"),
            label="Or improve it on its bench: edits tested on the test cases, only a better one kept",
            icon=":material/auto_fix_high:",
        )
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    if (
        st.session_state.get(MODEL) not in options
    ):  # this person's model from last time, else one that answers
        saved = (kept.recall(MODEL) or {}).get("id")
        runnable = [i for i, o in options.items() if o.runnable]
        st.session_state[MODEL] = saved if saved in options else next(iter(runnable or options))
    model_id = left.selectbox("Model", list(options), format_func=lambda i: options[i].shown, key=MODEL)
    kept.keep(MODEL, {"id": model_id})
    if right.button(
        "Ask for a rewrite", icon=":material/auto_fix_high:", key="improver_ask", width="stretch"
    ) and auth.allowed("prompt.improve", project_id):
        st.session_state.pop(PROPOSAL, None)
        st.session_state[PENDING] = model_id
    if st.session_state.get(PENDING) is not None:
        if st.session_state[PENDING] == model_id:
            with shows_errors():
                _ask(engine, project_id, model_id, models[model_id])
        else:
            st.session_state.pop(PENDING, None)  # another model was picked: ask again
    raw = st.session_state.get(PROPOSAL)
    if raw:
        _proposal(improver.Proposal(**raw), save)


def _ask(engine: Engine, project_id: int, model_id: int, label: str) -> None:
    """Check what would be sent against the project's data policy (warning, one-click redaction,
    or a block with its reason), then send what may go and keep the proposal."""
    st.session_state.pop(PENDING, None)
    request = improver.prepare_improvement(
        engine,
        model_id=model_id,
        system=draft_state.text(draft_state.SYSTEM),
        user=draft_state.text(draft_state.USER),
        values=draft_state.values(),
        prompt_id=draft_state.origin().prompt_id,
    )
    ready = send_gate(
        engine,
        project_id=project_id,
        endpoint=request.endpoint,
        requests=[request.messages],
        key="improver_gate",
    )
    if ready is None:
        st.session_state[PENDING] = model_id  # waiting for the person's choice
        if st.button("Don't send", key="improver_drop", icon=":material/close:"):
            st.session_state.pop(PENDING, None)
            st.rerun()
        return
    with st.spinner(f"Asking {label}…"):
        proposal = improver.send_improvement(
            engine,
            request,
            project_id=project_id,
            messages=ready[0],
            lookup=lookup_key,
            actor=state.user_name(),
        )
    st.session_state[PROPOSAL] = proposal.__dict__


def _proposal(proposal: improver.Proposal, save: Callable[[str, str, str], None]) -> None:
    st.markdown(f"**Rewrite proposed by {safe_markdown(proposal.model)}**")
    current = PromptTemplate(draft_state.text(draft_state.SYSTEM), draft_state.text(draft_state.USER))
    show_template_diff(
        diff_templates(current, PromptTemplate(proposal.system, proposal.user)), "Your draft", "Proposed"
    )
    if proposal.added_variables:
        st.caption(
            "New variables: "
            + ", ".join(proposal.added_variables)
            + " (give them example values before saving)."
        )
    if proposal.dropped_variables:
        st.warning(
            "The rewrite no longer uses: " + ", ".join(proposal.dropped_variables), icon=":material/warning:"
        )
    note = st.text_input("Change note", value=proposal.change_note, key="improver_note")
    accept, edit, discard = st.columns(3)
    if accept.button("Accept as new version", type="primary", key="improver_accept", width="stretch"):
        with shows_errors():
            save(proposal.system, proposal.user, note)
            st.session_state.pop(PROPOSAL, None)
            st.rerun()
    if edit.button("Edit before saving", key="improver_edit", width="stretch"):
        st.session_state.pop(PROPOSAL, None)
        draft_state.replace_texts(proposal.system, proposal.user, note)
        draft_state.flash("The rewrite is in the editor; nothing is saved yet.")
        st.rerun()
    if discard.button("Discard", key="improver_discard", width="stretch"):
        st.session_state.pop(PROPOSAL, None)
        draft_state.flash("Rewrite discarded. Nothing was saved.")
        st.rerun()
