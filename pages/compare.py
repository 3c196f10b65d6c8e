"""Compare: one prompt version on 2–6 models at once, answers streaming into a grid, rated in place."""

import streamlit as st

from workbench.runs import outputs
from workbench.ui.compare.grid_ratings import rated_grid, rating_options
from workbench.ui.compare.inputs import pick_models, pick_version
from workbench.ui.compare.output_cell import follow
from workbench.ui.compare.run_button import RUN_ERROR, RUN_PICK, run_controls
from workbench.ui.compare.run_summary import summary
from workbench.ui.compare.variable_table import variable_rows
from workbench.ui.shell import state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Compare", spec("pages/compare.py").explanation)
engine = get_engine()
project_id = state.active_project_id()

with shows_errors():
    if project_id is None:
        st.info("There is no project yet. Projects hold a use case and its prompts.")
        st.stop()
    version = pick_version(engine, project_id)
    if version is None:
        st.info("This project has no prompts yet. Write one first, then compare models on it.")
        st.stop()
    choices = pick_models(engine, project_id, version)
    rows = variable_rows(version)
    use_cache = st.toggle(
        "Reuse identical earlier answers (cache)",
        key="compare_cache",
        help="Same model, settings and rendered prompt as an earlier answer: show that answer again "
        "instead of paying for a new one. Marked 'cache hit' in the grid.",
    )
    live, busy = run_controls(engine, project_id, version, choices, rows, use_cache=use_cache)

    runs = outputs.list_runs(engine, prompt_version_id=version.id)
    if not runs:
        st.caption("No runs of this version yet: the answers appear here, side by side.")
        st.stop()
    st.subheader("Answers")
    labels = {r.id: r.label for r in runs}
    if st.session_state.get(RUN_PICK) not in labels:
        st.session_state[RUN_PICK] = runs[0].id
    run_id = st.selectbox("Showing run", list(labels), format_func=labels.__getitem__, key=RUN_PICK)
    kind, blind = rating_options()
    if busy and live is not None and live.run_id == run_id:
        if blind:
            st.caption(
                "Blind rating: the answers appear, shuffled and unnamed, once every call has finished."
            )
        snapshot = follow(live, columns=len(live.titles), show_cells=not blind)
        st.session_state[RUN_ERROR] = snapshot.error
        st.rerun()  # redraw from the database: final figures, run list and summary
    if st.session_state.get(RUN_ERROR):
        st.error(st.session_state[RUN_ERROR], icon=":material/error:")
    titles, cells = outputs.stored_grid(engine, run_id)
    rated_grid(
        engine, project_id, run_id, cells, len(titles), kind=kind, blind=blind, rater=state.user_name()
    )
    if not blind:  # per-model figures would name the models
        summary(cells, titles)
