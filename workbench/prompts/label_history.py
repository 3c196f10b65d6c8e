"""A prompt's labels as people read them: where each points (its release: version, model and
settings), every move with the model and settings at both ends, and the rules for moving and
rolling back a label (who did it must be named; a rollback puts back a release the label served
before, or an older version).

Read by the Versions page (through ``ui/authoring``) and by the Monitor (moves as events on its
charts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.models.settings import CallSettings
from workbench.prompts import releases, versions
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.release_tables import Release
from workbench.store.tables import Label, LabelMove, PromptVersion


@dataclass(frozen=True)
class LabelState:
    name: str
    version_id: int
    version_number: int
    updated_by: str
    updated_at: datetime
    previous_version_id: int | None  # where it pointed before its last move
    release_id: int = 0
    model: str = releases.CALLER_CHOOSES  # "Local fake server · fake-large"
    settings: str = ""  # "temperature 0.3 · max 300 tokens"
    previous_release_id: int | None = None
    model_choice: releases.ReleaseModel | None = None  # None: the caller chooses
    settings_values: dict[str, Any] = field(default_factory=dict)  # CallSettings.to_dict()

    @property
    def release_text(self) -> str:
        return f"v{self.version_number} · {self.model} · {self.settings}"


@dataclass(frozen=True)
class LabelMoveRow:
    label: str
    from_number: int | None
    to_number: int
    kind: str  # set | moved | rolled back
    moved_by: str
    moved_at: datetime
    note: str
    from_model: str | None = None  # None: the label had no release before
    to_model: str = releases.CALLER_CHOOSES
    from_settings: str | None = None
    to_settings: str = ""
    from_release_id: int | None = None
    to_release_id: int = 0

    @property
    def model_change(self) -> str:
        """ "fake-small → fake-large", "fake-large (unchanged)" or the first model."""
        if self.from_model is None:
            return self.to_model
        if self.from_model == self.to_model:
            return f"{self.to_model} (unchanged)"
        return f"{self.from_model} → {self.to_model}"

    @property
    def settings_change(self) -> str:
        if self.from_settings is None:
            return self.to_settings
        if self.from_settings == self.to_settings:
            return "unchanged"
        return f"{self.from_settings} → {self.to_settings}"


@dataclass(frozen=True)
class ReleaseChoice:
    """A release a label served before: what the Roll back picker offers."""

    release_id: int
    version_number: int
    text: str  # "v2 · Local fake server · fake-large · max 300 tokens"


KIND_WORDS = {"set": "set", "move": "moved", "rollback": "rolled back"}


def _numbers(engine: Engine, prompt_id: int) -> dict[int, int]:
    return {id_of(v): v.number for v in versions.list_versions(engine, prompt_id)}


def _releases(session: Session, prompt_id: int) -> dict[int, Release]:
    return {id_of(r): r for r in session.exec(select(Release).where(Release.prompt_id == prompt_id))}


def label_states(engine: Engine, prompt_id: int) -> list[LabelState]:
    numbers = _numbers(engine, prompt_id)
    with session_scope(engine) as session:
        known = _releases(session, prompt_id)
        out = []
        for label in session.exec(
            select(Label).where(Label.prompt_id == prompt_id).order_by(col(Label.name))
        ):
            last = session.exec(
                select(LabelMove)
                .where(LabelMove.label_id == label.id)
                .order_by(col(LabelMove.id).desc())
                .limit(1)
            ).first()
            release = known[label.release_id]
            out.append(
                LabelState(
                    name=label.name,
                    version_id=label.version_id,
                    version_number=numbers[label.version_id],
                    updated_by=label.updated_by,
                    updated_at=label.updated_at,
                    previous_version_id=last.from_version_id if last else None,
                    release_id=id_of(release),
                    model=releases.model_text(release.endpoint_name, release.model_name),
                    settings=releases.settings_text(release),
                    previous_release_id=last.from_release_id if last else None,
                    model_choice=releases.model_of(release),
                    settings_values=dict(release.settings),
                )
            )
        return out


def label_moves(engine: Engine, prompt_id: int) -> list[LabelMoveRow]:
    """Every move of every label of the prompt, newest first, with the model and settings of
    both ends so a swap of model reads as plainly as a change of version."""
    numbers = _numbers(engine, prompt_id)
    with session_scope(engine) as session:
        known = _releases(session, prompt_id)
        rows = session.exec(
            select(LabelMove, Label.name)
            .join(Label, col(Label.id) == LabelMove.label_id)
            .where(Label.prompt_id == prompt_id)
            .order_by(col(LabelMove.id).desc())
        )
        out = []
        for move, name in rows:
            before = known.get(move.from_release_id) if move.from_release_id else None
            after = known[move.to_release_id]
            out.append(
                LabelMoveRow(
                    label=name,
                    from_number=numbers.get(move.from_version_id) if move.from_version_id else None,
                    to_number=numbers[move.to_version_id],
                    kind=KIND_WORDS.get(move.kind, move.kind),
                    moved_by=move.moved_by,
                    moved_at=move.moved_at,
                    note=move.note,
                    from_model=releases.model_text(before.endpoint_name, before.model_name)
                    if before
                    else None,
                    to_model=releases.model_text(after.endpoint_name, after.model_name),
                    from_settings=releases.settings_text(before) if before else None,
                    to_settings=releases.settings_text(after),
                    from_release_id=move.from_release_id,
                    to_release_id=move.to_release_id,
                )
            )
        return out


def rollback_choices(engine: Engine, prompt_id: int, name: str) -> list[ReleaseChoice]:
    """The releases label ``name`` served before its current one, most recent first."""
    numbers = _numbers(engine, prompt_id)
    with session_scope(engine) as session:
        label = session.exec(select(Label).where(Label.prompt_id == prompt_id, Label.name == name)).first()
        if label is None:
            return []
        return [
            ReleaseChoice(id_of(r), numbers[r.version_id], releases.release_text(r, numbers[r.version_id]))
            for r in versions.past_releases(session, label)
        ]


def _require_actor(actor: str) -> str:
    if not actor.strip():
        raise InvalidInput("Type your name in the sidebar, so the label history shows who moved it.")
    return actor.strip()


def move_label(
    session: Session,
    *,
    version_id: int,
    name: str,
    actor: str,
    note: str = "",
    model: releases.ReleaseModel | None = None,
    settings: CallSettings | None = None,
) -> Label:
    """Point label ``name`` at the release of ``version_id`` on ``model`` with ``settings``
    (creating the label); the move is kept as history."""
    return versions.set_label(
        session,
        version_id=version_id,
        name=name,
        actor=_require_actor(actor),
        note=note,
        model=model,
        settings=settings,
    )


def roll_back(
    session: Session,
    *,
    prompt_id: int,
    name: str,
    actor: str,
    to_version_id: int | None = None,
    to_release_id: int | None = None,
    note: str = "",
) -> Label:
    """Put back a release label ``name`` served before (``to_release_id``), or move it back to an
    older version (``to_version_id``). No version or release is changed or removed."""
    actor = _require_actor(actor)
    current = session.exec(select(Label).where(Label.prompt_id == prompt_id, Label.name == name)).first()
    if current is None:
        raise NotFound(f"This prompt has no label '{name}' to roll back.")
    if to_release_id is not None:
        if to_release_id not in {r.id for r in versions.past_releases(session, current)}:
            raise InvalidInput(
                f"Roll back puts back a release '{name}' served before; use Move label to point it elsewhere."
            )
    else:
        target = session.get(PromptVersion, to_version_id) if to_version_id is not None else None
        if target is None or target.prompt_id != prompt_id:
            raise NotFound(f"Version {to_version_id} is not a version of this prompt.")
        current_number = fetch(session, PromptVersion, current.version_id).number
        if target.number >= current_number:
            raise InvalidInput(
                f"Roll back moves '{name}' to a version older than v{current_number}; "
                "use Move label to point it at a newer one."
            )
    return versions.rollback_label(
        session,
        prompt_id=prompt_id,
        name=name,
        to_version_id=to_version_id,
        to_release_id=to_release_id,
        actor=actor,
        note=note or "rollback",
    )
