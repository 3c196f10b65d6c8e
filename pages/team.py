"""Team: switch sign-in on or off, choose the workbench admins, and manage who holds which role
in the active project."""

import pandas as pd
import streamlit as st

from workbench.governance import access
from workbench.projects import project_records
from workbench.store.engine import session_scope
from workbench.store.tables import ROLES
from workbench.ui.admin.admins_panel import admins_panel
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

header("Team", spec("pages/team.py").explanation)
engine = get_engine()
project_id = state.active_project_id()
flash = st.session_state.pop("team:flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")


def done(message: str) -> None:
    st.session_state["team:flash"] = message
    st.rerun()


with shows_errors():
    st.subheader("Sign-in")
    enabled = access.signin_enabled(engine)
    problem = auth.auth_config_problem()
    if enabled:
        st.markdown(f"Sign-in is **on**. You are signed in as **{safe_markdown(auth.current_email())}**.")
        if st.button("Switch sign-in off", key="team:off") and auth.allowed("signin.switch"):
            with session_scope(engine) as session:
                access.set_signin(session, enabled=False, actor=state.user_name())
            done("Sign-in is off: the workbench is single-user again.")
    else:
        st.markdown(
            "Sign-in is **off**: the workbench runs single-user and the name typed in the sidebar is "
            "recorded. Switch it on for a team: everyone then signs in with your OIDC provider "
            "(Google, Microsoft, Okta, Auth0, Keycloak…) and holds a role per project."
        )
        if problem:
            st.warning(f"To switch it on, configure the provider first: {problem}", icon=":material/key:")
        first_admin = st.text_input(
            "First admin (an e-mail that will sign in)",
            key="team:first_admin",
            help="Becomes admin of every project, so someone can manage roles after the switch.",
        )
        if st.button("Switch sign-in on", key="team:on", type="primary", disabled=problem is not None):
            with session_scope(engine) as session:
                access.set_signin(
                    session, enabled=True, actor=state.user_name() or first_admin, first_admin=first_admin
                )
            done(f"Sign-in is on. {first_admin} is workbench admin and admin of every project.")

    if enabled:
        admins_panel(engine, done)

    if project_id is None:
        st.info("There is no project yet.")
        st.stop()
    project = project_records.get_project(engine, project_id)
    st.subheader(f"Roles in {safe_markdown(project.name)}")
    st.caption(
        "Viewer: read and rate. Editor: also draft, run and evaluate. Admin: also labels, exports, "
        "settings, data governance, roles and the audit log."
    )
    rows = access.members(engine, project_id)
    if rows:
        st.dataframe(
            pd.DataFrame([{"e-mail": m.email, "role": m.role, "since": m.created_at} for m in rows]),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info("Nobody holds a role in this project yet.")

    add, remove = st.columns(2)
    with add.form("team:add", clear_on_submit=True):
        email = st.text_input("E-mail", key="team:email", placeholder="dana@example.com")
        role = st.selectbox("Role", ROLES, key="team:role")
        if st.form_submit_button("Give role") and auth.allowed("members.manage", project_id):
            with session_scope(engine) as session:
                access.set_member(
                    session, actor=state.user_name(), project_id=project_id, email=email, role=role
                )
            done(f"{email} is now {role} of {project.name}.")
    with remove.form("team:remove"):
        leaving = st.selectbox("Remove", [m.email for m in rows], key="team:leaving")
        if st.form_submit_button("Remove role", disabled=not rows) and auth.allowed(
            "members.manage", project_id
        ):
            with session_scope(engine) as session:
                access.remove_member(session, actor=state.user_name(), project_id=project_id, email=leaving)
            done(f"{leaving} no longer has a role in {project.name}.")
