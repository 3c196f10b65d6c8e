"""The draft survives a reload: every change is kept server-side as this person's private draft
of the prompt (``ui.shell.kept``), and comes back when the prompt is opened again.

A draft is *changed* when its texts, example values or settings differ from the version it
started from, or a note or a new prompt's name was typed. Then it is kept under
``draft/prompt/<id>`` (``draft/new/<project id>`` for a prompt not saved yet); when it matches
its version again, or is saved or discarded, the record goes. Which prompt the Draft page had
open is kept per project, so a reload reopens that one. Saving a version (``save``) turns the
draft into a version and drops the record.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlalchemy import Engine

from workbench.prompts import drafts, versions
from workbench.store.engine import session_scope
from workbench.ui.authoring import draft_state
from workbench.ui.shell import auth, kept, state


def key_for(prompt_id: int | None, project_id: int) -> str:
    return f"draft/prompt/{prompt_id}" if prompt_id is not None else f"draft/new/{project_id}"


def _open_key(project_id: int) -> str:
    return f"draft/open/{project_id}"


def _filled(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


def snapshot() -> dict[str, Any]:
    """The draft as kept: everything typed, and the version it started from."""
    return {
        "system": draft_state.text(draft_state.SYSTEM),
        "user": draft_state.text(draft_state.USER),
        "values": draft_state.values(),
        "note": draft_state.text(draft_state.NOTE),
        "name": draft_state.text(draft_state.NAME),
        "params": draft_state.params(),
        "origin": draft_state.origin_data(),
    }


def changed() -> bool:
    """Whether anything typed differs from the version the draft started from."""
    origin = draft_state.origin()
    now = snapshot()
    return (
        (now["system"], now["user"]) != (origin.system, origin.user)
        or _filled(now["values"]) != _filled(origin.values)
        or now["params"] != origin.params
        or bool(now["note"].strip() or now["name"].strip())
    )


def open_prompt(engine: Engine, project_id: int, prompt_id: int | None) -> bool:
    """Load the prompt into the editor: this person's kept draft of it when there is one (True),
    else its latest version (a new prompt: an empty draft)."""
    found = kept.recall(key_for(prompt_id, project_id))
    if found:
        draft_state.load(
            found.get("system", ""),
            found.get("user", ""),
            found.get("values"),
            origin=draft_state.Origin(**found.get("origin", {"prompt_id": prompt_id})),
            name=found.get("name", ""),
            note=found.get("note", ""),
            params=found.get("params"),
        )
        return True
    latest = versions.latest_version(engine, prompt_id) if prompt_id is not None else None
    if latest is not None:
        draft_state.load_version(latest)
    else:
        draft_state.load("", "", {}, origin=draft_state.Origin(prompt_id=prompt_id))
    return False


def reopen(engine: Engine, project_id: int, prompt_ids: list[int]) -> None:
    """At a session's start: the prompt the Draft page had open (its kept draft included), else
    the active prompt, else the first."""
    opened = kept.recall(_open_key(project_id)) or {}
    if "prompt_id" in opened and (opened["prompt_id"] is None or opened["prompt_id"] in prompt_ids):
        target = opened["prompt_id"]
    else:
        active = state.active_prompt_id()
        target = active if active in prompt_ids else next(iter(prompt_ids), None)
    if open_prompt(engine, project_id, target):
        draft_state.flash(
            "Your unsaved changes are back, as you left them. Save them as a version, or discard them."
        )


def keep(project_id: int) -> None:
    """After the editor is drawn: keep the draft while it is changed, forget it once it is not."""
    origin = draft_state.origin()
    key = key_for(origin.prompt_id, project_id)
    if changed():
        kept.keep(key, snapshot())
    else:
        kept.forget(key)
    kept.keep(_open_key(project_id), {"prompt_id": origin.prompt_id})


def forget(project_id: int, prompt_id: int | None) -> None:
    """After a save: the kept draft is a version now."""
    kept.forget(key_for(prompt_id, project_id))


def discard(engine: Engine, project_id: int) -> None:
    """Drop the unsaved changes: back to the version the draft started from (or an empty draft)."""
    origin = draft_state.origin()
    kept.forget(key_for(origin.prompt_id, project_id))
    if origin.version_id is not None:
        draft_state.load_version(versions.get_version(engine, origin.version_id))
    else:
        open_prompt(engine, project_id, origin.prompt_id)
    draft_state.flash("Changes discarded: the editor holds the saved version again.")
    st.rerun()


def save(engine: Engine, project_id: int, system: str, user: str, note: str) -> None:
    """Save the draft (or an accepted rewrite) as the next version; a new prompt is created
    first. The kept draft goes: it is a version now."""
    origin = draft_state.origin()
    if not auth.allowed("prompt.create" if origin.prompt_id is None else "version.save", project_id):
        return
    common: dict[str, Any] = dict(
        system=system,
        user=user,
        values=draft_state.values(),
        author=state.user_name(),
        change_note=note,
        params=draft_state.params(),
    )
    with session_scope(engine) as session:
        if origin.prompt_id is None:
            name = draft_state.text(draft_state.NAME)
            version = drafts.save_new_prompt(session, project_id=project_id, name=name, **common)
        else:
            version = drafts.save_draft(
                session, prompt_id=origin.prompt_id, parent_id=origin.version_id, **common
            )
    forget(project_id, origin.prompt_id)
    message = f"Saved as version {version.number}."
    if origin.version_number and version.number > origin.version_number + 1:
        message += (
            f" Someone else saved a version after you opened v{origin.version_number}; "
            "compare them on the Versions page."
        )
    draft_state.load_version(version)
    draft_state.flash(message)
    st.rerun()


def status_line(box: Any, engine: Engine, project_id: int) -> None:
    """Where the draft stands, drawn into ``box`` once every input of the run is read: the
    version it started from, unsaved changes in colour, and "Discard changes"."""
    origin = draft_state.origin()
    if origin.prompt_id is None:
        base = "New prompt: it is created when you save its first version"
    elif origin.version_number:
        base = f"Editing from version {origin.version_number}"
    else:
        base = "No version saved yet"
    unsaved = changed()
    box.caption(base + (" · :orange[unsaved changes] (kept for you until you save)" if unsaved else ""))
    if unsaved and box.button("Discard changes", key="draft_discard", icon=":material/undo:"):
        discard(engine, project_id)
