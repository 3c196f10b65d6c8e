"""Choosing which prompt of the active project to work on (shared by Draft and Versions)."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.prompts import versions
from workbench.ui.shell import state

NEW_LABEL = "➕ New prompt"


def pick_prompt(
    engine: Engine, project_id: int, *, current: int | None, key: str, allow_new: bool
) -> int | None:
    """A select box of the project's prompts; returns the chosen id, ``-1`` for "new prompt"
    (when allowed), or None when the project has no prompt and new ones are not offered."""
    prompts = versions.list_prompts(engine, project_id)
    names = {p.id: p.name for p in prompts}
    options: list[int] = [*names, -1] if allow_new else list(names)  # type: ignore[list-item]
    if not options:
        return None
    if current not in options:
        current = options[0]
    if st.session_state.get(key) not in options:
        st.session_state[key] = current
    chosen = st.selectbox(
        "Prompt",
        options,
        key=key,
        format_func=lambda i: NEW_LABEL if i == -1 else names[i],
        help="The prompts of the project chosen in the sidebar.",
    )
    if chosen != -1:
        state.set_active_prompt(chosen)
    return chosen
