"""The audit log: an append-only record of who changed what, and when.

Every write path in the core calls ``record`` inside the same transaction as the change itself,
so a change and its audit row land together or not at all. Nothing updates or deletes rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from workbench.tables import AuditEvent


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str = "",
    entity_id: object = "",
    project_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
) -> AuditEvent:
    event = AuditEvent(
        actor=actor or "anonymous",
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else "",
        project_id=project_id,
        before=before,
        after=after,
        detail=detail,
    )
    session.add(event)
    return event


def events(
    session: Session,
    *,
    project_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[AuditEvent]:
    """Newest first, filtered by any combination of the arguments."""
    query = select(AuditEvent)
    if project_id is not None:
        query = query.where(AuditEvent.project_id == project_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) <= until)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    return list(session.exec(query))
