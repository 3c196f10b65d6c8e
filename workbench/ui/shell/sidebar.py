"""The shared sidebar: active project, configured providers, and who is working."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.models import endpoints
from workbench.models.providers.registry import is_configured, key_env_for
from workbench.projects import project_records
from workbench.ui.shell import auth, state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.safe_markdown import safe_markdown

PROJECT_WIDGET = "sidebar_project"


def _project_picker(engine: Engine) -> None:
    rows = auth.visible(engine, project_records.list_projects(engine))
    if not rows:
        st.sidebar.info("No project yet.")
        state.set_active_project(None)
        return
    ids = [p.id for p in rows]
    names = {p.id: p.name for p in rows}
    current = state.active_project_id()
    if current not in ids:
        current = ids[0]
    if st.session_state.get(PROJECT_WIDGET) not in ids:
        st.session_state[PROJECT_WIDGET] = current
    chosen = st.sidebar.selectbox("Project", ids, format_func=lambda i: names[i], key=PROJECT_WIDGET)
    state.set_active_project(chosen)


def _providers(engine: Engine) -> None:
    lines = []
    for endpoint in endpoints.list_endpoints(engine, include_disabled=False):
        config = endpoints.endpoint_config(endpoint)
        if is_configured(config, lookup_key):
            lines.append(f":green[:material/check_circle:] {safe_markdown(endpoint.name)}")
        else:
            lines.append(
                f":gray[:material/radio_button_unchecked:] {safe_markdown(endpoint.name)} — set `{key_env_for(config)}`"
            )
    st.sidebar.markdown(
        "**Providers**  \n" + "  \n".join(lines),
        help=(
            "Ticked: its key is set (or it needs none). Grey: needs an API key in the environment or "
            ".streamlit/secrets.toml. Whether the server answers: Settings → Test connection."
        ),
    )


def _who(engine: Engine) -> None:
    signed_in = False
    try:
        signed_in = bool(st.user.get("is_logged_in"))
    except Exception:
        signed_in = False
    if signed_in:
        st.sidebar.markdown(f"Signed in as **{safe_markdown(state.user_name())}**")
        auth.signout_button()
        return
    st.sidebar.text_input(
        "Your name",
        key=state.RATER_NAME,
        placeholder="e.g. Dana from Support",
        help="Recorded on the versions you save and the ratings you give.",
    )


def render(engine: Engine) -> None:
    _project_picker(engine)
    _who(engine)
    _providers(engine)
