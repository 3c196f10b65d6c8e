"""Projects: the use case a set of prompts serves.

Convention for the whole core: functions take the ``Engine`` and run their own short
transaction, so a page calls one function per user action and never holds a session across
reruns. Returned rows are detached plain data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workbench.errors import InvalidInput, NotFound
from workbench.store import audit
from workbench.store.engine import session_scope
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
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound(f"Project {project_id} does not exist (it may have been deleted).")
        return project


def find_project(engine: Engine, name: str) -> Project | None:
    with session_scope(engine) as session:
        return session.exec(select(Project).where(Project.name == name)).first()


def create_project(engine: Engine, *, actor: str, name: str, **values: Any) -> Project:
    values = {"name": name.strip(), **values}
    _validate(values)
    try:
        with session_scope(engine) as session:
            project = Project(**values)
            session.add(project)
            session.flush()
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
    except IntegrityError:
        raise InvalidInput(f"A project named '{name}' already exists.", field="name") from None


def update_project(engine: Engine, project_id: int, *, actor: str, **values: Any) -> Project:
    _validate(values)
    try:
        with session_scope(engine) as session:
            project = session.get(Project, project_id)
            if project is None:
                raise NotFound(f"Project {project_id} does not exist.")
            before = _snapshot(project)
            for key, value in values.items():
                setattr(project, key, value)
            project.updated_at = utcnow()
            session.add(project)
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
    except IntegrityError:
        raise InvalidInput(f"A project named '{values.get('name')}' already exists.", field="name") from None
