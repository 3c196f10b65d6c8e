"""Draft: write a prompt, fill its variables, preview the messages, fix what the checklist finds, save."""

import streamlit as st

from workbench.documents.context import settings_of, with_settings
from workbench.models.settings import CallSettings
from workbench.prompts import checklist, drafts, versions
from workbench.store.lookup import id_of
from workbench.ui.authoring import builder_form, draft_keeping, draft_state, improver_panel
from workbench.ui.authoring.prompt_picker import pick_prompt
from workbench.ui.authoring.template_view import show_findings, show_messages, show_template_error
from workbench.ui.documents import retrieval_panel
from workbench.ui.shell import state
from workbench.ui.shell.call_settings_inputs import call_settings_inputs
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Draft", spec("pages/draft.py").explanation)
engine = get_engine()
project_id = state.active_project_id()
if project_id is None:
    st.info("Create a project first: prompts belong to a project.")
    st.stop()
current_project: int = project_id  # for `save`: a global is not narrowed inside a function


def save(system: str, user: str, note: str) -> None:
    draft_keeping.save(engine, current_project, system, user, note)


prompt_ids = [id_of(p) for p in versions.list_prompts(engine, project_id)]
origin = draft_state.origin()
if not draft_state.is_loaded() or (origin.prompt_id is not None and origin.prompt_id not in prompt_ids):
    draft_keeping.reopen(engine, project_id, prompt_ids)  # this person's kept draft, if any
    origin = draft_state.origin()

draft_state.show_flash()
pick, status = st.columns([2, 3], vertical_alignment="bottom")
with pick:
    current = origin.prompt_id if origin.prompt_id is not None else draft_state.NEW
    picked = pick_prompt(engine, project_id, current=current, key="w_draft_prompt", allow_new=True)
if picked is not None and picked != current:
    if draft_keeping.open_prompt(engine, project_id, None if picked == draft_state.NEW else picked):
        draft_state.flash("Your unsaved changes to this prompt are back. Save them, or discard them.")
    st.rerun()

edit, side = st.columns([3, 2], gap="large")
with edit:
    if origin.prompt_id is None:
        draft_state.bound(
            st.text_input, "Name of the new prompt", draft_state.NAME, placeholder="e.g. Late order reply"
        )
    system = draft_state.bound(
        st.text_area,
        "System message (optional): who the model is and how it should behave",
        draft_state.SYSTEM,
        height=110,
        placeholder="e.g. You are a courteous customer service agent for an online store.",
    )
    user = draft_state.bound(
        st.text_area,
        "User message: the task, with {{ variables }} for the parts that change",
        draft_state.USER,
        height=230,
        placeholder="e.g. Reply to a customer asking why order #{{ order_id }} is late. Status: {{ status }}.",
    )
    st.caption(
        "The preview and the checklist update when you pause typing, click outside a box or press Ctrl+Enter."
    )
    with st.expander(
        "Context from documents", icon=":material/plagiarism:", expanded=draft_state.has_retrieval()
    ):
        names = drafts.preview(system, user, draft_state.values()).variables
        retrieval = retrieval_panel.settings_form(engine, project_id, names)

with side:
    st.markdown("#### Variables")
    filled = {retrieval.context_variable} if retrieval else set()
    names = [n for n in drafts.preview(system, user, draft_state.values()).variables if n not in filled]
    if not names:
        st.caption("No variables yet. Write {{ customer_name }} in a message to add one.")
    for name in names:
        draft_state.variable_input(name, placeholder="example value")
    values = draft_state.values()
    unused = [k for k, v in values.items() if k not in names and v.strip()]
    if unused and st.button("Forget values the template does not use", key="draft_forget"):
        draft_state.forget_values(unused)
        st.rerun()
    shown, found = retrieval_panel.with_context(engine, project_id, retrieval, values)
    result = drafts.preview(system, user, shown)
    retrieval_panel.show_passages(retrieval, found, values)
    st.markdown("#### Preview")
    if result.error is not None:
        show_template_error(result.error, system, user)
    else:
        show_messages(result.messages)
    st.markdown("#### Checklist")
    show_findings(checklist.check(system, user, shown))

with edit:
    with st.expander("Model settings saved with the version"):
        saved = CallSettings.from_dict(draft_state.params())
        typed = call_settings_inputs(saved, "w_draft").to_dict()
        draft_state.set_params(with_settings(typed, settings_of(draft_state.params())))
    note = draft_state.bound(
        st.text_input,
        "Change note: what changed and why",
        draft_state.NOTE,
        placeholder="e.g. Added the order status so the reply stops guessing",
    )
    if st.button("Save as new version", type="primary", icon=":material/save:", key="draft_save"):
        with shows_errors():
            save(system, user, note)
    draft_keeping.keep(project_id)  # after every change: a reload or another page loses nothing
    draft_keeping.status_line(status, engine, project_id)
    draft_state.keep_while_typing()  # ... including text still being typed

with st.expander(
    "Build from parts: role, task, context, audience, format, rules, example", icon=":material/construction:"
):
    builder_form.render()
with st.expander(
    "Improve with a model",
    icon=":material/auto_fix_high:",
    expanded=improver_panel.PROPOSAL in st.session_state,
):
    improver_panel.render(engine, project_id, save)
