"""Who may do what: optional sign-in for team deployments, with a role per project.

Without sign-in (the default) the workbench is single-user: every action is allowed and the
typed name is the actor. With sign-in switched on (``set_signin``), people sign in through
OIDC (Streamlit's ``st.login``) and hold one role per project:

======  ====================================================================================
viewer  read the project, rate answers and vote on pairs of answers
editor  + create prompts, save versions, improve with a model, run, evaluate, edit test
        cases, the use case and the raters' tag list (a working vocabulary, like test cases);
        read, add, export and generate from the project's documents (viewers never see them)
admin   + move labels, export, import, change data governance, manage members, read the
        audit log
======  ====================================================================================

Above the projects sits the **workbench admin** (``governance.workbench_admins``): the global
settings (endpoints and keys, the sign-in switch, who else is workbench admin) need that role,
whatever someone's roles in projects; a workbench admin may also do everything in every project.

``ACTIONS`` maps each guarded project action to the least role it needs, ``GLOBAL_ACTIONS`` the
actions that need a workbench admin; pages ask ``can``/``denial_reason`` before a guarded
action and core wrappers call ``require``.

Bootstrap rule: whoever switches sign-in on names the first admin, who becomes admin of every
project and workbench admin. If sign-in is on and nobody holds a role anywhere (switched on
outside the app), the first person to sign in becomes both, once. Only a workbench admin can
switch sign-in off (refusals are audited). Whoever creates a project while signed in becomes its
admin. A project always keeps at least one admin.

Writes (``set_signin``, ``create_project_as``, ``set_member``, ``remove_member``) take the
caller's session and do not commit; only ``bootstrap`` owns its transaction (see there).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from workbench.errors import InvalidInput, NotFound, PermissionDenied
from workbench.governance import workbench_admins
from workbench.governance.workbench_admins import GLOBAL_ACTIONS, normalise_email
from workbench.governance.workbench_admins import valid_email as _valid_email
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import ROLES, AppSetting, Membership, Project, Prompt, PromptVersion, utcnow

SIGNIN_SETTING = "signin_enabled"
BOOTSTRAP_SETTING = "signin_bootstrapped_by"
RANK = {role: i for i, role in enumerate(ROLES, start=1)}  # viewer 1, editor 2, admin 3

ACTIONS: dict[str, str] = {
    "project.view": "viewer",
    "output.rate": "viewer",
    "output.vote": "viewer",
    "project.edit": "editor",
    "tags.edit": "editor",
    "prompt.create": "editor",
    "version.save": "editor",
    "prompt.improve": "editor",
    "prompt.optimize": "editor",
    "run.start": "editor",
    "evaluation.run": "editor",
    "testcase.edit": "editor",
    "documents.read": "editor",
    "documents.edit": "editor",
    "documents.export": "editor",
    "label.move": "admin",
    "export": "admin",
    "import": "admin",
    "project.governance": "admin",
    "members.manage": "admin",
    "audit.view": "admin",
}
DESCRIPTIONS = {
    "project.view": "open this project",
    "output.rate": "rate answers",
    "output.vote": "vote on which of two answers is better",
    "project.edit": "edit the use case and KPIs",
    "tags.edit": "change the tags offered to raters",
    "prompt.create": "create prompts",
    "version.save": "save a prompt version",
    "prompt.improve": "send a prompt to a model for a rewrite",
    "prompt.optimize": "improve a prompt on its bench (a better version is saved labelled candidate)",
    "run.start": "run prompts against models",
    "evaluation.run": "run bench evaluations",
    "testcase.edit": "edit bench test cases",
    "documents.read": "read the project's documents (they may hold personal data)",
    "documents.edit": "add, exclude or delete documents, and generate from them",
    "documents.export": "export the project's documents and generated pairs",
    "label.move": "move labels",
    "export": "export data",
    "import": "import data",
    "project.governance": "change data sensitivity, allowed endpoints and PII names",
    "members.manage": "manage who has which role",
    "audit.view": "read the audit log",
}

# ---- the sign-in switch ---------------------------------------------------------------------


def signin_enabled(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return _signin_on(session)


def _signin_on(session: Session) -> bool:
    row = session.get(AppSetting, SIGNIN_SETTING)
    return bool(row and row.value)


def set_signin(session: Session, *, enabled: bool, actor: str, first_admin: str | None = None) -> None:
    """Switch sign-in on or off (audited). Switching on needs ``first_admin``, who becomes admin
    of every project and workbench admin, unless someone already administers every project.
    While sign-in is on, only a workbench admin (``actor``, their e-mail) may switch it; a
    refusal is audited and raises ``PermissionDenied``."""
    admin = _valid_email(first_admin, "first_admin") if enabled and first_admin else None
    row = session.get(AppSetting, SIGNIN_SETTING) or AppSetting(key=SIGNIN_SETTING)
    before = bool(row.value)
    if before:
        reason = workbench_admins.denial(session, actor, "signin.switch")
        if reason is not None:
            bind = session.get_bind()
            # The refusal is recorded in a transaction of its own, on the session's engine.
            engine = bind if isinstance(bind, Engine) else bind.engine
            workbench_admins.record_refusal(engine, actor=actor, action="signin.switch", reason=reason)
            raise PermissionDenied(reason)
    if enabled and admin is None and _projects_without_admin(session):
        raise InvalidInput(
            "Name the first admin (an e-mail that will sign in) before switching sign-in on; "
            "otherwise nobody could manage the projects.",
            field="first_admin",
        )
    row.value, row.updated_by, row.updated_at = enabled, actor, utcnow()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="settings.signin",
        entity_type="app_setting",
        entity_id=SIGNIN_SETTING,
        before={"enabled": before},
        after={"enabled": enabled, **({"first_admin": admin} if admin else {})},
    )
    if admin:
        workbench_admins.add(session, actor=actor, email=admin)
        for project in session.exec(select(Project)):
            _upsert(session, actor=actor, project_id=id_of(project), email=admin, role="admin")


def _projects_without_admin(session: Session) -> list[int]:
    admins = set(session.exec(select(Membership.project_id).where(Membership.role == "admin")))
    return [pid for pid in session.exec(select(Project.id)) if pid not in admins]  # type: ignore[misc]


# ---- roles ----------------------------------------------------------------------------------


def role_of(engine: Engine, email: str | None, project_id: int) -> str | None:
    with session_scope(engine) as session:
        return session.exec(
            select(Membership.role).where(
                Membership.project_id == project_id, Membership.email == normalise_email(email)
            )
        ).first()


def roles_of(engine: Engine, email: str | None) -> dict[int, str]:
    with session_scope(engine) as session:
        return _roles(session, email)


def _roles(session: Session, email: str | None) -> dict[int, str]:
    rows = session.exec(
        select(Membership.project_id, Membership.role).where(Membership.email == normalise_email(email))
    )
    return dict(rows.all())


def readable_projects(engine: Engine, email: str | None) -> set[int] | None:
    """Projects this person may open; ``None`` means all (sign-in is off, or a workbench admin)."""
    if not signin_enabled(engine) or workbench_admins.is_workbench_admin(engine, email):
        return None
    return set(roles_of(engine, email))


def denial_reason(engine: Engine, email: str | None, project_id: int | None, action: str) -> str | None:
    """Why ``email`` may not do ``action`` in the project (or, for ``GLOBAL_ACTIONS``, at all),
    or ``None`` when allowed."""
    if action not in ACTIONS and action not in GLOBAL_ACTIONS:
        known = ", ".join([*ACTIONS, *GLOBAL_ACTIONS])
        raise ValueError(f"Unknown guarded action '{action}'; known: {known}")
    if not signin_enabled(engine):
        return None
    with session_scope(engine) as session:
        if action in GLOBAL_ACTIONS:
            return workbench_admins.denial(session, email, action)
        if workbench_admins.is_admin(session, email):
            return None
    needed = ACTIONS[action]
    what = DESCRIPTIONS[action]
    if not email:
        return f"Sign in to {what}."
    if project_id is None:
        return f"Pick a project first: roles are given per project, and you need {needed} to {what}."
    role = role_of(engine, email, project_id)
    if role is None:
        return f"You ({email}) have no role in this project. Ask one of its admins to add you."
    if RANK[role] < RANK[needed]:
        return (
            f"You are a {role} in this project; to {what} you need to be {_article(needed)} {needed}. "
            "Ask one of its admins to change your role."
        )
    return None


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def can(engine: Engine, email: str | None, project_id: int | None, action: str) -> bool:
    return denial_reason(engine, email, project_id, action) is None


def require(engine: Engine, email: str | None, project_id: int | None, action: str) -> None:
    """Raise ``PermissionDenied`` (with what to do about it) unless the action is allowed."""
    reason = denial_reason(engine, email, project_id, action)
    if reason is not None:
        raise PermissionDenied(reason)


def require_for_prompt(engine: Engine, email: str | None, prompt_id: int, action: str) -> None:
    with session_scope(engine) as session:
        project_id = fetch(session, Prompt, prompt_id).project_id
    require(engine, email, project_id, action)


def require_for_version(engine: Engine, email: str | None, version_id: int, action: str) -> None:
    with session_scope(engine) as session:
        prompt_id = fetch(session, PromptVersion, version_id).prompt_id
    require_for_prompt(engine, email, prompt_id, action)


# ---- projects and members -------------------------------------------------------------------


def project_creation_denial(engine: Engine, email: str | None) -> str | None:
    """Anyone may create projects without sign-in; with it, admins of some project (or anyone
    while nobody administers anything yet)."""
    with session_scope(engine) as session:
        return _creation_denial(session, email)


def _creation_denial(session: Session, email: str | None) -> str | None:
    if not _signin_on(session):
        return None
    if not email:
        return "Sign in to create a project."
    any_admin = session.exec(select(func.count(col(Membership.id))).where(Membership.role == "admin")).one()
    if (
        any_admin
        and "admin" not in _roles(session, email).values()
        and not workbench_admins.is_admin(session, email)
    ):
        return "Only admins of a project can create new projects. Ask one to create it or to make you admin."
    return None


def create_project_as(
    session: Session, email: str | None, *, actor: str, name: str, **values: Any
) -> Project:
    """Create a project; with sign-in on, the creator becomes its admin (in the same transaction,
    so a project never exists without its admin)."""
    reason = _creation_denial(session, email)
    if reason:
        raise PermissionDenied(reason)
    project = project_records.create_project(session, actor=actor, name=name, **values)
    if _signin_on(session) and email:
        set_member(session, actor=actor, project_id=id_of(project), email=email, role="admin")
    return project


def members(engine: Engine, project_id: int) -> list[Membership]:
    with session_scope(engine) as session:
        query = select(Membership).where(Membership.project_id == project_id).order_by(col(Membership.email))
        return list(session.exec(query))


def _upsert(session: Session, *, actor: str, project_id: int, email: str, role: str) -> Membership:
    row = session.exec(
        select(Membership).where(Membership.project_id == project_id, Membership.email == email)
    ).first()
    before = row.role if row else None
    if before == role:
        return row  # type: ignore[return-value]
    if before == "admin":
        _keep_an_admin(session, project_id, email)
    row = row or Membership(project_id=project_id, email=email)
    row.role = role
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="member.role" if before else "member.add",
        entity_type="membership",
        entity_id=email,
        project_id=project_id,
        before={"role": before} if before else None,
        after={"role": role},
    )
    return row


def _keep_an_admin(session: Session, project_id: int, leaving: str) -> None:
    others = session.exec(
        select(func.count(col(Membership.id))).where(
            Membership.project_id == project_id, Membership.role == "admin", Membership.email != leaving
        )
    ).one()
    if not others:
        raise InvalidInput(
            f"{leaving} is the project's only admin. Make someone else admin first.", field="role"
        )


def set_member(session: Session, *, actor: str, project_id: int, email: str, role: str) -> Membership:
    """Give ``email`` a role in the project (or change it). Audited."""
    address = _valid_email(email)
    if role not in ROLES:
        raise InvalidInput(f"Role must be one of {', '.join(ROLES)}.", field="role")
    fetch(session, Project, project_id)
    return _upsert(session, actor=actor, project_id=project_id, email=address, role=role)


def remove_member(session: Session, *, actor: str, project_id: int, email: str) -> None:
    address = normalise_email(email)
    row = session.exec(
        select(Membership).where(Membership.project_id == project_id, Membership.email == address)
    ).first()
    if row is None:
        raise NotFound(f"{address} has no role in this project.")
    if row.role == "admin":
        _keep_an_admin(session, project_id, address)
    session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="member.remove",
        entity_type="membership",
        entity_id=address,
        project_id=project_id,
        before={"role": row.role},
    )


def bootstrap(engine: Engine, email: str | None) -> bool:
    """Apply the first-sign-in rule: if sign-in is on and nobody holds any role, ``email``
    becomes admin of every project. Happens at most once (a settings row is the lock).

    It owns its transaction on purpose: two first sign-ins race on inserting that settings row,
    and the loser learns it from the refused insert, which ends the transaction. Only the code
    that opened it can roll back and answer "someone else was first" (False)."""
    if not email or not signin_enabled(engine):
        return False
    address = normalise_email(email)
    with session_scope(engine) as session:
        if session.exec(select(func.count(col(Membership.id)))).one():
            return False
    try:
        with session_scope(engine) as session:
            session.add(AppSetting(key=BOOTSTRAP_SETTING, value=address, updated_by=address))
            session.flush()
            if not workbench_admins.any_admin(session):
                workbench_admins.add(session, actor=address, email=address)
            for project in session.exec(select(Project)):
                session.add(Membership(project_id=id_of(project), email=address, role="admin"))
            audit.record(
                session,
                actor=address,
                action="member.bootstrap",
                entity_type="membership",
                entity_id=address,
                after={"role": "admin", "projects": "all"},
            )
    except IntegrityError:  # someone else was first
        return False
    return True
