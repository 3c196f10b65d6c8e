"""The prompt library: every prompt with its versions, labels, ratings, pass rate and activity.

One row per prompt, built from a handful of aggregate queries (``GROUP BY`` per prompt, never
one query per prompt), so the Library page stays fast with tens of thousands of versions and
hundreds of thousands of rated outputs (``benchmarks/library_scale.py`` measures it). Filters
that narrow the prompts (project, text, label, tag, model) go into the prompt query as
``IN (subquery)`` clauses; the rating range applies to the aggregated average.

"Latest pass rate" is the answer pass rate of the prompt's newest finished bench evaluation,
as stored on the evaluation when it finished (``Evaluation.summary["pass_rate"]``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import Engine, func, or_, tuple_
from sqlalchemy.sql import Select
from sqlmodel import col, select
from sqlmodel.sql.expression import Select as ColumnsSelect

from workbench.judging.review import model_label
from workbench.store.engine import session_scope
from workbench.store.lookup import select_columns
from workbench.store.tables import (
    Evaluation,
    Label,
    Output,
    Project,
    Prompt,
    PromptVersion,
    Rating,
    RatingTag,
    Run,
)

# A select of any shape, kept as it is by the filters added to it (so `exec` knows its rows).
Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])

SCORE_RANGE = (1.0, 5.0)
COLUMNS = [
    "prompt_id",
    "project_id",
    "project",
    "prompt",
    "description",
    "versions",
    "latest_version",
    "latest_version_id",
    "labels",
    "average_rating",
    "ratings",
    "pass_rate",
    "runs",
    "last_activity",
]


@dataclass(frozen=True)
class LibraryFilter:
    """What the Library page asks for; every field is optional (empty = no restriction).

    ``visible_project_ids`` is what the person may see (``None``: everything, sign-in off);
    ``project_ids`` is what they picked. ``models`` are display labels ("Endpoint · model").
    ``rating`` narrows to prompts whose average rating lies in the range; prompts without
    ratings are kept only while the range is the full 1-5 scale.
    """

    visible_project_ids: frozenset[int] | None = None
    project_ids: tuple[int, ...] = ()
    text: str = ""
    labels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    rating: tuple[float, float] = SCORE_RANGE
    include_archived: bool = False

    @property
    def rating_narrowed(self) -> bool:
        return tuple(self.rating) != SCORE_RANGE


@dataclass(frozen=True)
class FilterChoices:
    """The values the filters can take, for the page's select boxes."""

    labels: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)


def like_pattern(text: str) -> str:
    """``%text%`` for a case-insensitive LIKE, with LIKE's own wildcards taken literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(column: Any, pattern: str) -> Any:
    return func.lower(column).like(pattern, escape="\\")


def model_pairs(labels: Iterable[str]) -> list[tuple[str, str]]:
    """Display labels back to (endpoint_name, model_name) as stored on outputs."""
    pairs = []
    for label in labels:
        endpoint, sep, model = label.partition(" · ")
        pairs.append((endpoint, model) if sep else ("", label))
    return pairs


def _prompt_query(filters: LibraryFilter) -> ColumnsSelect[*tuple[Any, ...]]:
    query = (
        select_columns(
            Prompt.id,
            Prompt.project_id,
            Project.name,
            Prompt.name,
            Prompt.description,
            Prompt.created_at,
        )
        .join(Project, col(Project.id) == Prompt.project_id)
        .order_by(col(Project.name), col(Prompt.name))
    )
    if not filters.include_archived:
        query = query.where(col(Prompt.archived).is_(False))
    if filters.visible_project_ids is not None:
        query = query.where(col(Prompt.project_id).in_(sorted(filters.visible_project_ids)))
    if filters.project_ids:
        query = query.where(col(Prompt.project_id).in_(list(filters.project_ids)))
    if filters.text.strip():
        pattern = like_pattern(filters.text)
        in_templates = select(PromptVersion.prompt_id).where(
            or_(
                _matches(PromptVersion.system_template, pattern),
                _matches(PromptVersion.user_template, pattern),
            )
        )
        query = query.where(
            or_(
                _matches(Prompt.name, pattern),
                _matches(Prompt.description, pattern),
                col(Prompt.id).in_(in_templates),
            )
        )
    if filters.labels:
        query = query.where(
            col(Prompt.id).in_(select(Label.prompt_id).where(col(Label.name).in_(list(filters.labels))))
        )
    if filters.tags:
        tagged = (
            select(PromptVersion.prompt_id)
            .join(Output, col(Output.prompt_version_id) == PromptVersion.id)
            .join(Rating, col(Rating.output_id) == Output.id)
            .join(RatingTag, col(RatingTag.rating_id) == Rating.id)
            .where(col(RatingTag.tag).in_(list(filters.tags)))
        )
        query = query.where(col(Prompt.id).in_(tagged))
    if filters.models:
        ran = (
            select(PromptVersion.prompt_id)
            .join(Output, col(Output.prompt_version_id) == PromptVersion.id)
            .where(tuple_(Output.endpoint_name, Output.model_name).in_(model_pairs(filters.models)))
        )
        query = query.where(col(Prompt.id).in_(ran))
    return query


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None and not pd.isna(v)]
    return max(present) if present else None


def library_frame(engine: Engine, filters: LibraryFilter | None = None) -> pd.DataFrame:
    """One row per prompt (``COLUMNS``), ordered by project and prompt name."""
    filters = filters or LibraryFilter()
    with session_scope(engine) as session:
        prompts = session.exec(_prompt_query(filters)).all()
        if not prompts:
            return pd.DataFrame(columns=COLUMNS)
        version_stats = {
            pid: (count, number, at)
            for pid, count, number, at in session.exec(
                select(
                    PromptVersion.prompt_id,
                    func.count(col(PromptVersion.id)),
                    func.max(PromptVersion.number),
                    func.max(PromptVersion.created_at),
                ).group_by(col(PromptVersion.prompt_id))
            )
        }
        latest_ids = dict(
            session.exec(
                select(PromptVersion.prompt_id, PromptVersion.id).where(
                    tuple_(PromptVersion.prompt_id, PromptVersion.number).in_(
                        select(PromptVersion.prompt_id, func.max(PromptVersion.number)).group_by(
                            col(PromptVersion.prompt_id)
                        )
                    )
                )
            ).all()
        )
        rated = {
            pid: (avg, n, at)
            for pid, avg, n, at in session.exec(
                select(
                    PromptVersion.prompt_id,
                    func.avg(Rating.score),
                    func.count(col(Rating.id)),
                    func.max(Rating.updated_at),
                )
                .join(Output, col(Output.prompt_version_id) == PromptVersion.id)
                .join(Rating, col(Rating.output_id) == Output.id)
                .group_by(col(PromptVersion.prompt_id))
            )
        }
        runs = {
            pid: (n, at)
            for pid, n, at in session.exec(
                select(PromptVersion.prompt_id, func.count(col(Run.id)), func.max(Run.created_at))
                .join(Run, col(Run.prompt_version_id) == PromptVersion.id)
                .group_by(col(PromptVersion.prompt_id))
            )
        }
        newest_evaluation = (
            select(func.max(Evaluation.id))
            .where(col(Evaluation.status).not_in(("running", "failed")))  # a failed one has no pass rate
            .group_by(col(Evaluation.prompt_id))
        )
        evaluations = {
            pid: (summary, at)
            for pid, summary, at in session.exec(
                select(Evaluation.prompt_id, Evaluation.summary, Evaluation.created_at).where(
                    col(Evaluation.id).in_(newest_evaluation)
                )
            )
        }
        labels: dict[int, list[tuple[str, int]]] = {}
        for pid, name, number in session.exec(
            select(Label.prompt_id, Label.name, PromptVersion.number)
            .join(PromptVersion, col(PromptVersion.id) == Label.version_id)
            .order_by(col(Label.name))
        ):
            labels.setdefault(pid, []).append((name, number))

    rows = []
    for pid, project_id, project, name, description, created_at in prompts:
        count, latest, latest_at = version_stats.get(pid, (0, None, None))
        average, n_ratings, rated_at = rated.get(pid, (None, 0, None))
        n_runs, run_at = runs.get(pid, (0, None))
        summary, evaluated_at = evaluations.get(pid, (None, None))
        pass_rate = (summary or {}).get("pass_rate")
        rows.append(
            {
                "prompt_id": pid,
                "project_id": project_id,
                "project": project,
                "prompt": name,
                "description": description,
                "versions": count or 0,
                "latest_version": latest,
                "latest_version_id": latest_ids.get(pid),
                "labels": " · ".join(f"{label} → v{number}" for label, number in labels.get(pid, [])),
                "average_rating": round(float(average), 2) if average is not None else None,
                "ratings": n_ratings,
                "pass_rate": float(pass_rate) if pass_rate is not None else None,
                "runs": n_runs,
                "last_activity": _latest(created_at, latest_at, rated_at, run_at, evaluated_at),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["average_rating"] = frame["average_rating"].astype("Float64")
    frame["pass_rate"] = frame["pass_rate"].astype("Float64")
    frame["latest_version"] = frame["latest_version"].astype("Int64")
    frame["latest_version_id"] = frame["latest_version_id"].astype("Int64")
    frame["last_activity"] = pd.to_datetime(frame["last_activity"], utc=True)
    if filters.rating_narrowed:
        low, high = filters.rating
        keep = frame["average_rating"].between(low, high).fillna(False).astype(bool)
        frame = frame[keep].reset_index(drop=True)
    return frame


def filter_choices(engine: Engine, visible_project_ids: frozenset[int] | None = None) -> FilterChoices:
    """Labels, tags and models that occur in the prompts this person may see."""

    def scoped(query: Query, project_column: Any) -> Query:
        if visible_project_ids is None:
            return query
        return query.where(col(project_column).in_(sorted(visible_project_ids)))

    with session_scope(engine) as session:
        labels = session.exec(
            scoped(
                select(Label.name).join(Prompt, col(Prompt.id) == Label.prompt_id).distinct(),
                Prompt.project_id,
            )
        ).all()
        tag_query = select(RatingTag.tag).distinct()
        if visible_project_ids is not None:
            tag_query = (
                tag_query.join(Rating, col(Rating.id) == RatingTag.rating_id)
                .join(Output, col(Output.id) == Rating.output_id)
                .join(Run, col(Run.id) == Output.run_id)
            )
        tags = session.exec(scoped(tag_query, Run.project_id)).all()
        model_query = (
            select(Output.endpoint_name, Output.model_name)
            .where(col(Output.prompt_version_id).is_not(None))
            .distinct()
        )
        if visible_project_ids is not None:
            model_query = model_query.join(Run, col(Run.id) == Output.run_id)
        models = session.exec(scoped(model_query, Run.project_id)).all()
    return FilterChoices(
        labels=sorted(set(labels), key=str.lower),
        tags=sorted(set(tags), key=str.lower),
        models=sorted({model_label(e, m) for e, m in models if m}, key=str.lower),
    )


def describe_filter(filters: LibraryFilter, project_names: dict[int, str] | None = None) -> str:
    """The active filters in words ("text 'refund' · label production"), for captions."""
    names = project_names or {}
    parts: list[str] = []
    if filters.project_ids:
        parts.append("project " + ", ".join(names.get(p, str(p)) for p in filters.project_ids))
    if filters.text.strip():
        parts.append(f"text '{filters.text.strip()}'")
    for word, values in (("label", filters.labels), ("tag", filters.tags), ("model", filters.models)):
        if values:
            parts.append(f"{word} " + ", ".join(values))
    if filters.rating_narrowed:
        parts.append(f"average rating {filters.rating[0]:g}-{filters.rating[1]:g}")
    return " · ".join(parts) or "no filter"
