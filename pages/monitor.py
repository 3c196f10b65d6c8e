"""Monitor: a prompt's releases in use, per release and per day, and "did the swap help?"."""

import streamlit as st

from workbench.monitor import figures
from workbench.prompts import label_history, versions
from workbench.ui.authoring.prompt_picker import pick_prompt
from workbench.ui.monitor import filters, guide, per_day, review_panel, swap_panel
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine

header("Monitor", spec("pages/monitor.py").explanation)
engine = get_engine()
project_id = require_project()

with shows_errors():
    if not auth.allowed("project.view", project_id):
        st.stop()
    prompt_id = pick_prompt(
        engine, project_id, current=state.active_prompt_id(), key="w_monitor_prompt", allow_new=False
    )
    if prompt_id is None:
        st.info("This project has no prompts yet. Write one on the Draft page.")
        st.stop()
    label, since, until, days = filters.choose(engine, prompt_id)
    if label is None:
        st.info(
            "This prompt has no label yet: point one (production, say) at a release on the Versions page."
        )
    else:
        swap_panel.show(engine, project_id, prompt_id, label, since, until)

    frame = figures.served_frame(engine, prompt_id=prompt_id, since=since, until=until)
    prompt_name = versions.get_prompt_row(engine, prompt_id).name
    if frame.empty:
        guide.no_answers_yet(prompt_name, label)
        guide.how_to_read()
        st.stop()
    names = figures.release_names(engine, {int(r) for r in frame["release_id"].dropna()})
    st.subheader("Per release and day")
    moves = [m for m in label_history.label_moves(engine, prompt_id) if label is None or m.label == label]
    per_day.show(engine, figures.daily(frame, names), moves, days, (since, until), prompt_name)
    review_panel.show(engine, project_id, prompt_id, names, since, until)
    guide.how_to_read()
