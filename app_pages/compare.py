"""Compare: one prompt version on 2–6 models at once, answers streaming into a grid."""

import streamlit as st

from workbench import outputs
from workbench.live import LiveRun
from workbench.runner import RowInput, RunOptions, plan, start_run
from workbench.ui import state
from workbench.ui.compare_inputs import MAX_MODELS, MIN_MODELS, pick_models, pick_version, variable_rows
from workbench.ui.nav import spec
from workbench.ui.output_cell import follow, render_grid
from workbench.ui.page import header, shows_errors
from workbench.ui.resources import get_engine
from workbench.ui.run_summary import summary
from workbench.ui.secrets import lookup_key

LIVE = "compare_live"  # the LiveRun being followed (plain data and a cancel flag, no rows)
RUN_PICK = "compare_run_pick"
RUN_ERROR = "compare_run_error"

header("Compare", spec("app_pages/compare.py").explanation)
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
    choices = pick_models(engine, version)
    rows = variable_rows(version)
    use_cache = st.toggle(
        "Reuse identical earlier answers (cache)",
        key="compare_cache",
        help="Same model, settings and rendered prompt as an earlier answer: show that answer again "
        "instead of paying for a new one. Marked 'cache hit' in the grid.",
    )

    live: LiveRun | None = st.session_state.get(LIVE)
    busy = live is not None and not live.snapshot().finished
    problem = None
    if not MIN_MODELS <= len(choices) <= MAX_MODELS:
        problem = f"Pick {MIN_MODELS} to {MAX_MODELS} models to compare."
    elif not rows:
        problem = "Fill in at least one row of values."
    left, right = st.columns([1, 5], vertical_alignment="center")
    cancel_slot = right.empty()
    if left.button(
        "Run",
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy or problem is not None,
        key="compare_run",
    ):
        cells = plan([version.id], [c for c, _ in choices], [RowInput(r) for r in rows])  # type: ignore[list-item]
        live = LiveRun(cells, [title for _, title in choices])
        options = RunOptions(project_id=project_id, actor=state.user_name(), use_cache=use_cache)
        live.attach(start_run(engine, cells, options, lookup=lookup_key, listener=live))
        st.session_state[LIVE] = live
        st.session_state[RUN_PICK] = live.run_id
        st.session_state[RUN_ERROR] = None
        busy = True
    if problem:
        right.caption(problem)
    elif busy and cancel_slot.button("Cancel", icon=":material/stop:", key="compare_cancel"):
        live.cancel()  # type: ignore[union-attr]

    runs = outputs.list_runs(engine, prompt_version_id=version.id)
    if not runs:
        st.caption("No runs of this version yet: the answers appear here, side by side.")
        st.stop()
    st.subheader("Answers")
    labels = {r.id: r.label for r in runs}
    if st.session_state.get(RUN_PICK) not in labels:
        st.session_state[RUN_PICK] = runs[0].id
    run_id = st.selectbox("Showing run", list(labels), format_func=labels.__getitem__, key=RUN_PICK)
    if busy and live is not None and live.run_id == run_id:
        snapshot = follow(live, columns=len(live.titles))
        st.session_state[RUN_ERROR] = snapshot.error
        st.rerun()  # redraw from the database: final figures, run list and summary
    if st.session_state.get(RUN_ERROR):
        st.error(st.session_state[RUN_ERROR], icon=":material/error:")
    titles, cells = outputs.stored_grid(engine, run_id)
    render_grid(cells, columns=len(titles))
    summary(cells, titles)
