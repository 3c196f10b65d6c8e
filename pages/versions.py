"""Versions: history with what raters said per version and model, diffs, labels and rollback."""

import streamlit as st

from workbench.prompts import diffs, versions
from workbench.store.lookup import id_of
from workbench.ui.authoring import draft_state
from workbench.ui.authoring.diff_view import show_template_diff
from workbench.ui.authoring.label_panels import PROMPT_KEY, take_asked_move
from workbench.ui.authoring.prompt_picker import pick_prompt
from workbench.ui.authoring.version_panels import history_and_labels
from workbench.ui.shell import state
from workbench.ui.shell.nav import page_script, spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Versions", spec("pages/versions.py").explanation)
engine = get_engine()
project_id = state.active_project_id()
if project_id is None:
    st.info("Create a project first: prompts belong to a project.")
    st.stop()

with shows_errors():
    take_asked_move()  # "Promote" on another page opens the label move ready to press
    prompt_id = pick_prompt(
        engine, project_id, current=state.active_prompt_id(), key=PROMPT_KEY, allow_new=False
    )
    if prompt_id is None:
        st.info("This project has no prompts yet. Write one on the Draft page.")
        st.stop()
    rows = versions.list_versions(engine, prompt_id)  # newest first
    if not rows:
        st.info("This prompt has no saved version yet. Save one on the Draft page.")
        st.stop()
    numbers = {id_of(r): r.number for r in rows}
    label_of = {id_of(r): f"v{r.number} · {(r.change_note or '')[:60] or 'no note'}" for r in rows}

    history_and_labels(engine, project_id, prompt_id)  # a label move reruns this part only

    open_col, open_btn = st.columns([3, 1], vertical_alignment="bottom")
    to_open = open_col.selectbox(
        "Open a version in the editor", list(numbers), format_func=lambda k: label_of[k], key="versions_open"
    )
    if open_btn.button(
        "Open in Draft", icon=":material/edit_note:", key="versions_open_btn", width="stretch"
    ):
        draft_state.load_version(versions.get_version(engine, to_open))
        st.switch_page(page_script("pages/draft.py"))

    st.subheader("Compare two versions")
    ids = list(numbers)
    left_col, right_col = st.columns(2)
    left = left_col.selectbox(
        "Older", ids, index=min(1, len(ids) - 1), format_func=lambda k: label_of[k], key="versions_left"
    )
    right = right_col.selectbox(
        "Newer", ids, index=0, format_func=lambda k: label_of[k], key="versions_right"
    )
    diff = diffs.diff_versions(engine, left, right)
    show_template_diff(diff.templates, f"v{diff.left_number}", f"v{diff.right_number}")
    if diff.params:
        st.caption("Model settings: " + "; ".join(f"{name} {old} → {new}" for name, old, new in diff.params))
