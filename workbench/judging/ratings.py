"""Ratings of outputs: stars or thumbs, a comment, tags from the project's list, and who/when.

One rater has one rating per output (a unique constraint): rating again updates that row, so a
person can change their mind, and several people can rate the same output. Stars (1-5) and
thumbs (down 0 / up 1) are stored as given and also as a ``score`` on one 1-5 scale (thumbs up
= 5, down = 1), so both kinds aggregate together.

Every rating write starts by writing the output's row. That takes the database's write lock on
SQLite (so concurrent raters queue behind ``busy_timeout`` instead of failing on a stale read)
and a row lock on PostgreSQL (so two saves by the same rater cannot both insert), and it tells
at once whether the output still exists.

Unlike most writes in the core, ``rate_output`` (and ``pairwise.record_preference``) own their
transaction: under many raters at once a save can time out on that lock, and it is then run
again from the start, which only the code that opened the transaction can do. Other writes here
(``set_project_tags``) take the caller's session.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import Output, Project, Rating, RatingTag, Run, utcnow

KINDS = ("stars", "thumbs")
MAX_COMMENT = 4000
MAX_TAG = 100
MAX_RATER = 200
WRITE_ATTEMPTS = 8

T = TypeVar("T")


@dataclass(frozen=True)
class RatingView:
    """A rating with its tags, detached from the database."""

    id: int
    output_id: int
    rater: str
    kind: str
    value: int
    score: float
    comment: str
    tags: tuple[str, ...]
    blind: bool
    created_at: datetime
    updated_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "score": self.score,
            "comment": self.comment,
            "tags": list(self.tags),
            "blind": self.blind,
        }


def score_for(kind: str, value: int) -> float:
    """The 1-5 score of a stars or thumbs value; refuses anything out of range."""
    if kind == "stars":
        if isinstance(value, bool) or value not in (1, 2, 3, 4, 5):
            raise InvalidInput(f"A star rating is 1 to 5 stars, not {value!r}.", field="value")
        return float(value)
    if kind == "thumbs":
        if isinstance(value, bool) or value not in (0, 1):
            raise InvalidInput(f"A thumbs rating is 1 (up) or 0 (down), not {value!r}.", field="value")
        return 5.0 if value == 1 else 1.0
    raise InvalidInput(f"A rating is given in {' or '.join(KINDS)}, not '{kind}'.", field="kind")


def clean_rater(rater: str | None) -> str:
    name = (rater or "").strip()
    if not name:
        raise InvalidInput(
            "Type your name in the sidebar first: every rating records who gave it.", field="rater"
        )
    if len(name) > MAX_RATER:
        raise InvalidInput(f"A rater name is at most {MAX_RATER} characters.", field="rater")
    return name


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    seen: list[str] = []
    for tag in tags:
        text = str(tag).strip()
        if not text or text in seen:
            continue
        if len(text) > MAX_TAG:
            raise InvalidInput(f"A tag is at most {MAX_TAG} characters: '{text[:30]}…'.", field="tags")
        seen.append(text)
    return seen


def _view(rating: Rating, tags: Sequence[str]) -> RatingView:
    return RatingView(
        id=id_of(rating),
        output_id=rating.output_id,
        rater=rating.rater,
        kind=rating.kind,
        value=rating.value,
        score=rating.score,
        comment=rating.comment,
        tags=tuple(sorted(tags)),
        blind=rating.blind,
        created_at=rating.created_at,
        updated_at=rating.updated_at,
    )


def _tags_of(session: Session, rating_ids: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if rating_ids:
        for rating_id, tag in session.exec(
            select(RatingTag.rating_id, RatingTag.tag).where(col(RatingTag.rating_id).in_(rating_ids))
        ):
            found.setdefault(rating_id, []).append(tag)
    return found


def lock_output(session: Session, output_id: int) -> Output:
    """Take the write lock for ``output_id`` (see the module docstring) and return the row."""
    locked = session.execute(update(Output).where(col(Output.id) == output_id).values(status=Output.status))
    if locked.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(
            f"Output {output_id} no longer exists (its run may have been deleted), so it cannot be rated."
        )
    return fetch(session, Output, output_id)


def project_of_output(session: Session, output: Output) -> Project:
    missing = f"The project of output {output.id} no longer exists."
    run = fetch(session, Run, output.run_id, missing=missing)
    return fetch(session, Project, run.project_id, missing=missing)


def rate_output(
    engine: Engine,
    *,
    output_id: int,
    rater: str,
    value: int,
    kind: str = "stars",
    comment: str = "",
    tags: Iterable[str] = (),
    blind: bool = False,
) -> RatingView:
    """Record (or change) ``rater``'s rating of an output; returns the stored rating. Runs in a
    transaction of its own, retried after a lock timeout (see the module docstring)."""
    rater = clean_rater(rater)
    score = score_for(kind, value)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"A comment is at most {MAX_COMMENT} characters.", field="comment")
    chosen = clean_tags(tags)
    return write_with_retries(
        engine,
        lambda session: _write_rating(session, output_id, rater, kind, value, score, comment, chosen, blind),
        what="the rating",
    )


def write_with_retries(engine: Engine, work: Callable[[Session], T], *, what: str) -> T:
    """Run ``work`` in a transaction, again after a lock timeout or a lost insert race. It opens
    the transaction itself because a failed attempt must be rolled back and started afresh."""
    last_error: Exception | None = None
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return work(session)
        except (IntegrityError, OperationalError) as exc:
            last_error = exc
            time.sleep(0.02 * (attempt + 1))
    raise InvalidInput(f"Could not save {what} after {WRITE_ATTEMPTS} attempts: {last_error}") from None


def _write_rating(
    session: Session,
    output_id: int,
    rater: str,
    kind: str,
    value: int,
    score: float,
    comment: str,
    chosen: list[str],
    blind: bool,
) -> RatingView:
    output = lock_output(session, output_id)
    if output.status == "error":
        raise InvalidInput(
            f"Output {output_id} is a failed call with no answer to rate; run it again first.",
            field="output_id",
        )
    project = project_of_output(session, output)
    rating = session.exec(select(Rating).where(Rating.output_id == output_id, Rating.rater == rater)).first()
    old_tags = _tags_of(session, [id_of(rating)]).get(id_of(rating), []) if rating else []
    allowed = set(project.tags) | set(old_tags)
    unknown = [t for t in chosen if t not in allowed]
    if unknown:
        raise InvalidInput(
            f"Unknown tag {', '.join(repr(t) for t in unknown)}. This project's tags are: "
            f"{', '.join(project.tags) or 'none'}; add new tags to the project's list first.",
            field="tags",
        )
    before = _view(rating, old_tags).snapshot() if rating else None
    if rating is None:
        rating = Rating(output_id=output_id, rater=rater, kind=kind, value=value, score=score)
    rating.kind, rating.value, rating.score = kind, value, score
    rating.comment, rating.blind, rating.updated_at = comment, blind, utcnow()
    session.add(rating)
    session.flush()
    session.execute(delete(RatingTag).where(col(RatingTag.rating_id) == rating.id))
    for tag in chosen:
        session.add(RatingTag(rating_id=id_of(rating), tag=tag))
    view = _view(rating, chosen)
    audit.record(
        session,
        actor=rater,
        action="rating.update" if before else "rating.create",
        entity_type="output",
        entity_id=output_id,
        project_id=project.id,
        before=before,
        after=view.snapshot(),
    )
    return view


def get_rating(engine: Engine, output_id: int, rater: str) -> RatingView | None:
    found = ratings_by(engine, [output_id], rater.strip())
    return found.get(output_id)


def ratings_by(engine: Engine, output_ids: Sequence[int], rater: str) -> dict[int, RatingView]:
    """``rater``'s ratings of the given outputs, keyed by output id (unrated ones are absent)."""
    if not output_ids or not rater:
        return {}
    with session_scope(engine) as session:
        rows = list(
            session.exec(select(Rating).where(col(Rating.output_id).in_(output_ids), Rating.rater == rater))
        )
        tags = _tags_of(session, [id_of(r) for r in rows])
        return {r.output_id: _view(r, tags.get(id_of(r), [])) for r in rows}


def ratings_for_output(engine: Engine, output_id: int) -> list[RatingView]:
    """Every rater's rating of one output, oldest first."""
    with session_scope(engine) as session:
        rows = list(
            session.exec(select(Rating).where(Rating.output_id == output_id).order_by(col(Rating.created_at)))
        )
        tags = _tags_of(session, [id_of(r) for r in rows])
        return [_view(r, tags.get(id_of(r), [])) for r in rows]


def rated_output_ids(engine: Engine, output_ids: Sequence[int], rater: str) -> set[int]:
    return set(ratings_by(engine, output_ids, rater))


# ---- the project's tag list --------------------------------------------------------------------


def project_tags(engine: Engine, project_id: int) -> list[str]:
    with session_scope(engine) as session:
        return list(fetch(session, Project, project_id).tags)


def tags_for_output(engine: Engine, output_id: int) -> list[str]:
    """The tags a rater may pick for this output: its project's list."""
    with session_scope(engine) as session:
        output = fetch(session, Output, output_id, missing=f"Output {output_id} no longer exists.")
        return list(project_of_output(session, output).tags)


def set_project_tags(session: Session, project_id: int, tags: Iterable[str], *, actor: str) -> list[str]:
    """Replace the tags offered to raters. Ratings keep the tags they already carry."""
    cleaned = clean_tags(tags)
    project = fetch(session, Project, project_id)
    before = list(project.tags)
    if before == cleaned:
        return cleaned
    project.tags = cleaned
    project.updated_at = utcnow()
    session.add(project)
    audit.record(
        session,
        actor=actor,
        action="project.tags",
        entity_type="project",
        entity_id=project_id,
        project_id=project_id,
        before={"tags": before},
        after={"tags": cleaned},
    )
    return cleaned
