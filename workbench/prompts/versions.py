"""Prompts, their immutable versions, and the labels that point at them.

A save never rewrites a version: it adds version N+1. Two people saving the same prompt at the
same moment both get their own version, because numbering is serialised per prompt: a write
lock on the prompt row is taken before the next number is read, and held until the caller's
transaction ends, so the second save waits for the first instead of reading the same number.
Labels (production, staging, ...) move between releases (a version with its model and settings,
``prompts.releases``); each move is a ``LabelMove`` row and an audit event, and a rollback is
simply a move back.

Writes take the caller's ``Session`` and do not commit (``with session_scope(engine) as
session: versions.save_version(session, ...)``); reads take the engine.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.models.settings import CallSettings
from workbench.prompts import releases
from workbench.prompts.templates import PromptTemplate
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.release_tables import Release
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
        prompt_id=id_of(prompt),
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


def _release_snapshot(release: Release | None, version: PromptVersion | None) -> dict[str, Any]:
    """What the audit log keeps of a label's release: version, model and settings."""
    if release is None or version is None:
        return {"version_id": None}
    return {
        "version_id": version.id,
        "version_number": version.number,
        "release_id": release.id,
        "model": releases.model_text(release.endpoint_name, release.model_name),
        "settings": dict(release.settings),
    }


def record_label_move(
    session: Session, prompt: Prompt, name: str, release: Release, actor: str, note: str, action: str
) -> Label:
    """Point label ``name`` at ``release`` (version, model and settings together), keeping the
    move as a ``LabelMove`` row and an audit event ``action`` (``label.move`` or
    ``label.rollback``). The move's kind is ``set`` for a label's first assignment, ``rollback``
    for a rollback or a move to an older version (as the history always read it), else ``move``."""
    version = fetch(session, PromptVersion, release.version_id)
    label = session.exec(select(Label).where(Label.prompt_id == prompt.id, Label.name == name)).first()
    before = fetch(session, Release, label.release_id) if label else None
    before_version = fetch(session, PromptVersion, before.version_id) if before else None
    if label is None:
        label = Label(
            prompt_id=id_of(prompt),
            name=name,
            version_id=id_of(version),
            release_id=id_of(release),
            updated_by=actor,
        )
        kind = "set"
    else:
        label.version_id = id_of(version)
        label.release_id = id_of(release)
        label.updated_by = actor
        label.updated_at = utcnow()
    session.add(label)
    session.flush()
    if before_version is None:
        kind = "set"
    elif action == "label.rollback" or version.number < before_version.number:
        kind = "rollback"
    else:
        kind = "move"
    session.add(
        LabelMove(
            label_id=id_of(label),
            from_version_id=before.version_id if before else None,
            to_version_id=id_of(version),
            from_release_id=before.id if before else None,
            to_release_id=id_of(release),
            kind=kind,
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
        before={"label": name, **_release_snapshot(before, before_version)},
        after={"label": name, **_release_snapshot(release, version)},
        detail=note,
    )
    return label


def set_label(
    session: Session,
    *,
    version_id: int,
    name: str,
    actor: str,
    note: str = "",
    model: releases.ReleaseModel | None = None,
    settings: CallSettings | None = None,
) -> Label:
    """Point label ``name`` of the version's prompt (creating the label) at the release of
    ``version_id`` on ``model`` (``None``: the caller chooses) with ``settings`` (``None``: the
    version's own)."""
    name = name.strip()
    if not name:
        raise InvalidInput("A label needs a name, e.g. production or staging.", field="label")
    version = fetch(session, PromptVersion, version_id)
    prompt = fetch(session, Prompt, version.prompt_id)
    release = releases.release_for(session, version, model=model, settings=settings, actor=actor)
    return record_label_move(session, prompt, name, release, actor, note, "label.move")


def past_releases(session: Session, label: Label) -> list[Release]:
    """The releases ``label`` served before its current one, most recent first, each once."""
    moves = session.exec(
        select(LabelMove.to_release_id)
        .where(LabelMove.label_id == label.id)
        .order_by(col(LabelMove.id).desc())
    )
    seen: dict[int, None] = {}
    for release_id in moves:
        if release_id != label.release_id:
            seen.setdefault(release_id)
    return [fetch(session, Release, release_id) for release_id in seen]


def rollback_label(
    session: Session,
    *,
    prompt_id: int,
    name: str,
    actor: str,
    to_version_id: int | None = None,
    to_release_id: int | None = None,
    note: str = "",
) -> Label:
    """Move a label back: to release ``to_release_id``, or to the release it last served with
    version ``to_version_id`` (that version on the label's current model and with its own
    settings, if it never served it). Versions and releases themselves are untouched."""
    prompt = fetch(session, Prompt, prompt_id)
    label = session.exec(select(Label).where(Label.prompt_id == prompt_id, Label.name == name)).first()
    if to_release_id is not None:
        release = session.get(Release, to_release_id)
        if release is None or release.prompt_id != prompt_id:
            raise NotFound(f"Release {to_release_id} is not a release of this prompt.")
    else:
        version = session.get(PromptVersion, to_version_id) if to_version_id is not None else None
        if version is None or version.prompt_id != prompt_id:
            raise NotFound(f"Version {to_version_id} is not a version of this prompt.")
        earlier = [r for r in past_releases(session, label) if r.version_id == version.id] if label else []
        current = fetch(session, Release, label.release_id) if label else None
        model = releases.model_of(current) if current else None
        release = (
            earlier[0]
            if earlier
            else releases.release_for(session, version, model=model, settings=None, actor=actor)
        )
    return record_label_move(session, prompt, name, release, actor, note or "rollback", "label.rollback")


def labels_for_prompt(engine: Engine, prompt_id: int) -> list[Label]:
    with session_scope(engine) as session:
        return list(session.exec(select(Label).where(Label.prompt_id == prompt_id).order_by(col(Label.name))))


def label_history(engine: Engine, label_id: int) -> list[LabelMove]:
    """Oldest first."""
    with session_scope(engine) as session:
        query = select(LabelMove).where(LabelMove.label_id == label_id).order_by(col(LabelMove.id))
        return list(session.exec(query))
