"""Shared bits of the Library, Insights and Export pages: who sees which projects, opening a
prompt in the Draft page, and a chart that can be downloaded."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine

from workbench.exports.files import slug
from workbench.governance import access
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.lookup import id_of
from workbench.store.tables import Project
from workbench.ui.authoring import draft_keeping
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import page_script
from workbench.ui.shell.sidebar import PROJECT_WIDGET


def visible_projects(engine: Engine, action: str | None = None) -> list[Project]:
    """Projects the visitor may see (and, with ``action``, may do it in: e.g. ``"export"``)."""
    rows = auth.visible(engine, project_records.list_projects(engine))
    if action is None:
        return rows
    email = auth.current_email()
    return [p for p in rows if access.can(engine, email, p.id, action)]


def visible_ids(engine: Engine) -> frozenset[int] | None:
    """``None`` without sign-in (everything is visible), else the ids the visitor may open."""
    if not access.signin_enabled(engine):
        return None
    return frozenset(id_of(p) for p in visible_projects(engine))


def _open_in_draft(engine: Engine, prompt_id: int) -> None:
    """Button callback: make the prompt's project and the prompt active, load its latest version
    (or this person's unsaved draft of it).

    It runs before the script, so the sidebar's project box can still be set to the project."""
    prompt = versions.get_prompt_row(engine, prompt_id)
    st.session_state[PROJECT_WIDGET] = prompt.project_id
    state.set_active_project(prompt.project_id)
    state.set_active_prompt(prompt_id)
    draft_keeping.open_prompt(engine, prompt.project_id, prompt_id)


def open_in_draft_button(engine: Engine, prompt_id: int | None, *, key: str) -> None:
    """A button that opens ``prompt_id`` in the Draft page (switching project if needed)."""
    clicked = st.button(
        "Open in Draft",
        icon=":material/edit_note:",
        key=key,
        disabled=prompt_id is None,
        on_click=_open_in_draft if prompt_id is not None else None,
        args=(engine, prompt_id),
    )
    if clicked:
        st.switch_page(page_script("pages/draft.py"))


def chart_with_downloads(figure: go.Figure, data: pd.DataFrame, name: str, *, key: str) -> None:
    """Show ``figure`` with two downloads under it: its data as CSV and the chart as a
    standalone HTML page (plotly's own PNG button needs kaleido, which is not installed)."""
    st.plotly_chart(figure, key=f"{key}_chart", width="stretch")
    row = st.container(horizontal=True)
    row.download_button(
        "Data (CSV)",
        data=data.to_csv(index=False).encode("utf-8-sig"),
        file_name=f"{slug(name)}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{key}_csv",
        on_click="ignore",
    )
    row.download_button(
        "Chart (HTML)",
        data=figure.to_html(include_plotlyjs="cdn", full_html=True).encode("utf-8"),
        file_name=f"{slug(name)}.html",
        mime="text/html",
        icon=":material/download:",
        key=f"{key}_html",
        on_click="ignore",
    )
