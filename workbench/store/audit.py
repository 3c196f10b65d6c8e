"""The audit log: an append-only record of who changed what, and when.

Every write path in the core calls ``record`` inside the same transaction as the change itself,
so a change and its audit row land together or not at all. Nothing updates or deletes rows,
and the database refuses it too (triggers from migration ``0002_audit_append_only``).

Recording from new code is one call inside your transaction (or ``record_now(engine, ...)``
when nothing else is written, e.g. a download)::

    with session_scope(engine) as session:
        ...change rows...
        audit.record(session, actor=actor, action="export.csv", entity_type="evaluation",
                     entity_id=evaluation_id, project_id=project_id, after={"rows": 120})

Action names are ``thing.verb`` (``ACTIONS`` lists the known ones with what they mean; the
Audit page offers them as filters; for exports and imports use ``export.<format>`` and
``import.<format>`` with the row counts in ``after``). Put *what changed* in ``before``/``after`` (only the
changed fields), never secrets or personal data values.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, String, cast, func, or_
from sqlmodel import Session, col, select

from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent

ACTIONS: dict[str, str] = {
    "project.create": "a project was created (after: every field)",
    "project.update": "project fields changed (before/after: the changed fields)",
    "prompt.create": "a prompt was created",
    "version.create": "a prompt version was saved",
    "label.move": "a label (production, staging...) was pointed at a version",
    "label.rollback": "a label was moved back to a release it served before (or an older version)",
    "monitor.review": "answers served in use were sent to Review (after: how many, and the runs they joined)",
    "settings.endpoint.create": "an endpoint was added",
    "settings.endpoint.update": "an endpoint's settings changed",
    "settings.model.create": "a model (with prices) was added to an endpoint",
    "settings.endpoint.key_confirmed": "a workbench admin confirmed where an endpoint's key may be sent",
    "settings.signin": "sign-in for team deployments was switched on or off",
    "admin.add": "someone was made workbench admin",
    "admin.remove": "someone's workbench admin role was removed",
    "access.denied": "someone tried an action their role does not allow (detail: why)",
    "member.add": "someone was given a role in a project",
    "member.role": "someone's role in a project changed",
    "member.remove": "someone's role in a project was removed",
    "member.bootstrap": "the first person to sign in became admin of every project",
    "policy.blocked": "a send to a provider was blocked by the project's data policy",
    "pii.redacted": "personal data was redacted before a send (counts by kind)",
    "pii.sent_unredacted": "someone sent text with personal data after the warning",
    "export.audit_csv": "the audit log was exported as CSV (after: how many rows)",
    "export.monitor_csv": "a prompt's figures in use per release and day were downloaded as CSV (after: rows, days)",
    "export.csv": "library outputs (or prompts) were exported as CSV (after: selection and counts)",
    "export.xlsx": "library outputs were exported as an Excel workbook (after: selection and counts)",
    "export.jsonl": "fine-tuning JSONL was exported (after: selection, options' counts, train/validation)",
    "export.promptfoo": "a promptfoo configuration was exported (after: prompts and tests)",
    "export.backup": "a full backup of every table was exported",
    "import.backup": "a backup was restored into an empty database (after: rows per table)",
    "import.csv": "prompts or test cases were imported from a CSV file (after: counts)",
    "import.xlsx": "prompts or test cases were imported from an Excel file (after: counts)",
    "document.add": "a document was added (after: title, file, words, passages, personal data kinds)",
    "document.exclude": "a document was excluded from retrieval and generation (or included again)",
    "document.delete": "a document, its passages and its unreviewed candidates were deleted",
    "export.documents": "a project's documents were exported (after: how many)",
    "export.pairs_csv": "accepted fine-tuning pairs were exported as CSV (after: how many)",
    "export.pairs_xlsx": "accepted fine-tuning pairs were exported as an Excel workbook (after: how many)",
    "generate.review": "generated test cases or fine-tuning pairs were accepted, edited or rejected",
}


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


def record_now(engine: Engine, **fields: Any) -> None:
    """``record`` in a transaction of its own, for events with no other write (an export, a
    download): ``audit.record_now(engine, actor=name, action="export.csv", after={"rows": 12})``.

    It owns its transaction on purpose: there is no change to commit it with, and an export's
    long read should not sit inside a write transaction. Anything that also changes rows calls
    ``record`` with the caller's session instead."""
    with session_scope(engine) as session:
        record(session, **fields)


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


def search(
    engine: Engine,
    *,
    project_ids: Iterable[int] | None = None,
    include_workspace: bool = True,
    actor: str | None = None,
    actions: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    text: str = "",
    limit: int = 5000,
) -> list[AuditEvent]:
    """The Audit page's query, newest first.

    ``project_ids`` limits to those projects (``None``: all); ``include_workspace`` adds the
    events that belong to no project (endpoints, sign-in settings). ``text`` matches any part of
    the actor, action, entity, detail or before/after values, case-insensitively.
    """
    query = select(AuditEvent)
    if project_ids is not None:
        scope = col(AuditEvent.project_id).in_(list(project_ids))
        query = query.where(or_(scope, col(AuditEvent.project_id).is_(None)) if include_workspace else scope)
    elif not include_workspace:
        query = query.where(col(AuditEvent.project_id).is_not(None))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if actions:
        query = query.where(col(AuditEvent.action).in_(list(actions)))
    if since is not None:
        query = query.where(col(AuditEvent.at) >= since)
    if until is not None:
        query = query.where(col(AuditEvent.at) < until)
    if text.strip():
        needle = f"%{text.strip().lower()}%"
        fields = [
            AuditEvent.actor,
            AuditEvent.action,
            AuditEvent.entity_type,
            AuditEvent.entity_id,
            AuditEvent.detail,
            cast(AuditEvent.before, String),
            cast(AuditEvent.after, String),
        ]
        query = query.where(or_(*(func.lower(f).like(needle) for f in fields)))
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(limit)
    with session_scope(engine) as session:
        return list(session.exec(query))


def actors(engine: Engine) -> list[str]:
    with session_scope(engine) as session:
        return sorted(session.exec(select(AuditEvent.actor).distinct()))


def known_actions(engine: Engine) -> list[str]:
    """Documented actions plus any others found in the log (from newer code or imports)."""
    with session_scope(engine) as session:
        found = set(session.exec(select(AuditEvent.action).distinct()))
    return sorted(found | set(ACTIONS))


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def as_rows(
    events: Iterable[AuditEvent], project_names: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """Plain rows for a table or CSV; before/after as compact JSON text."""
    names = project_names or {}
    return [
        {
            "id": e.id,
            "at": e.at.isoformat(timespec="seconds"),
            "actor": e.actor,
            "action": e.action,
            "project": names.get(e.project_id, str(e.project_id)) if e.project_id is not None else "",
            "entity": f"{e.entity_type} {e.entity_id}".strip(),
            "before": _json_text(e.before),
            "after": _json_text(e.after),
            "detail": e.detail,
        }
        for e in events
    ]


CSV_COLUMNS = ("id", "at", "actor", "action", "project", "entity", "before", "after", "detail")


def to_csv(events: Iterable[AuditEvent], project_names: Mapping[int, str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(as_rows(events, project_names))
    return buffer.getvalue()
