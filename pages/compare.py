"""Compare: one prompt version on 2–6 models at once, answers streaming into a grid, rated in place."""

import streamlit as st

from workbench.runs import outputs
from workbench.ui.compare.grid_ratings import rated_grid, rating_options
from workbench.ui.compare.inputs import pick_models, pick_version
from workbench.ui.compare.output_cell import follow
from workbench.ui.compare.run_button import RUN_ERROR, pick_run, run_controls
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
    controls = run_controls(engine, project_id, version, choices, rows, use_cache=use_cache)

    runs = outputs.list_runs(engine, prompt_version_id=version.id)
    if not runs:
        st.caption("No runs of this version yet: the answers appear here, side by side.")
        st.stop()
    st.subheader("Answers")
    picker = st.empty()
    run_id = pick_run(picker, runs)
    live = controls.live
    following = controls.busy and live is not None and live.run_id == run_id
    kind, blind = rating_options()
    problem = st.empty()
    streamed = None
    if following and live is not None:
        waiting = st.empty()
        if blind:
            waiting.caption(
                "Blind rating: the answers appear, shuffled and unnamed, once every call has finished."
            )
        snapshot, streamed = follow(live, columns=len(live.titles), show_cells=not blind)
        waiting.empty()
        st.session_state[RUN_ERROR] = snapshot.error
        # Finished in place rather than rerun: the answers on screen stay; Run, the run's
        # figures, its rating controls and the summary are drawn now.
        controls.settle()
        run_id = pick_run(picker, outputs.list_runs(engine, prompt_version_id=version.id), after_run=True)
    if st.session_state.get(RUN_ERROR):
        problem.error(st.session_state[RUN_ERROR], icon=":material/error:")
    titles, cells = outputs.stored_grid(engine, run_id)
    rated_grid(
        engine,
        project_id,
        run_id,
        cells,
        len(titles),
        kind=kind,
        blind=blind,
        rater=state.user_name(),
        streamed=streamed,
    )
    if not blind:  # per-model figures would name the models
        summary(cells, titles)
