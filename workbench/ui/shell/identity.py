"""Who is working, remembered by the browser: its own id and the rater's name, in cookies.

Streamlit forgets a session on every reload, so a name typed once would be asked for again and
unsaved work would have no owner. The browser keeps two small cookies instead: ``wb_browser``, a
random id that owns this browser's unsaved work (``personal_drafts``) when sign-in is off, and
``wb_rater``, the name typed in the sidebar. They are read from ``st.context.cookies`` when a
session starts and written by a few lines of JavaScript when they change. With sign-in on, the
signed-in e-mail is both the owner and the name, and no cookie is needed.

Tests (AppTest has no cookies) put an id in ``st.session_state[BROWSER_ID]`` before the first run.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import quote, unquote

import streamlit as st

from workbench.ui.shell import state
from workbench.ui.shell.auth import current_email

BROWSER_COOKIE = "wb_browser"
NAME_COOKIE = "wb_rater"
BROWSER_ID = "browser_id"
WRITTEN = "identity_cookies_written"  # the cookie values this session last wrote
YEAR_S = 365 * 24 * 3600
_VALID_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _cookie(name: str) -> str:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no browser behind this run (a bare script)
        return ""
    return unquote(value) if isinstance(value, str) else ""  # AppTest has no real cookies


def browser_id() -> str:
    """This browser's id: from its cookie, else a new random one (written back by ``remember``)."""
    if BROWSER_ID not in st.session_state:
        found = _cookie(BROWSER_COOKIE)
        st.session_state[BROWSER_ID] = found if _VALID_ID.fullmatch(found) else secrets.token_urlsafe(18)
    return str(st.session_state[BROWSER_ID])


def owner() -> str:
    """Whose unsaved work this session sees: the signed-in e-mail, else this browser."""
    email = current_email()
    return f"user:{email}" if email else f"browser:{browser_id()}"


def restore_name() -> None:
    """Before the sidebar's name box is drawn: the name this browser typed last time."""
    if state.RATER_NAME not in st.session_state:
        name = _cookie(NAME_COOKIE).strip()
        if name:
            st.session_state[state.RATER_NAME] = name[:200]


def _script(values: dict[str, str]) -> str:
    lines = [
        f"document.cookie = {json.dumps(f'{name}={quote(value)}; path=/; max-age={YEAR_S if value else 0}; SameSite=Lax')};"
        for name, value in values.items()
    ]
    return "<script>" + "".join(lines) + "</script>"


def remember() -> None:
    """After the sidebar: write the cookies when the browser does not hold these values yet."""
    wanted = {BROWSER_COOKIE: browser_id()}
    if current_email() is None:
        wanted[NAME_COOKIE] = str(st.session_state.get(state.RATER_NAME) or "").strip()
    held = st.session_state.get(WRITTEN) or {name: _cookie(name) for name in wanted}
    if wanted == held:
        return
    st.session_state[WRITTEN] = wanted
    with st.sidebar:
        st.html(_script(wanted), unsafe_allow_javascript=True, width=1)
