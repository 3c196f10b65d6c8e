"""A prompt's history as people read it: versions with who/when/why and how they were rated,
where each label points, every label move, and the rules for moving and rolling back labels.

Ratings come from ``workbench.judging.feedback`` (the one place ratings are aggregated): average of
the normalised 1-5 score, number of ratings and tag counts per version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.judging import feedback
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch
from workbench.store.tables import Label, LabelMove, PromptVersion


@dataclass(frozen=True)
class VersionRow:
    id: int
    number: int
    author: str
    created_at: datetime
    change_note: str
    labels: tuple[str, ...]
    average_rating: float | None
    ratings: int
    tags: str = ""  # "accurate ×3, too long ×1"


@dataclass(frozen=True)
class LabelState:
    name: str
    version_id: int
    version_number: int
    updated_by: str
    updated_at: datetime
    previous_version_id: int | None  # where it pointed before its last move


@dataclass(frozen=True)
class LabelMoveRow:
    label: str
    from_number: int | None
    to_number: int
    kind: str  # set | moved | rolled back
    moved_by: str
    moved_at: datetime
    note: str


def version_history(engine: Engine, prompt_id: int) -> list[VersionRow]:
    """Every version, newest first, with its labels and ratings."""
    summary = feedback.version_feedback(engine, prompt_id)
    rated = {
        int(number): (round(float(mean), 2), int(count), str(tags))
        for number, mean, count, tags in summary[
            ["version_number", "mean_score", "ratings", "tags"]
        ].itertuples(index=False)
    }
    labels: dict[int, list[str]] = {}
    for label in versions.labels_for_prompt(engine, prompt_id):
        labels.setdefault(label.version_id, []).append(label.name)
    return [
        VersionRow(
            id=v.id,  # type: ignore[arg-type]
            number=v.number,
            author=v.author,
            created_at=v.created_at,
            change_note=v.change_note,
            labels=tuple(labels.get(v.id, [])),  # type: ignore[arg-type]
            average_rating=rated.get(v.number, (None, 0, ""))[0],
            ratings=rated.get(v.number, (None, 0, ""))[1],  # type: ignore[arg-type]
            tags=rated.get(v.number, (None, 0, ""))[2],  # type: ignore[arg-type]
        )
        for v in versions.list_versions(engine, prompt_id)
    ]


def _numbers(engine: Engine, prompt_id: int) -> dict[int, int]:
    return {v.id: v.number for v in versions.list_versions(engine, prompt_id)}  # type: ignore[misc]


def label_states(engine: Engine, prompt_id: int) -> list[LabelState]:
    numbers = _numbers(engine, prompt_id)
    with session_scope(engine) as session:
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
            out.append(
                LabelState(
                    name=label.name,
                    version_id=label.version_id,
                    version_number=numbers[label.version_id],
                    updated_by=label.updated_by,
                    updated_at=label.updated_at,
                    previous_version_id=last.from_version_id if last else None,
                )
            )
        return out


def label_moves(engine: Engine, prompt_id: int) -> list[LabelMoveRow]:
    """Every move of every label of the prompt, newest first."""
    numbers = _numbers(engine, prompt_id)
    with session_scope(engine) as session:
        rows = session.exec(
            select(LabelMove, Label.name)
            .join(Label, col(Label.id) == LabelMove.label_id)
            .where(Label.prompt_id == prompt_id)
            .order_by(col(LabelMove.id).desc())
        )
        out = []
        for move, name in rows:
            before = numbers.get(move.from_version_id) if move.from_version_id else None
            after = numbers[move.to_version_id]
            kind = "set" if before is None else ("rolled back" if after < before else "moved")
            out.append(LabelMoveRow(name, before, after, kind, move.moved_by, move.moved_at, move.note))
        return out


def _require_actor(actor: str) -> str:
    if not actor.strip():
        raise InvalidInput("Type your name in the sidebar, so the label history shows who moved it.")
    return actor.strip()


def move_label(session: Session, *, version_id: int, name: str, actor: str, note: str = "") -> Label:
    """Point label ``name`` at ``version_id`` (creating the label); the move is kept as history."""
    return versions.set_label(
        session, version_id=version_id, name=name, actor=_require_actor(actor), note=note
    )


def roll_back(
    session: Session, *, prompt_id: int, name: str, to_version_id: int, actor: str, note: str = ""
) -> Label:
    """Move an existing label back to an older version. No version is changed or removed."""
    actor = _require_actor(actor)
    current = session.exec(select(Label).where(Label.prompt_id == prompt_id, Label.name == name)).first()
    if current is None:
        raise NotFound(f"This prompt has no label '{name}' to roll back.")
    target = session.get(PromptVersion, to_version_id)
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
        actor=actor,
        note=note or "rollback",
    )
