"""The frames behind the Insights page: aggregates over the whole library, by project and time.

Every frame is one aggregate query (or a small number of them) filtered by ``Scope``:
projects and a time window on when the answer was produced (ratings: when they were given).
Distributions are summarised in Python from one column fetch, so the page draws box plots
from five numbers per model instead of shipping every point to the browser. Agreement reuses
``workbench.judging.feedback.rater_agreement`` (Krippendorff's alpha) and adds Cohen's kappa per pair
of raters, for the heatmap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func
from sqlmodel import col, select

from workbench.judging.agreement import cohen_kappa
from workbench.judging.feedback import Agreement, rater_agreement
from workbench.judging.review import model_label
from workbench.store.engine import session_scope
from workbench.store.lookup import select_columns
from workbench.store.tables import (
    AssertionResult,
    Evaluation,
    Output,
    Project,
    Prompt,
    PromptVersion,
    Rating,
    RatingTag,
    Run,
)

MIN_SHARED = 3  # a pair of raters needs this many outputs in common for a kappa


@dataclass(frozen=True)
class Scope:
    """``project_ids`` empty = all (within ``allowed``: ``None`` = everything, sign-in off)."""

    project_ids: tuple[int, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    allowed: frozenset[int] | None = None

    def projects(self, column: Any) -> list[Any]:
        found = []
        if self.allowed is not None:
            found.append(col(column).in_(sorted(self.allowed)))
        if self.project_ids:
            found.append(col(column).in_(list(self.project_ids)))
        return found

    def window(self, column: Any) -> list[Any]:
        found = []
        if self.since is not None:
            found.append(col(column) >= self.since)
        if self.until is not None:
            found.append(col(column) < self.until)
        return found


def rating_by_version(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Average rating of each version (ratings given in the window), with when it was saved."""
    query = (
        select_columns(
            Project.name,
            Prompt.name,
            PromptVersion.number,
            PromptVersion.created_at,
            func.avg(Rating.score),
            func.count(col(Rating.id)),
        )
        .join(Output, col(Output.id) == Rating.output_id)
        .join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
        .join(Prompt, col(Prompt.id) == PromptVersion.prompt_id)
        .join(Project, col(Project.id) == Prompt.project_id)
        .where(*scope.projects(Prompt.project_id), *scope.window(Rating.created_at))
        .group_by(
            col(PromptVersion.id),
            col(Project.name),
            col(Prompt.name),
            col(PromptVersion.number),
            col(PromptVersion.created_at),
        )
        .order_by(col(PromptVersion.created_at))
    )
    columns = ["project", "prompt", "version", "saved_at", "average_rating", "ratings"]
    with session_scope(engine) as session:
        rows = session.exec(query).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["average_rating"] = frame["average_rating"].astype(float).round(2)
    frame["saved_at"] = pd.to_datetime(frame["saved_at"], utc=True)
    frame["label"] = frame["prompt"] + " · v" + frame["version"].astype(str)
    return frame


def top_prompts(frame: pd.DataFrame, limit: int = 12) -> pd.DataFrame:
    """Only the ``limit`` most rated prompts (a chart with a line per prompt stays readable)."""
    if frame.empty:
        return frame
    keep = frame.groupby(["project", "prompt"])["ratings"].sum().nlargest(limit).index
    return frame[frame.set_index(["project", "prompt"]).index.isin(keep)]


def _outputs_in_scope(query: Any, scope: Scope) -> Any:
    """Answers to prompt versions in the scope: a generation's outputs (no version) are not a
    prompt's answers and stay out of the charts."""
    query = query.where(col(Output.prompt_version_id).is_not(None))
    projects = scope.projects(Run.project_id)
    if projects:  # the join costs a lookup per output; skip it when every project counts
        query = query.join(Run, col(Run.id) == Output.run_id).where(*projects)
    return query.where(*scope.window(Output.created_at))


def pass_rate_by_model(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Share of checked answers that passed every assertion, per model."""
    per_output = (
        select(
            col(AssertionResult.output_id).label("output_id"),
            func.min(case((col(AssertionResult.passed), 1), else_=0)).label("passed"),
        )
        .join(Evaluation, col(Evaluation.id) == AssertionResult.evaluation_id)
        .where(Evaluation.status != "failed")  # an evaluation in which every call failed checked nothing
        .group_by(col(AssertionResult.output_id))
        .subquery()
    )
    query = _outputs_in_scope(
        select(Output.endpoint_name, Output.model_name, func.avg(per_output.c.passed), func.count()).join(
            per_output, per_output.c.output_id == Output.id
        ),
        scope,
    ).group_by(col(Output.endpoint_name), col(Output.model_name))
    with session_scope(engine) as session:
        rows = session.exec(query).all()
    frame = pd.DataFrame(
        [(model_label(e, m), float(rate), int(n)) for e, m, rate, n in rows],
        columns=["model", "pass_rate", "answers"],
    )
    return frame.sort_values("pass_rate", ascending=False, ignore_index=True)


def _five_numbers(values: pd.Series) -> dict[str, float]:
    q = values.quantile([0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "p5": float(q[0.05]),
        "q1": float(q[0.25]),
        "median": float(q[0.5]),
        "q3": float(q[0.75]),
        "p95": float(q[0.95]),
        "mean": float(values.mean()),
        "answers": int(values.size),
    }


def distribution_by_model(engine: Engine, scope: Scope, figure: str) -> pd.DataFrame:
    """p5 / quartiles / median / p95 / mean of ``latency_ms`` or ``cost_usd`` per model
    (successful answers only)."""
    column = {"latency_ms": Output.latency_ms, "cost_usd": Output.cost_usd}[figure]
    query = _outputs_in_scope(
        select(Output.endpoint_name, Output.model_name, column).where(
            Output.status == "ok", col(column).is_not(None)
        ),
        scope,
    )
    with session_scope(engine) as session:
        rows = session.connection().execute(query).all()
    columns = ["model", "p5", "q1", "median", "q3", "p95", "mean", "answers"]
    if not rows:
        return pd.DataFrame(columns=columns)
    endpoint, name, value = zip(*rows, strict=True)
    raw = pd.DataFrame({"endpoint": endpoint, "name": name, "value": pd.Series(value, dtype=float)})
    found = [
        {"model": model_label(e, m), **_five_numbers(part["value"])}
        for (e, m), part in raw.groupby(["endpoint", "name"])
    ]
    return pd.DataFrame(found, columns=columns).sort_values("median", ignore_index=True)


def tag_frequencies(engine: Engine, scope: Scope) -> pd.DataFrame:
    """How often raters gave each tag (ratings given in the window)."""
    query = (
        select(RatingTag.tag, func.count())
        .join(Rating, col(Rating.id) == RatingTag.rating_id)
        .join(Output, col(Output.id) == Rating.output_id)
        .join(Run, col(Run.id) == Output.run_id)
        .where(*scope.projects(Run.project_id), *scope.window(Rating.created_at))
        .group_by(col(RatingTag.tag))
        .order_by(func.count().desc())
    )
    with session_scope(engine) as session:
        rows = session.exec(query).all()
    return pd.DataFrame(rows, columns=["tag", "count"])


def shared_ratings(engine: Engine, scope: Scope) -> pd.DataFrame:
    """(rater, output_id, score) for outputs rated by two or more people: the agreement data."""
    shared = (
        select(Rating.output_id)
        .join(Output, col(Output.id) == Rating.output_id)
        .join(Run, col(Run.id) == Output.run_id)
        .where(*scope.projects(Run.project_id), *scope.window(Rating.created_at))
        .group_by(col(Rating.output_id))
        .having(func.count(func.distinct(Rating.rater)) >= 2)
    )
    query = select(Rating.rater, Rating.output_id, Rating.score).where(
        col(Rating.output_id).in_(shared), *scope.window(Rating.created_at)
    )
    with session_scope(engine) as session:
        rows = session.connection().execute(query).all()
    return pd.DataFrame(rows, columns=["rater", "output_id", "score"])


def agreement(frame: pd.DataFrame) -> Agreement:
    return rater_agreement(frame)


def pairwise_kappa(frame: pd.DataFrame) -> pd.DataFrame:
    """Quadratic-weighted Cohen's kappa for every pair of raters with ``MIN_SHARED`` outputs in
    common (both directions, for a symmetric heatmap)."""
    columns = ["rater_a", "rater_b", "shared", "kappa"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    by_rater = {r: dict(zip(p["output_id"], p["score"], strict=True)) for r, p in frame.groupby("rater")}
    rows = []
    for a, b in combinations(sorted(by_rater), 2):
        both = sorted(set(by_rater[a]) & set(by_rater[b]))
        if len(both) < MIN_SHARED:
            continue
        kappa = cohen_kappa([by_rater[a][o] for o in both], [by_rater[b][o] for o in both], "quadratic")
        rows += [(a, b, len(both), kappa), (b, a, len(both), kappa)]
    return pd.DataFrame(rows, columns=columns)
