"""What the ratings say, as pandas frames: per version and per model, tags, rater agreement.

Pages chart these frames and the prompt improver reads the low-rated answers with their
comments, so feedback flows back into the next version. ``ratings_frame`` is the one query;
everything else is a pure function of its result, so it can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import col, func, select

from workbench.judging.agreement import cohen_kappa, krippendorff_alpha, reliability_matrix, verdict
from workbench.judging.ranking import mean_interval_from
from workbench.judging.review import model_label
from workbench.store.engine import session_scope
from workbench.store.lookup import select_columns
from workbench.store.tables import Output, Prompt, PromptVersion, Rating, RatingTag, Run

SCORE_RANGE = (1.0, 5.0)  # intervals are clipped to the scale itself
MIN_RATINGS = 5  # fewer ratings than this and an average is flagged as too few to trust
RATING_COLUMNS = [
    "rating_id",
    "output_id",
    "rater",
    "kind",
    "value",
    "score",
    "comment",
    "tags",
    "blind",
    "created_at",
    "updated_at",
    "model",
    "prompt_id",
    "prompt",
    "version_id",
    "version_number",
    "version",
    "variables",
    "text",
]


def _scoped(query: Any, project_id: int | None, prompt_id: int | None, version_id: int | None) -> Any:
    """``query`` on ratings joined to their answer, run, version and prompt, filtered as asked."""
    query = (
        query.join(Output, col(Output.id) == Rating.output_id)
        .join(Run, col(Run.id) == Output.run_id)
        .join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
        .join(Prompt, col(Prompt.id) == PromptVersion.prompt_id)
    )
    if project_id is not None:
        query = query.where(Run.project_id == int(project_id))
    if prompt_id is not None:
        query = query.where(Prompt.id == int(prompt_id))
    if version_id is not None:
        query = query.where(Output.prompt_version_id == int(version_id))
    return query


def ratings_frame(
    engine: Engine,
    *,
    project_id: int | None = None,
    prompt_id: int | None = None,
    version_id: int | None = None,
) -> pd.DataFrame:
    """One row per rating, with its tags (a list), model and version; filtered as asked. Reads
    columns, not rows as objects, and the tags through the same filter (not a list of ids): a
    big project has tens of thousands of ratings."""
    query = _scoped(
        select_columns(
            Rating.id,
            Rating.output_id,
            Rating.rater,
            Rating.kind,
            Rating.value,
            Rating.score,
            Rating.comment,
            Rating.blind,
            Rating.created_at,
            Rating.updated_at,
            Output.endpoint_name,
            Output.model_name,
            Output.prompt_version_id,
            Output.variables,
            Output.text,
            PromptVersion.number,
            Prompt.id,
            Prompt.name,
        ),
        project_id,
        prompt_id,
        version_id,
    ).order_by(col(Rating.id))
    tag_query = _scoped(
        select(RatingTag.rating_id, RatingTag.tag).join(Rating, col(Rating.id) == RatingTag.rating_id),
        project_id,
        prompt_id,
        version_id,
    )
    with session_scope(engine) as session:
        rows = session.exec(query).all()
        tags: dict[int, list[str]] = {}
        for rating_id, tag in session.exec(tag_query):
            tags.setdefault(rating_id, []).append(tag)
    records = [
        {
            "rating_id": rating_id,
            "output_id": output_id,
            "rater": rater,
            "kind": kind,
            "value": value,
            "score": score,
            "comment": comment,
            "tags": sorted(tags.get(rating_id, [])),
            "blind": blind,
            "created_at": created_at,
            "updated_at": updated_at,
            "model": model_label(endpoint, model),
            "prompt_id": pid,
            "prompt": pname,
            "version_id": version,
            "version_number": number,
            "version": f"{pname} · v{number}",
            "variables": dict(variables or {}),
            "text": text,
        }
        for (
            rating_id,
            output_id,
            rater,
            kind,
            value,
            score,
            comment,
            blind,
            created_at,
            updated_at,
            endpoint,
            model,
            version,
            variables,
            text,
            number,
            pid,
            pname,
        ) in rows
    ]
    return pd.DataFrame(records, columns=RATING_COLUMNS)


def ratings_stamp(engine: Engine, project_id: int) -> tuple[int, int | None, Any]:
    """What ``scores_frame`` depends on, read in milliseconds: how many ratings the project has,
    the newest and the last changed (a changed score sets ``updated_at``)."""
    with session_scope(engine) as session:
        count, newest, changed = session.exec(
            _scoped(
                select(func.count(col(Rating.id)), func.max(Rating.id), func.max(Rating.updated_at)),
                project_id,
                None,
                None,
            )
        ).one()
    return int(count), newest, changed


SCORE_COLUMNS = ["rating_id", "rater", "score", "model", "version"]


def scores_frame(engine: Engine, *, project_id: int) -> pd.DataFrame:
    """``ratings_frame``'s columns that rankings need (who, score, model, version), without the
    answers, comments and tags: the Leaderboard ranks a big project's 200,000 ratings, and
    reading each answer's text for that is most of the time."""
    query = _scoped(
        select_columns(
            Rating.id, Rating.rater, Rating.score, Output.endpoint_name, Output.model_name,
            Prompt.name, PromptVersion.number,
        ),
        project_id,
        None,
        None,
    ).order_by(col(Rating.id))  # fmt: skip
    with session_scope(engine) as session:
        rows = session.exec(query).all()
    columns: list[list[Any]] = [[] for _ in SCORE_COLUMNS]
    rating_ids, raters, scores, models, versions = columns
    for rating_id, rater, score, endpoint, model, name, number in rows:
        rating_ids.append(rating_id)
        raters.append(rater)
        scores.append(score)
        models.append(model_label(endpoint, model))
        versions.append(f"{name} · v{number}")
    return pd.DataFrame(dict(zip(SCORE_COLUMNS, columns, strict=True)))


def _by(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def score_summary(frame: pd.DataFrame, by: str | Sequence[str] = "model") -> pd.DataFrame:
    """Average score per group with its count, raters, 95% interval and a too-few flag; best first."""
    keys = _by(by)
    columns = [*keys, "ratings", "raters", "mean_score", "ci_low", "ci_high", "too_few"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    # Whole columns at once: a big project ranks 10,000 versions, too many for a loop per group.
    grouped = frame.assign(score=frame["score"].astype(float)).groupby(keys, sort=False)
    result = grouped.agg(
        ratings=("score", "size"),
        raters=("rater", "nunique"),
        mean_score=("score", "mean"),
        sd=("score", "std"),
    ).reset_index()
    intervals = [
        mean_interval_from(mean, sd, n)
        for mean, sd, n in zip(result["mean_score"], result["sd"], result["ratings"], strict=True)
    ]
    result["ci_low"] = [None if low is None else max(low, SCORE_RANGE[0]) for low, _ in intervals]
    result["ci_high"] = [None if high is None else min(high, SCORE_RANGE[1]) for _, high in intervals]
    result["too_few"] = result["ratings"] < MIN_RATINGS
    result = result[columns]
    return result.sort_values(["mean_score", "ratings"], ascending=[False, False], ignore_index=True)


def tag_counts(frame: pd.DataFrame, by: str | Sequence[str] = "version") -> pd.DataFrame:
    """How often each tag was given, per group (long form: group columns, ``tag``, ``count``)."""
    keys = _by(by)
    columns = [*keys, "tag", "count"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    exploded = frame[[*keys, "tags"]].explode("tags").dropna(subset=["tags"])
    if exploded.empty:
        return pd.DataFrame(columns=columns)
    counts = exploded.groupby([*keys, "tags"]).size().reset_index(name="count")
    counts = counts.rename(columns={"tags": "tag"})
    return counts.sort_values(
        [*keys, "count", "tag"], ascending=[True] * len(keys) + [False, True], ignore_index=True
    )


def version_feedback(engine: Engine, prompt_id: int, *, per_model: bool = False) -> pd.DataFrame:
    """For version history: average score, rating count and tag counts per version (and model)."""
    frame = ratings_frame(engine, prompt_id=prompt_id)
    keys = ["version_number", "version", "model"] if per_model else ["version_number", "version"]
    summary = score_summary(frame, keys)
    tags = tag_counts(frame, keys)
    text = {
        key: ", ".join(f"{t} ×{c}" for t, c in zip(part["tag"], part["count"], strict=True))
        for key, part in tags.groupby(keys, sort=False)
    }
    summary["tags"] = [text.get(tuple(row), "") for row in summary[keys].itertuples(index=False)]
    return summary.sort_values(keys, ascending=[False, *([True] * (len(keys) - 1))], ignore_index=True)


@dataclass(frozen=True)
class Agreement:
    """How far raters agree on the outputs two or more of them rated."""

    raters: int
    shared_outputs: int
    alpha_ordinal: float | None
    alpha_interval: float | None
    kappa: float | None = None  # Cohen's quadratic-weighted kappa, when exactly two raters overlap
    kappa_raters: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        if self.shared_outputs == 0:
            return "No output has been rated by two people yet, so agreement cannot be measured."
        return verdict(self.alpha_ordinal)


def rater_agreement(frame: pd.DataFrame) -> Agreement:
    """Krippendorff's alpha (ordinal and interval) over the scores, plus Cohen's kappa for two."""
    if frame.empty:
        return Agreement(raters=0, shared_outputs=0, alpha_ordinal=None, alpha_interval=None)
    per_output = frame.groupby("output_id")["rater"].nunique()
    shared = per_output[per_output >= 2].index
    part = frame[frame["output_id"].isin(shared)]
    by_rater: dict[Any, dict[Any, float]] = {}
    for rater, output_id, score in part[["rater", "output_id", "score"]].itertuples(index=False):
        by_rater.setdefault(rater, {})[output_id] = float(score)
    raters, units, matrix = reliability_matrix(by_rater)
    kappa: float | None = None
    pair: tuple[str, ...] = ()
    if len(raters) == 2:
        both = [u for u in units if all(by_rater[r].get(u) is not None for r in raters)]
        kappa = cohen_kappa(
            [by_rater[raters[0]][u] for u in both], [by_rater[raters[1]][u] for u in both], "quadratic"
        )
        pair = tuple(str(r) for r in raters)
    return Agreement(
        raters=int(frame["rater"].nunique()),
        shared_outputs=len(shared),
        alpha_ordinal=krippendorff_alpha(matrix, "ordinal") if len(shared) else None,
        alpha_interval=krippendorff_alpha(matrix, "interval") if len(shared) else None,
        kappa=kappa,
        kappa_raters=pair,
    )


@dataclass(frozen=True)
class LowRated:
    """A poorly rated answer with what raters said about it (input for the prompt improver)."""

    output_id: int
    model: str
    version_number: int
    variables: dict[str, Any]
    text: str
    mean_score: float
    ratings: int
    comments: tuple[str, ...]
    tags: tuple[str, ...]


def low_rated_in(frame: pd.DataFrame, *, max_score: float = 2.5, limit: int = 10) -> list[LowRated]:
    """The answers in a ``ratings_frame`` averaging at most ``max_score``, worst first."""
    found = []
    for output_id, part in frame.groupby("output_id"):
        mean = float(part["score"].mean())
        if mean > max_score:
            continue
        first = part.iloc[0]
        found.append(
            LowRated(
                output_id=int(output_id),
                model=first["model"],
                version_number=int(first["version_number"]),
                variables=first["variables"],
                text=first["text"],
                mean_score=mean,
                ratings=len(part),
                comments=tuple(c for c in part["comment"] if c),
                tags=tuple(sorted({t for tags in part["tags"] for t in tags})),
            )
        )
    found.sort(key=lambda item: (item.mean_score, -item.ratings, item.output_id))
    return found[:limit]


def low_rated(engine: Engine, version_id: int, *, max_score: float = 2.5, limit: int = 10) -> list[LowRated]:
    """The version's answers averaging at most ``max_score``, worst first, with comments and tags."""
    return low_rated_in(ratings_frame(engine, version_id=version_id), max_score=max_score, limit=limit)
