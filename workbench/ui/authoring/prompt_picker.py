"""Choosing which prompt of the active project to work on (shared by Draft and Versions), and
how its versions are named in pickers (Compare, Evaluate, Improve on the bench)."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine

from workbench.prompts import versions
from workbench.store.lookup import id_of
from workbench.store.tables import PromptVersion
from workbench.ui.shell import state

NEW_LABEL = "➕ New prompt"


def pick_prompt(
    engine: Engine, project_id: int, *, current: int | None, key: str, allow_new: bool
) -> int | None:
    """A select box of the project's prompts; returns the chosen id, ``-1`` for "new prompt"
    (when allowed), or None when the project has no prompt and new ones are not offered."""
    prompts = versions.list_prompts(engine, project_id)
    names = {id_of(p): p.name for p in prompts}
    options: list[int] = [*names, -1] if allow_new else list(names)
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


@dataclass(frozen=True)
class VersionChoices:
    """A prompt's versions (newest first) with the labels pointing at each."""

    rows: list[PromptVersion]
    labels: dict[int, list[str]]

    @property
    def by_id(self) -> dict[int, PromptVersion]:
        return {id_of(v): v for v in self.rows}

    def labelled(self, name: str) -> list[int]:
        return [id_of(v) for v in self.rows if name in self.labels.get(id_of(v), [])]

    def title(self, version_id: int, *, note: bool = True) -> str:
        """ "v2 [production, staging] — its change note" """
        v = self.by_id[version_id]
        tags = f" [{', '.join(sorted(self.labels[version_id]))}]" if version_id in self.labels else ""
        text = f" — {v.change_note[:60]}" if note and v.change_note else ""
        return f"v{v.number}{tags}{text}"


def version_choices(engine: Engine, prompt_id: int) -> VersionChoices:
    labels: dict[int, list[str]] = {}
    for label in versions.labels_for_prompt(engine, prompt_id):
        labels.setdefault(label.version_id, []).append(label.name)
    return VersionChoices(versions.list_versions(engine, prompt_id), labels)
