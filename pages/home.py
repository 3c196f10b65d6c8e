"""Home: the active project's use case, its prompts, and how far the work has got."""

from datetime import datetime

import streamlit as st

from workbench.projects import overview, project_records
from workbench.ui.shell import state
from workbench.ui.shell.nav import PAGES, spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import markdown_table, safe_markdown

RECENT_PROMPTS = 12  # the rest are one click away, in the Library

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

    st.subheader(
        "Prompts",
        help="The ones changed last come first; the Library lists them all, with search and filters.",
    )
    if summary.prompts:
        recent = sorted(summary.prompts, key=lambda p: p.latest_at or datetime.min, reverse=True)
        st.markdown(
            markdown_table(
                [
                    {
                        "Prompt": p.name,
                        "Latest version": f"v{p.latest_number}" if p.latest_number else "—",
                        "Labels": ", ".join(f"{k} → v{v}" for k, v in sorted(p.labels.items())) or "—",
                        "Bench cases": p.test_cases,
                        "Last change (UTC)": f"{p.latest_at.day} {p.latest_at:%b %Y, %H:%M}"
                        if p.latest_at
                        else "—",
                        "What it does": p.description or "—",
                    }
                    for p in recent[:RECENT_PROMPTS]
                ]
            )
        )
        if len(recent) > RECENT_PROMPTS:
            st.page_link(
                str(spec("pages/library.py").script),
                label=f"The {RECENT_PROMPTS} changed last are shown: all {len(recent)} are in the Library",
                icon=":material/library_books:",
            )
    else:
        st.info("This project has no prompts yet.")

if len(PAGES) > 1:
    st.subheader("Where to go next")
    for page in PAGES[1:]:
        st.page_link(str(page.script), label=f"**{page.title}** — {page.explanation}", icon=page.icon)
