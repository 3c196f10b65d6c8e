"""Gallery: weak and strong prompts side by side with the reasons; one click starts a draft."""

import streamlit as st

from workbench.prompts import drafts
from workbench.prompts.checklist import check
from workbench.prompts.gallery import Example, Pair, load_gallery
from workbench.ui.authoring import draft_state
from workbench.ui.authoring.template_view import template_text
from workbench.ui.shell import state
from workbench.ui.shell.nav import page_script, spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Gallery", spec("pages/gallery.py").explanation)
ALL = "All tasks"


def start(item_id: str, side: str) -> None:
    """Open the item on the Draft page as a new prompt (saved only when the user saves it)."""
    point = gallery.starting_point(item_id, side)
    project_id = state.active_project_id()
    draft_state.load(
        point.system,
        point.user,
        point.sample_variables,
        origin=draft_state.Origin(),
        name=drafts.free_prompt_name(get_engine(), project_id, point.name) if project_id else point.name,
        note=point.change_note,
    )
    draft_state.flash(f"'{point.name}' is in the editor as a new prompt. Adapt it, then save it.")
    st.switch_page(page_script("pages/draft.py"))


def checklist_caption(example: Example) -> None:
    count = len(check(example.system, example.user, dict(example.sample_variables)))
    st.caption(
        f"The checklist finds {count} weakness{'es' if count != 1 else ''} in it."
        if count
        else "The checklist finds nothing to fix."
    )


def side(pair: Pair, which: str, heading: str, reasons_title: str) -> None:
    """One half of a pair: the prompt, what the checklist says, a typical answer, the reasons."""
    example = pair.bad if which == "bad" else pair.good
    st.markdown(heading)
    st.code(template_text(example.system, example.user), language=None, wrap_lines=True)
    checklist_caption(example)
    if example.result:
        st.caption(f"Typical answer: “{example.result}”")
    reasons = pair.why_weak if which == "bad" else pair.why_works
    st.markdown(f"**{reasons_title}**\n" + "\n".join(f"- {reason}" for reason in reasons))
    if which == "bad":
        if st.button("Start from the weak one", key=f"bad_{pair.id}", help="Practise fixing it yourself"):
            start(pair.id, "bad")
    elif st.button("Start a prompt from this", key=f"good_{pair.id}", type="primary"):
        start(pair.id, "good")


with shows_errors():
    gallery = load_gallery()
    task = st.selectbox("Task", [ALL, *gallery.tasks()], key="gallery_task")
    pairs_tab, starters_tab = st.tabs(["Good and weak examples", "Starter templates"])

    with pairs_tab:
        pairs = [p for p in gallery.pairs if task in (ALL, p.task)]
        if not pairs:
            st.info("No example pair for this task yet; see the starter templates.")
        for index, pair in enumerate(pairs):
            with st.expander(f"**{pair.title}** · {pair.task}", expanded=index == 0):
                if pair.source:
                    st.caption(f"Source: {pair.source}")
                weak, strong = st.columns(2, gap="large")
                with weak:
                    side(pair, "bad", ":red[:material/thumb_down:] **Weak prompt**", "Why it is weak")
                with strong:
                    side(pair, "good", ":green[:material/thumb_up:] **Strong prompt**", "Why it works")

    with starters_tab:
        starters = [s for s in gallery.starters if task in (ALL, s.task)]
        if not starters:
            st.info("No starter template for this task yet.")
        for starter in starters:
            with st.container(border=True):
                st.markdown(f"**{starter.title}** · {starter.task}")
                st.caption(starter.description)
                st.code(
                    template_text(starter.template.system, starter.template.user),
                    language=None,
                    wrap_lines=True,
                )
                if st.button("Start a prompt from this", key=f"starter_{starter.id}", type="primary"):
                    start(starter.id, "starter")
