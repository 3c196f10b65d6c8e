"""Sign-in and role checks for pages (the Streamlit side of ``workbench.governance.access``).

Pages call one function before each guarded action::

    if auth.allowed("version.save", project_id):   # shows why not when refused
        with session_scope(engine) as session:
            versions.save_version(session, ...)

The router calls ``gate(engine)`` before building the menu: with sign-in switched on, a visitor
who has not signed in sees only the sign-in screen. Sign-in uses Streamlit's ``st.login``
against the OIDC provider configured under ``[auth]`` in ``.streamlit/secrets.toml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine

from workbench.governance import access, workbench_admins
from workbench.ui.shell import state
from workbench.ui.shell.resources import get_engine

REQUIRED_AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
T = TypeVar("T")


def current_email() -> str | None:
    """The signed-in person's e-mail, or ``None`` (not signed in, or sign-in unavailable)."""
    try:
        if st.user.get("is_logged_in"):
            return access.normalise_email(str(st.user.get("email") or "")) or None
    except Exception:  # st.user outside a running app
        return None
    return None


def auth_config_problem() -> str | None:
    """What is missing from ``[auth]`` in secrets.toml for ``st.login``, or ``None``."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # no secrets.toml at all
        section = None
    if not section:
        return "`.streamlit/secrets.toml` has no `[auth]` section."
    missing = [k for k in REQUIRED_AUTH_KEYS if k not in section]
    if missing:
        return f"`[auth]` in `.streamlit/secrets.toml` lacks {', '.join(f'`{k}`' for k in missing)}."
    return None


def _signin_screen(problem: str | None) -> None:
    st.title("Prompt Workbench")
    st.caption("This workbench is shared by a team: sign in to see its projects.")
    if problem:
        st.error(
            f"Sign-in is switched on, but {problem} Add the OIDC settings there (see the README, "
            '"Sign-in for teams") and restart the app.',
            icon=":material/lock:",
        )
        return
    st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login, key="signin_button")


def gate(engine: Engine) -> None:
    """Stop the run unless the visitor may see the app (always, when sign-in is off)."""
    if not access.signin_enabled(engine):
        return
    email = current_email()
    if email is None:
        _signin_screen(auth_config_problem())
        st.stop()
    access.bootstrap(engine, email)
    if not access.roles_of(engine, email) and not workbench_admins.is_workbench_admin(engine, email):
        st.title("Prompt Workbench")
        st.info(
            f"You are signed in as **{email}** but have no role in any project yet. Ask an admin to add you."
        )
        st.button("Sign out", on_click=st.logout, key="signout_norole")
        st.stop()


def visible(engine: Engine, rows: Sequence[T]) -> list[T]:
    """The projects (rows with ``.id``) this visitor may open."""
    readable = access.readable_projects(engine, current_email())
    return list(rows) if readable is None else [r for r in rows if r.id in readable]  # type: ignore[attr-defined]


def why_not(action: str, project_id: int | None = None, *, engine: Engine | None = None) -> str | None:
    """Why the current visitor may not do ``action`` (``None`` when allowed); shows nothing."""
    pid = state.active_project_id() if project_id is None else project_id
    return access.denial_reason(engine or get_engine(), current_email(), pid, action)


def allowed(
    action: str, project_id: int | None = None, *, explain: bool = True, engine: Engine | None = None
) -> bool:
    """True when the current visitor may do ``action`` in the project (the active one by
    default); otherwise shows why (unless ``explain=False``) and returns False."""
    reason = why_not(action, project_id, engine=engine)
    if reason and explain:
        st.warning(reason, icon=":material/lock:")
        if action in workbench_admins.GLOBAL_ACTIONS:  # an attempt at a global setting: on record
            workbench_admins.record_refusal(
                engine or get_engine(), actor=state.user_name(), action=action, reason=reason, project_id=None
            )
    return reason is None


def project_creation_allowed() -> str | None:
    """Why the visitor may not create a project, or ``None``."""
    return access.project_creation_denial(get_engine(), current_email())


def signout_button() -> None:
    if current_email():
        st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:", key="signout")
