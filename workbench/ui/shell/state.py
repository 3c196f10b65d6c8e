"""Session-state keys as named constants with typed getters.

Only ids and plain values live in session state, never ORM rows (they detach across reruns).
"""

from __future__ import annotations

import streamlit as st

ACTIVE_PROJECT_ID = "active_project_id"
RATER_NAME = "rater_name"
ACTIVE_PROMPT_ID = "active_prompt_id"


def active_project_id() -> int | None:
    value = st.session_state.get(ACTIVE_PROJECT_ID)
    return int(value) if value is not None else None


def set_active_project(project_id: int | None) -> None:
    st.session_state[ACTIVE_PROJECT_ID] = project_id


def active_prompt_id() -> int | None:
    value = st.session_state.get(ACTIVE_PROMPT_ID)
    return int(value) if value is not None else None


def set_active_prompt(prompt_id: int | None) -> None:
    st.session_state[ACTIVE_PROMPT_ID] = prompt_id


def user_name() -> str:
    """The name recorded on versions and ratings: the signed-in e-mail, else the typed name."""
    try:
        if st.user.get("is_logged_in"):
            return str(st.user.get("email") or st.user.get("name") or "")
    except Exception:  # st.user is unavailable outside a running app
        pass
    return str(st.session_state.get(RATER_NAME) or "").strip()
