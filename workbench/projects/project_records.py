"""Projects: the use case a set of prompts serves.

Writes take the caller's ``Session`` and never commit: the edge (a page, the CLI, the demo
seeder, a test) opens the transaction with ``session_scope``, so a project created together
with its first prompt lands together or not at all. Reads take the ``Engine`` and return
detached plain data, never held across reruns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch
from workbench.store.tables import SENSITIVITY_LEVELS, Project, utcnow

EDITABLE_FIELDS = (
    "name",
    "description",
    "persona",
    "want",
    "so_that",
    "purpose",
    "people",
    "process",
    "platform",
    "performance",
    "success_criteria",
    "sensitivity",
    "allowed_providers",
    "tags",
    "pii_names",
)


def _snapshot(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in EDITABLE_FIELDS}


def _validate(values: dict[str, Any]) -> None:
    if "name" in values and not str(values["name"]).strip():
        raise InvalidInput("A project needs a name.", field="name")
    if "sensitivity" in values and values["sensitivity"] not in SENSITIVITY_LEVELS:
        raise InvalidInput(
            f"Sensitivity must be one of {', '.join(SENSITIVITY_LEVELS)}.", field="sensitivity"
        )
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown project fields: {', '.join(sorted(unknown))}.")


def list_projects(engine: Engine) -> list[Project]:
    with session_scope(engine) as session:
        return list(session.exec(select(Project).order_by(col(Project.name))))


def get_project(engine: Engine, project_id: int) -> Project:
    with session_scope(engine) as session:
        return fetch(
            session,
            Project,
            project_id,
            missing=f"Project {project_id} does not exist (it may have been deleted).",
        )


def find_project(engine: Engine, name: str) -> Project | None:
    with session_scope(engine) as session:
        return session.exec(select(Project).where(Project.name == name)).first()


def create_project(session: Session, *, actor: str, name: str, **values: Any) -> Project:
    """Insert and audit a project in the caller's transaction. The insert is flushed here, so a
    taken name is refused by name now rather than as a bare constraint error at commit."""
    values = {"name": name.strip(), **values}
    _validate(values)
    try:
        project = Project(**values)
        session.add(project)
        session.flush()
    except IntegrityError:
        raise InvalidInput(f"A project named '{name}' already exists.", field="name") from None
    audit.record(
        session,
        actor=actor,
        action="project.create",
        entity_type="project",
        entity_id=project.id,
        project_id=project.id,
        after=_snapshot(project),
    )
    return project


def update_project(session: Session, project_id: int, *, actor: str, **values: Any) -> Project:
    """Change project fields in the caller's transaction, auditing only what changed (flushed
    here, like ``create_project``, so a taken name is refused by name)."""
    _validate(values)
    project = fetch(session, Project, project_id)
    before = _snapshot(project)
    for key, value in values.items():
        setattr(project, key, value)
    project.updated_at = utcnow()
    session.add(project)
    try:
        session.flush()
    except IntegrityError:
        raise InvalidInput(f"A project named '{values.get('name')}' already exists.", field="name") from None
    after = _snapshot(project)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit.record(
            session,
            actor=actor,
            action="project.update",
            entity_type="project",
            entity_id=project.id,
            project_id=project.id,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return project
