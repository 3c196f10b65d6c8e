"""Home: the active project's use case, its prompts, and how far the work has got."""

import pandas as pd
import streamlit as st

from workbench.projects import overview, project_records
from workbench.ui.shell import state
from workbench.ui.shell.nav import PAGES, spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

header("Prompt Workbench", spec("pages/home.py").explanation)
engine = get_engine()
project_id = state.active_project_id()

with shows_errors():
    if project_id is None:
        st.info("There is no project yet. Projects hold a use case and its prompts.")
        st.stop()
    project = project_records.get_project(engine, project_id)
    summary = overview.project_overview(engine, project_id)

    st.subheader(safe_markdown(project.name))
    if project.persona or project.want:
        st.markdown(
            safe_markdown(
                f"> As a **{project.persona or '…'}**, I want to **{project.want or '…'}** "
                f"so that **{project.so_that or '…'}**."
            )
        )
    if project.description:
        st.markdown(safe_markdown(project.description))
    st.caption(f"Data sensitivity: **{project.sensitivity}**")

    cols = st.columns(5)
    cols[0].metric("Prompts", len(summary.prompts))
    cols[1].metric("Versions", summary.versions)
    cols[2].metric("Runs", summary.runs)
    cols[3].metric("Outputs", summary.outputs)
    cols[4].metric(
        "Ratings",
        summary.ratings,
        help="Average score " + (f"{summary.average_score:.2f} / 5" if summary.average_score else "—"),
    )

    st.subheader("Prompts")
    if summary.prompts:
        table = pd.DataFrame(
            [
                {
                    "Prompt": p.name,
                    "Latest version": p.latest_number,
                    "Labels": ", ".join(f"{k} → v{v}" for k, v in sorted(p.labels.items())) or "—",
                    "Bench cases": p.test_cases,
                    "Last change": p.latest_at,
                    "What it does": p.description,
                }
                for p in summary.prompts
            ]
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={"Last change": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
        )
    else:
        st.info("This project has no prompts yet.")

if len(PAGES) > 1:
    st.subheader("Where to go next")
    for page in PAGES[1:]:
        st.page_link(str(page.script), label=f"**{page.title}** — {page.explanation}", icon=page.icon)
