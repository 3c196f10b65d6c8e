"""The shared sidebar: active project, who is working, and which endpoints answer."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.models.availability import Availability
from workbench.projects import project_records
from workbench.ui.shell import auth, model_menu, state
from workbench.ui.shell.safe_markdown import safe_markdown

PROJECT_WIDGET = "sidebar_project"
TICKS_SHOWN = "sidebar_ticks_shown"
FIRST_WAIT_S = 3.0


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


def _tick(name: str, verdict: Availability | None) -> str:
    name = safe_markdown(name)
    if verdict is None:
        return f":gray[:material/hourglass_empty:] {name} — {model_menu.CHECKING}"
    if verdict.ready:
        return f":green[:material/check_circle:] {name}"
    if verdict.problem == "no key":
        return f":gray[:material/radio_button_unchecked:] {name} — no key"
    return f":red[:material/error:] {name} — {verdict.problem}"


def _ticks(verdicts: dict[int, tuple[str, Availability | None]]) -> None:
    st.markdown(
        "**Models**  \n" + "  \n".join(_tick(name, verdict) for name, verdict in verdicts.values()),
        help=(
            "Ticked: the endpoint answered when the workbench asked it (it is asked again every few "
            "minutes). No key: paste one in Settings → API keys. Not reachable: the server is not "
            "running or the address is wrong (Settings → Endpoints)."
        ),
    )


@st.fragment(run_every=1.0)
def _ticks_while_checking(engine: Engine) -> None:
    """Redrawn every second while an endpoint is being asked; one full rerun once all have
    answered, after which the ticks are drawn without polling."""
    verdicts = model_menu.endpoint_verdicts(engine)
    if all(verdict is not None for _, verdict in verdicts.values()):
        st.rerun()
    _ticks(verdicts)


def _providers(engine: Engine) -> None:
    """A tick per endpoint that answered when asked (not merely "a key is set"). A session's
    first run waits a moment for the first answers; later runs show the latest at once."""
    first = not st.session_state.get(TICKS_SHOWN)
    st.session_state[TICKS_SHOWN] = True
    verdicts = model_menu.endpoint_verdicts(engine, wait_s=FIRST_WAIT_S if first else 0.0)
    with st.sidebar:
        if any(verdict is None for _, verdict in verdicts.values()):
            _ticks_while_checking(engine)
        else:
            _ticks(verdicts)


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
