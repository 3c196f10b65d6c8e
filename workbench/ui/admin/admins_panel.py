"""The Team page's "Workbench admins" panel: who administers the whole workbench (endpoints and
keys, the sign-in switch, this list), as distinct from the admins of one project."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy import Engine

from workbench.governance import workbench_admins
from workbench.store.engine import session_scope
from workbench.ui.shell import auth, state


def admins_panel(engine: Engine, done: Callable[[str], None]) -> None:
    st.subheader("Workbench admins")
    st.caption(
        "They manage what reaches every project: endpoints and where each key is sent, the sign-in "
        "switch and this list. A project's admins manage only that project."
    )
    current = workbench_admins.admins(engine)
    configured = set(workbench_admins.configured())
    st.markdown(
        "  \n".join(
            f"- {email}" + (" (from WORKBENCH_ADMINS)" if email in configured else "") for email in current
        )
        or "Nobody yet: name one in WORKBENCH_ADMINS, or switch sign-in off and on again naming a first admin."
    )
    add, remove = st.columns(2)
    with add.form("team:admin_add", clear_on_submit=True):
        email = st.text_input(
            "E-mail of the new workbench admin", key="team:admin_email", placeholder="dana@example.com"
        )
        if st.form_submit_button("Make workbench admin") and auth.allowed("admins.manage"):
            with session_scope(engine) as session:
                workbench_admins.add(session, actor=state.user_name(), email=email)
            done(f"{email} is now a workbench admin.")
    with remove.form("team:admin_remove"):
        stored = [e for e in current if e not in configured]
        leaving = st.selectbox("Remove", stored, key="team:admin_leaving")
        if st.form_submit_button("Remove workbench admin", disabled=not stored) and auth.allowed(
            "admins.manage"
        ):
            with session_scope(engine) as session:
                workbench_admins.remove(session, actor=state.user_name(), email=leaving or "")
            done(f"{leaving} is no longer a workbench admin.")
