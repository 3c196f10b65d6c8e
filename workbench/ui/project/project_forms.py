"""The Project page's forms: use case, success criteria, data governance, new project.

Each form saves through ``project_records.update_project`` (which audits before/after) after the role
check for its action, then reruns so the dashboard above shows the new state.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.errors import WorkbenchError
from workbench.governance import access
from workbench.models import endpoints
from workbench.projects import framing, kpis, project_records
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import SENSITIVITY_LEVELS, Project
from workbench.ui.shell import auth, state
from workbench.ui.shell.page import literal
from workbench.ui.shell.sidebar import PROJECT_WIDGET

FLASH = "project:flash"
NEW_PROJECT_ERROR = "project:new_error"


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _save(engine: Engine, project: Project, action: str, message: str, **values: object) -> None:
    if not auth.allowed(action, project.id):
        return
    if not state.user_name():
        st.caption("Tip: type your name in the sidebar so the audit log says who changed this.")
    with session_scope(engine) as session:
        project_records.update_project(session, id_of(project), actor=state.user_name(), **values)
    st.session_state[FLASH] = message
    st.rerun()


def use_case(engine: Engine, project: Project) -> None:
    with st.form(f"use_case:{project.id}"):
        st.markdown("**User story** — a three-part sentence that tells you what you need to know.")
        values = {}
        for column, f in zip(st.columns(3), framing.USER_STORY, strict=True):
            values[f.name] = column.text_input(
                f.label,
                value=getattr(project, f.name),
                placeholder=f.example,
                key=f"uc:{project.id}:{f.name}",
            )
            column.caption(f.question)
        st.markdown("**The five P's**")
        for f in framing.FIVE_PS:
            values[f.name] = st.text_area(
                f"{f.label} — {f.question}",
                value=getattr(project, f.name),
                placeholder=f.example,
                key=f"uc:{project.id}:{f.name}",
                height=68,
            )
        description = st.text_area(
            "Description", value=project.description, key=f"uc:{project.id}:description"
        )
        if st.form_submit_button("Save use case", type="primary"):
            _save(engine, project, "project.edit", "Use case saved.", description=description, **values)


def _criteria_frame(project: Project) -> pd.DataFrame:
    columns = ["metric", "op", "target", "days", "label"]
    rows = [{k: c.get(k) for k in columns} for c in project.success_criteria or []]
    return pd.DataFrame(rows, columns=columns).astype({"target": "float", "days": "Int64"})


def success_criteria(engine: Engine, project: Project) -> None:
    st.caption(
        "Measurable success criteria: pick a metric, an operator and a target. Shares are written "
        "as fractions (0.95 = 95%), costs in US dollars, latency in milliseconds. Metrics in use "
        "(in_use_…) are measured on the answers applications served over the last Days days."
    )
    edited = st.data_editor(
        _criteria_frame(project),
        num_rows="dynamic",
        hide_index=True,
        key=f"kpis:{project.id}",
        column_config={
            "metric": st.column_config.SelectboxColumn("Metric", options=list(kpis.METRICS)),
            "op": st.column_config.SelectboxColumn("Operator", options=list(kpis.OPERATORS)),
            "target": st.column_config.NumberColumn("Target", format="%.4g"),
            "days": st.column_config.NumberColumn(
                "Days",
                min_value=1,
                max_value=kpis.MAX_DAYS,
                step=1,
                help=f"For metrics in use (in_use_…): over how many past days (default {kpis.DEFAULT_DAYS}).",
            ),
            "label": st.column_config.TextColumn("Label (optional)", width="large"),
        },
    )
    with st.expander("What each metric measures"):
        st.markdown("\n".join(f"- `{m.key}` — **{m.label}**: {m.explanation}" for m in kpis.METRICS.values()))
    if st.button("Save success criteria", key=f"kpis:{project.id}:save", type="primary"):
        criteria = kpis.validate_criteria(edited.to_dict("records"))
        _save(
            engine,
            project,
            "project.edit",
            f"{len(criteria)} success criteria saved.",
            success_criteria=criteria,
        )


def data_governance(engine: Engine, project: Project) -> None:
    st.caption(framing.SENSITIVITY_GUIDANCE)
    names = [e.name for e in endpoints.list_endpoints(engine)]
    with st.form(f"governance:{project.id}"):
        level = st.radio(
            "Data sensitivity",
            SENSITIVITY_LEVELS,
            index=SENSITIVITY_LEVELS.index(project.sensitivity),
            captions=[framing.SENSITIVITY_HELP[s] for s in SENSITIVITY_LEVELS],
            key=f"gov:{project.id}:level",
        )
        allowed = st.multiselect(
            "Endpoints allowed to receive this project's prompts",
            sorted(set(names) | set(project.allowed_providers or [])),
            default=project.allowed_providers or [],
            help="Confidential and restricted projects may send only to these. Echo never leaves the machine.",
            key=f"gov:{project.id}:allowed",
        )
        pii_names = st.text_area(
            "Personal names to look for (one per line)",
            value="\n".join(project.pii_names or []),
            help="Customers, employees or patients whose names must not reach a provider unredacted.",
            key=f"gov:{project.id}:names",
        )
        if st.form_submit_button("Save data governance", type="primary"):
            listed = [n.strip() for n in pii_names.splitlines() if n.strip()]
            _save(
                engine,
                project,
                "project.governance",
                "Data governance saved.",
                sensitivity=level,
                allowed_providers=allowed,
                pii_names=listed,
            )


def _create(engine: Engine) -> None:
    """Callback (runs before the script, so it may point the sidebar's picker at the new project)."""
    name = st.session_state.get("new_project:name", "")
    try:
        with session_scope(engine) as session:
            project = access.create_project_as(
                session, auth.current_email(), actor=state.user_name(), name=name
            )
    except WorkbenchError as exc:
        st.session_state[NEW_PROJECT_ERROR] = str(exc)
        return
    st.session_state.pop(NEW_PROJECT_ERROR, None)
    st.session_state["new_project:name"] = ""
    state.set_active_project(project.id)
    st.session_state[PROJECT_WIDGET] = project.id
    st.session_state[FLASH] = f"Project '{project.name}' created. Frame its use case below."


def new_project(engine: Engine) -> None:
    reason = auth.project_creation_allowed()
    with st.popover("New project", icon=":material/add:", disabled=reason is not None, help=reason):
        st.text_input("Name", key="new_project:name", placeholder="e.g. Refund request replies")
        st.button(
            "Create project", key="new_project:create", type="primary", on_click=_create, args=(engine,)
        )
    error = st.session_state.pop(NEW_PROJECT_ERROR, None)
    if error:
        st.error(literal(error), icon=":material/warning:")
