"""Unsaved work kept server-side for this person (``workbench.store.personal_drafts``).

Pages call ``keep(key, data)`` on every run with what is on screen; it writes only when the data
changed since this session last wrote or read it, so an ordinary rerun costs no SQL. ``recall``
reads a record once per session and remembers it. ``forget`` deletes it (after a save, or when
the person discards the work).
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from workbench.store import personal_drafts
from workbench.store.engine import session_scope
from workbench.ui.shell import state
from workbench.ui.shell.identity import owner
from workbench.ui.shell.resources import get_engine

MEMO = "kept_memo"  # key -> the data as last written or read (None: nothing kept)


def _plain(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A deep copy as the database gives it back (JSON), so a list changed in place by the
    caller later still differs from what was kept."""
    return None if data is None else json.loads(json.dumps(data))


def _memo() -> dict[str, Any]:
    memo: dict[str, Any] = st.session_state.setdefault(MEMO, {})
    return memo


def recall(key: str) -> dict[str, Any] | None:
    """What this person kept under ``key`` (read from the database once per session)."""
    memo = _memo()
    if key not in memo:
        memo[key] = personal_drafts.read(get_engine(), owner(), key)
    return _plain(memo[key])


def keep(key: str, data: dict[str, Any]) -> None:
    """Store ``data`` under ``key`` for this person unless it is already what is kept."""
    plain = _plain(data)
    if recall(key) == plain:
        return
    with session_scope(get_engine()) as session:
        personal_drafts.keep(session, owner(), key, plain)  # type: ignore[arg-type]
    _memo()[key] = plain


def forget(key: str) -> None:
    """Drop the record (nothing is written when there is none)."""
    if recall(key) is None:
        return
    with session_scope(get_engine()) as session:
        personal_drafts.discard(session, owner(), key)
    _memo()[key] = None


WORKSPACE = "workspace"  # the project and prompt last worked on
RESTORED = "kept_workspace_restored"


def restore_workspace() -> None:
    """At a session's start (a new tab, a reload): the project and prompt this person had open."""
    if st.session_state.get(RESTORED):
        return
    st.session_state[RESTORED] = True
    saved = recall(WORKSPACE) or {}
    if state.active_project_id() is None and saved.get("project_id") is not None:
        state.set_active_project(int(saved["project_id"]))
    if state.active_prompt_id() is None and saved.get("prompt_id") is not None:
        state.set_active_prompt(int(saved["prompt_id"]))


def keep_workspace() -> None:
    """After a page ran: remember the project and prompt now open (a write only when they changed)."""
    if state.active_project_id() is not None:
        keep(WORKSPACE, {"project_id": state.active_project_id(), "prompt_id": state.active_prompt_id()})
