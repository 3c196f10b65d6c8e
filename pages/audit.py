"""Audit: filter the append-only log of who changed what, see before/after, export it as CSV."""

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from workbench.governance import access
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.lookup import id_of
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Audit", spec("pages/audit.py").explanation)
engine = get_engine()
ANYONE = "Anyone"


def record_export(count: int) -> None:
    audit.record_now(engine, actor=state.user_name(), action="export.audit_csv", after={"rows": count})


with shows_errors():
    visible = auth.visible(engine, project_records.list_projects(engine))
    email = auth.current_email()
    auditable = [p for p in visible if access.can(engine, email, p.id, "audit.view")]
    if not auditable and not auth.allowed("audit.view", state.active_project_id()):
        st.stop()  # signed in, but admin of no project (without sign-in everything is open)
    names = {id_of(p): p.name for p in auditable}
    active = state.active_project_id()

    top = st.columns([3, 2, 3])
    chosen = top[0].multiselect(
        "Projects",
        list(names),
        default=[active] if active in names else [],
        format_func=lambda k: names[k],
        key="audit:projects",
        placeholder="All projects you administer",
    )
    actor = top[1].selectbox("Who", [ANYONE, *audit.actors(engine)], key="audit:actor")
    actions = top[2].multiselect(
        "Actions",
        audit.known_actions(engine),
        key="audit:actions",
        placeholder="Any action",
        help="\n".join(f"- `{k}`: {v}" for k, v in audit.ACTIONS.items()),
    )
    bottom = st.columns([3, 3, 2])
    today = datetime.now(UTC).date()
    period = bottom[0].date_input(
        "From – to (UTC)", value=(today - timedelta(days=30), today), key="audit:dates"
    )
    text = bottom[1].text_input("Contains", key="audit:text", placeholder="e.g. production, restricted, dana")
    workspace = bottom[2].checkbox(
        "Workspace events",
        value=True,
        key="audit:workspace",
        help="Events that belong to no project: endpoints, models, the sign-in switch.",
    )

    start, end = period if isinstance(period, tuple) and len(period) == 2 else (period, period)
    start = start if isinstance(start, date) else today
    end = end if isinstance(end, date) else start
    events = audit.search(
        engine,
        project_ids=chosen or list(names),
        include_workspace=workspace,
        actor=None if actor == ANYONE else actor,
        actions=actions or None,
        since=datetime.combine(start, time.min, UTC),
        until=datetime.combine(end + timedelta(days=1), time.min, UTC),
        text=text,
    )
    rows = audit.as_rows(events, names)
    st.caption(
        f"{len(rows)} event{'' if len(rows) == 1 else 's'}, newest first. The log is append-only: nothing here can be changed."
    )
    if not rows:
        st.info("No event matches these filters.")
        st.stop()
    frame = pd.DataFrame(rows)
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={"id": st.column_config.NumberColumn(width="small")},
    )
    st.download_button(
        "Export CSV",
        audit.to_csv(events, names),
        file_name=f"audit-{today:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit:csv",
        on_click=record_export,
        args=(len(rows),),
    )

    changed = [e for e in events if e.before is not None or e.after is not None]
    if changed:
        st.subheader("Before and after")
        labels = {
            e.id: f"#{e.id} · {e.at:%Y-%m-%d %H:%M} · {e.actor} · {e.action} {e.entity_id}" for e in changed
        }
        picked = st.selectbox("Event", list(labels), format_func=lambda k: labels[k], key="audit:event")
        event = next(e for e in changed if e.id == picked)
        left, right = st.columns(2)
        left.markdown("**Before**")
        left.json(event.before if event.before is not None else {})
        right.markdown("**After**")
        right.json(event.after if event.after is not None else {})

    per_day = (
        frame.assign(day=frame["at"].str[:10]).groupby(["day", "action"]).size().reset_index(name="events")
    )
    chart = px.bar(per_day, x="day", y="events", color="action", title="Events per day", height=280)
    st.plotly_chart(chart, width="stretch")
