"""Unsaved work per person: what someone typed or chose but has not saved yet.

A business user expects a reload, a closed tab or a visit to another page to lose nothing. The
browser session cannot promise that (Streamlit forgets it on a reload), so each page keeps its
unsaved state here, private to its owner: the signed-in e-mail, or the browser's own id when
sign-in is off. A key names what the record holds (``draft/prompt/12``, ``compare``...); the
data is plain JSON the page wrote.

Writes take the caller's session and do not commit (the session rule); reads take the engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, select

from workbench.store.engine import session_scope
from workbench.store.tables import PersonalDraft, utcnow


def read(engine: Engine, owner: str, key: str) -> dict[str, Any] | None:
    """The data kept under ``key`` for ``owner``, or ``None``."""
    if not owner:
        return None
    with session_scope(engine) as session:
        row = session.get(PersonalDraft, (owner, key))
        return dict(row.data) if row is not None else None


def read_prefix(engine: Engine, owner: str, prefix: str) -> dict[str, dict[str, Any]]:
    """Every record of ``owner`` whose key starts with ``prefix``, by key (one query)."""
    if not owner:
        return {}
    with session_scope(engine) as session:
        rows = session.exec(
            select(PersonalDraft).where(
                PersonalDraft.owner == owner, col(PersonalDraft.key).startswith(prefix)
            )
        )
        return {row.key: dict(row.data) for row in rows}


def keep(session: Session, owner: str, key: str, data: dict[str, Any]) -> None:
    """Store ``data`` under ``key`` for ``owner``, replacing what was there."""
    if not owner:
        return
    row = session.get(PersonalDraft, (owner, key))
    if row is None:
        session.add(PersonalDraft(owner=owner, key=key, data=dict(data)))
    else:
        row.data = dict(data)
        row.updated_at = utcnow()
        session.add(row)
    session.flush()


def discard(session: Session, owner: str, key: str) -> None:
    """Forget the record (after the work was saved, or when the person discards it)."""
    if owner:
        session.exec(
            delete(PersonalDraft).where(col(PersonalDraft.owner) == owner, col(PersonalDraft.key) == key)
        )
