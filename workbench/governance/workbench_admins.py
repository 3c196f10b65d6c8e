"""The workbench-wide admin role, apart from the admins of single projects.

Global settings reach every project: the endpoints (and so where each key is sent), the sign-in
switch, and who else is a workbench admin. A project admin's role stops at their project, so
those settings need a workbench admin:

- anyone named in ``WORKBENCH_ADMINS`` (comma-separated e-mails in the environment), always;
- whoever was named first admin when sign-in was switched on, or became admin by the first
  sign-in (``access.set_signin`` and ``access.bootstrap`` add them here);
- anyone a workbench admin adds.

With sign-in off the workbench is single-user and everything is allowed, as before. Refused
attempts at global settings are audited (``access.denied``) in a transaction of their own, so
the refusal is on record although the action it belonged to is rolled back.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from workbench.config import load_settings
from workbench.errors import InvalidInput, NotFound
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.tables import WorkbenchAdmin

# Guarded actions that reach beyond one project: action -> what it lets someone do.
GLOBAL_ACTIONS: dict[str, str] = {
    "settings.edit": "change endpoints, models, prices and which key goes where",
    "signin.switch": "switch sign-in on or off",
    "admins.manage": "choose who administers the whole workbench",
}
ACTION_DENIED = "access.denied"


def configured() -> tuple[str, ...]:
    """The workbench admins named in the environment (``WORKBENCH_ADMINS``)."""
    return load_settings().admins


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def valid_email(email: str | None, field: str = "email") -> str:
    """``email`` normalised, or ``InvalidInput`` when it is not an address."""
    value = normalise_email(email)
    if not _EMAIL.match(value):
        raise InvalidInput(f"'{email or ''}' is not an e-mail address.", field=field)
    return value


def is_admin(session: Session, email: str | None) -> bool:
    address = normalise_email(email)
    if not address:
        return False
    return address in configured() or session.get(WorkbenchAdmin, address) is not None


def is_workbench_admin(engine: Engine, email: str | None) -> bool:
    with session_scope(engine) as session:
        return is_admin(session, email)


def admins(engine: Engine) -> list[str]:
    """Every workbench admin, configured ones included, sorted."""
    with session_scope(engine) as session:
        stored = session.exec(select(WorkbenchAdmin.email).order_by(col(WorkbenchAdmin.email))).all()
    return sorted({*stored, *configured()})


def any_admin(session: Session) -> bool:
    return bool(configured()) or session.exec(select(WorkbenchAdmin.email).limit(1)).first() is not None


def add(session: Session, *, actor: str, email: str) -> None:
    """Make ``email`` a workbench admin; audited."""
    address = valid_email(email)
    if session.get(WorkbenchAdmin, address) is not None:
        return
    session.add(WorkbenchAdmin(email=address, added_by=actor))
    audit.record(session, actor=actor, action="admin.add", entity_type="workbench_admin", entity_id=address)


def remove(session: Session, *, actor: str, email: str) -> None:
    """Take the role away (audited); the last stored workbench admin stays, unless some are
    configured, so someone can always manage the workbench."""
    address = normalise_email(email)
    row = session.get(WorkbenchAdmin, address)
    if row is None:
        if address in configured():
            raise InvalidInput(
                f"{address} is a workbench admin through WORKBENCH_ADMINS; remove it there.", field="email"
            )
        raise NotFound(f"{address} is not a workbench admin.")
    others = session.exec(select(WorkbenchAdmin.email).where(WorkbenchAdmin.email != address)).all()
    if not others and not configured():
        raise InvalidInput(
            f"{address} is the only workbench admin. Make someone else workbench admin first.", field="email"
        )
    session.delete(row)
    audit.record(
        session, actor=actor, action="admin.remove", entity_type="workbench_admin", entity_id=address
    )


def denial(session: Session, email: str | None, action: str) -> str | None:
    """Why ``email`` may not do the global ``action`` (sign-in is on), or ``None``."""
    what = GLOBAL_ACTIONS[action]
    if not email:
        return f"Sign in to {what}."
    if is_admin(session, email):
        return None
    return (
        f"Only a workbench admin can {what}; being admin of a project is not enough. "
        "Ask a workbench admin (see the Team page)."
    )


def record_refusal(
    engine: Engine, *, actor: str, action: str, reason: str, project_id: int | None = None
) -> None:
    """Audit a refused attempt (its own transaction: the attempt itself is rolled back)."""
    audit.record_now(
        engine,
        actor=actor or "anonymous",
        action=ACTION_DENIED,
        entity_type="action",
        entity_id=action,
        project_id=project_id,
        detail=reason,
    )
