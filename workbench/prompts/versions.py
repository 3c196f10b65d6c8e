"""Prompts, their immutable versions, and the labels that point at them.

A save never rewrites a version: it adds version N+1. Two people saving the same prompt at the
same moment both get their own version, because numbering is serialised per prompt: a write
lock on the prompt row is taken before the next number is read, and held until the caller's
transaction ends, so the second save waits for the first instead of reading the same number.
Labels (production, staging, ...) move between versions; each move is a ``LabelMove`` row and an
audit event, and a rollback is simply a move back.

Writes take the caller's ``Session`` and do not commit (``with session_scope(engine) as
session: versions.save_version(session, ...)``); reads take the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.prompts.templates import Message, PromptTemplate
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch
from workbench.store.tables import Label, LabelMove, Project, Prompt, PromptVersion, utcnow


def _version_snapshot(version: PromptVersion) -> dict[str, Any]:
    return {
        "prompt_id": version.prompt_id,
        "number": version.number,
        "change_note": version.change_note,
        "author": version.author,
    }


# ---- prompts --------------------------------------------------------------------------------


def add_prompt(session: Session, *, project_id: int, name: str, actor: str, description: str = "") -> Prompt:
    """Insert and audit a prompt inside the caller's transaction (an import adds many in one)."""
    prompt = Prompt(project_id=project_id, name=name, description=description, created_by=actor)
    session.add(prompt)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="prompt.create",
        entity_type="prompt",
        entity_id=prompt.id,
        project_id=project_id,
        after={"name": name, "description": description},
    )
    return prompt


def create_prompt(
    session: Session, *, project_id: int, name: str, actor: str, description: str = ""
) -> Prompt:
    """A new prompt of the project; a name the project already uses is refused by name."""
    name = name.strip()
    if not name:
        raise InvalidInput("A prompt needs a name.", field="name")
    fetch(session, Project, project_id)
    try:
        return add_prompt(session, project_id=project_id, name=name, actor=actor, description=description)
    except IntegrityError:
        raise InvalidInput(f"This project already has a prompt named '{name}'.", field="name") from None


def list_prompts(
    engine: Engine, project_id: int | None = None, include_archived: bool = False
) -> list[Prompt]:
    with session_scope(engine) as session:
        query = select(Prompt)
        if project_id is not None:
            query = query.where(Prompt.project_id == project_id)
        if not include_archived:
            query = query.where(col(Prompt.archived).is_(False))
        return list(session.exec(query.order_by(col(Prompt.name))))


def get_prompt_row(engine: Engine, prompt_id: int) -> Prompt:
    with session_scope(engine) as session:
        return fetch(session, Prompt, prompt_id)


# ---- versions -------------------------------------------------------------------------------


def add_version(
    session: Session,
    prompt: Prompt,
    *,
    system_template: str,
    user_template: str,
    author: str,
    change_note: str = "",
    params: dict[str, Any] | None = None,
    sample_variables: dict[str, Any] | None = None,
    parent_id: int | None = None,
) -> PromptVersion:
    """Insert and audit the prompt's next version inside the caller's transaction. Writing the
    prompt row first takes its lock (row lock on PostgreSQL, the write lock on SQLite) before the
    next number is read, so concurrent saves queue up instead of taking the same number."""
    session.execute(update(Prompt).where(col(Prompt.id) == prompt.id).values(archived=Prompt.archived))
    current = session.exec(
        select(func.max(PromptVersion.number)).where(PromptVersion.prompt_id == prompt.id)
    ).one()
    version = PromptVersion(
        prompt_id=prompt.id,  # type: ignore[arg-type]
        number=(current or 0) + 1,
        system_template=system_template,
        user_template=user_template,
        params=dict(params or {}),
        sample_variables=dict(sample_variables or {}),
        change_note=change_note.strip(),
        author=author,
        parent_id=parent_id,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor=author,
        action="version.create",
        entity_type="prompt_version",
        entity_id=version.id,
        project_id=prompt.project_id,
        after=_version_snapshot(version),
    )
    return version


def save_version(
    session: Session,
    *,
    prompt_id: int,
    system_template: str,
    user_template: str,
    author: str,
    change_note: str = "",
    params: dict[str, Any] | None = None,
    sample_variables: dict[str, Any] | None = None,
    parent_id: int | None = None,
) -> PromptVersion:
    """Store a new immutable version. A template that does not parse is refused unsaved.

    A concurrent save of the same prompt waits on the prompt row's lock (see the module
    docstring); if the database stays locked beyond its busy timeout, the save is refused with
    a message instead of a driver error, and the caller's transaction rolls back."""
    template = PromptTemplate(system=system_template, user=user_template)
    template.validate()  # raises TemplateError with line and message; nothing is written
    if not (system_template.strip() or user_template.strip()):
        raise InvalidInput(
            "Both messages are empty: write a system or a user message first.", field="user_template"
        )
    if sample_variables:
        # A version whose own sample values do not render would fail for everyone who opens it.
        template.render({**dict.fromkeys(template.variables(), ""), **sample_variables})
    prompt = fetch(session, Prompt, prompt_id)
    try:
        return add_version(
            session,
            prompt,
            system_template=system_template,
            user_template=user_template,
            author=author,
            change_note=change_note,
            params=params,
            sample_variables=sample_variables,
            parent_id=parent_id,
        )
    except (IntegrityError, OperationalError) as exc:
        raise InvalidInput(f"Could not save the version; try again in a moment ({exc.orig}).") from None


def list_versions(engine: Engine, prompt_id: int) -> list[PromptVersion]:
    """Newest first."""
    with session_scope(engine) as session:
        query = (
            select(PromptVersion)
            .where(PromptVersion.prompt_id == prompt_id)
            .order_by(col(PromptVersion.number).desc())
        )
        return list(session.exec(query))


def get_version(engine: Engine, version_id: int) -> PromptVersion:
    with session_scope(engine) as session:
        return fetch(session, PromptVersion, version_id)


def latest_version(engine: Engine, prompt_id: int) -> PromptVersion | None:
    with session_scope(engine) as session:
        query = (
            select(PromptVersion)
            .where(PromptVersion.prompt_id == prompt_id)
            .order_by(col(PromptVersion.number).desc())
            .limit(1)
        )
        return session.exec(query).first()


# ---- labels ---------------------------------------------------------------------------------


def record_label_move(
    session: Session, prompt: Prompt, name: str, version: PromptVersion, actor: str, note: str, action: str
) -> Label:
    label = session.exec(select(Label).where(Label.prompt_id == prompt.id, Label.name == name)).first()
    before = label.version_id if label else None
    if label is None:
        label = Label(prompt_id=prompt.id, name=name, version_id=version.id, updated_by=actor)  # type: ignore[arg-type]
    else:
        label.version_id = version.id  # type: ignore[assignment]
        label.updated_by = actor
        label.updated_at = utcnow()
    session.add(label)
    session.flush()
    session.add(
        LabelMove(
            label_id=label.id,  # type: ignore[arg-type]
            from_version_id=before,
            to_version_id=version.id,  # type: ignore[arg-type]
            moved_by=actor,
            note=note,
        )
    )
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="label",
        entity_id=label.id,
        project_id=prompt.project_id,
        before={"label": name, "version_id": before},
        after={"label": name, "version_id": version.id, "version_number": version.number},
        detail=note,
    )
    return label


def set_label(session: Session, *, version_id: int, name: str, actor: str, note: str = "") -> Label:
    """Point label ``name`` of the version's prompt at ``version_id`` (creating the label)."""
    name = name.strip()
    if not name:
        raise InvalidInput("A label needs a name, e.g. production or staging.", field="label")
    version = fetch(session, PromptVersion, version_id)
    prompt = fetch(session, Prompt, version.prompt_id)
    return record_label_move(session, prompt, name, version, actor, note, "label.move")


def rollback_label(
    session: Session, *, prompt_id: int, name: str, to_version_id: int, actor: str, note: str = ""
) -> Label:
    """Move a label back to an older version; versions themselves are untouched."""
    version = session.get(PromptVersion, to_version_id)
    if version is None or version.prompt_id != prompt_id:
        raise NotFound(f"Version {to_version_id} is not a version of this prompt.")
    prompt = fetch(session, Prompt, prompt_id)
    return record_label_move(session, prompt, name, version, actor, note or "rollback", "label.rollback")


def labels_for_prompt(engine: Engine, prompt_id: int) -> list[Label]:
    with session_scope(engine) as session:
        return list(session.exec(select(Label).where(Label.prompt_id == prompt_id).order_by(col(Label.name))))


def label_history(engine: Engine, label_id: int) -> list[LabelMove]:
    """Oldest first."""
    with session_scope(engine) as session:
        query = select(LabelMove).where(LabelMove.label_id == label_id).order_by(col(LabelMove.id))
        return list(session.exec(query))


# ---- the Python API for applications ---------------------------------------------------------


@dataclass(frozen=True)
class PromptRelease:
    """A prompt version as an application uses it: ``get_prompt(...).render(**variables)``."""

    name: str
    version: int
    version_id: int
    label: str | None
    system_template: str
    user_template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> PromptTemplate:
        return PromptTemplate(system=self.system_template, user=self.user_template)

    @property
    def variables(self) -> list[str]:
        return self.template.variables()

    def render(self, **variables: Any) -> list[Message]:
        return self.template.render(variables)


def resolve_release(
    engine: Engine,
    name: str,
    *,
    label: str | None = "production",
    version: int | None = None,
    project: str | None = None,
) -> PromptRelease:
    """Find prompt ``name`` (in ``project`` when given) at ``version`` or at ``label``."""
    with session_scope(engine) as session:
        query = select(Prompt).where(Prompt.name == name)
        if project is not None:
            query = query.join(Project, col(Project.id) == Prompt.project_id).where(Project.name == project)
        prompts = list(session.exec(query))
        if not prompts:
            raise NotFound(f"No prompt named '{name}'" + (f" in project '{project}'." if project else "."))
        if len(prompts) > 1:
            raise InvalidInput(
                f"Several projects have a prompt named '{name}'; pass project=... to choose one.",
                field="project",
            )
        prompt = prompts[0]
        if version is not None:
            row = session.exec(
                select(PromptVersion).where(
                    PromptVersion.prompt_id == prompt.id, PromptVersion.number == version
                )
            ).first()
            if row is None:
                raise NotFound(f"Prompt '{name}' has no version {version}.")
            used_label = None
        else:
            if label is None:
                raise InvalidInput("Give a label or a version number.", field="label")
            found = session.exec(
                select(Label).where(Label.prompt_id == prompt.id, Label.name == label)
            ).first()
            if found is None:
                names = [lb.name for lb in session.exec(select(Label).where(Label.prompt_id == prompt.id))]
                known = ", ".join(sorted(names)) or "none yet"
                raise NotFound(f"Prompt '{name}' has no label '{label}' (labels: {known}).")
            row = fetch(session, PromptVersion, found.version_id)
            used_label = label
        return PromptRelease(
            name=prompt.name,
            version=row.number,
            version_id=row.id,  # type: ignore[arg-type]
            label=used_label,
            system_template=row.system_template,
            user_template=row.user_template,
            params=dict(row.params or {}),
        )
