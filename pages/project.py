"""Project: frame the use case (user story, five P's), set measurable KPIs and the data rules."""

import streamlit as st

from workbench.projects import framing, project_records
from workbench.ui.admin.send_check import check_panel
from workbench.ui.project import kpi_view, project_forms
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

header("Project", spec("pages/project.py").explanation)
engine = get_engine()
project_forms.new_project(engine)
project_forms.show_flash()
project_id = state.active_project_id()
if project_id is None:
    st.info("There is no project yet. Create one with **New project** above.")
    st.stop()

with shows_errors():
    if not auth.allowed("project.view", project_id):
        st.stop()
    project = project_records.get_project(engine, project_id)
    st.subheader(safe_markdown(project.name))
    st.markdown(f"> {safe_markdown(framing.story_sentence(project))}")
    missing = framing.missing_fields(project)
    if missing:
        st.caption(f"Still to frame: {', '.join(missing)}.")
    st.caption(
        f"Data sensitivity: **{project.sensitivity}** — {framing.SENSITIVITY_HELP[project.sensitivity]}"
    )

    st.markdown("#### Success criteria: where they stand")
    kpi_view.dashboard(engine, project)

    use_case, criteria, governance, check = st.tabs(
        ["Use case", "Success criteria", "Data governance", "Check before sending"],
        key="project_tabs",  # keyed: a save's confirmation above them no longer sends you back to the first
    )
    with use_case:
        project_forms.use_case(engine, project)
    with criteria:
        project_forms.success_criteria(engine, project)
    with governance:
        project_forms.data_governance(engine, project)
    with check:
        st.caption(
            "Every prompt is checked like this before it goes to a provider other than the offline "
            "Echo: try pasted text or a rendered version against an endpoint."
        )
        check_panel(engine, project)
