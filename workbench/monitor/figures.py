"""Figures of answers in use: answers served, errors, latency percentiles, cost and what end
users thought, for any set of answers, per release and per day, and as KPIs.

One definition of each figure serves the Monitor page, its CSV, the "did the swap help?" view
and the Project page's KPIs on answers in use:

- **latency** p50 / p95 / p99: nearest-rank percentiles of the time to a full answer, over the
  answers that succeeded (``projects.kpis.percentile``: each is a time that really occurred);
- **cost per answer**: the mean cost of answers that succeeded (errors usually cost nothing);
- **thumbs-up share**: thumbs up / answers with a thumb; **feedback score**: the mean 1-5 score
  over answers with a score;
- **error share**: failed answers / all answers.

Days are UTC days, like every time the workbench stores.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.projects.kpis import percentile
from workbench.prompts.releases import release_text
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.release_tables import Release, ServedAnswer
from workbench.store.tables import PromptVersion

ROW_COLUMNS = (
    *("id", "uid", "release_id", "version_id", "label", "endpoint_name", "model_name", "status"),
    *("latency_ms", "cost_usd", "tokens_in", "tokens_out", "thumbs", "score", "comment", "served_at"),
    *("personal_data", "output_id"),
)


@dataclass(frozen=True)
class Figures:
    answers: int = 0
    errors: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    cost_usd: float = 0.0
    cost_per_answer: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    thumbs: int = 0  # answers with a thumb
    thumbs_up: int = 0
    scores: int = 0  # answers with a score
    score_total: int = 0
    comments: int = 0
    with_personal_data: int = 0

    @property
    def error_share(self) -> float | None:
        return self.errors / self.answers if self.answers else None

    @property
    def thumbs_up_share(self) -> float | None:
        return self.thumbs_up / self.thumbs if self.thumbs else None

    @property
    def feedback_score(self) -> float | None:
        return self.score_total / self.scores if self.scores else None


def summarise_answers(frame: pd.DataFrame) -> Figures:
    """The figures of the answers in ``frame`` (rows as ``served_frame`` returns them)."""
    if frame.empty:
        return Figures()
    ok = frame[frame["status"] == "ok"]
    latencies = [float(v) for v in ok["latency_ms"].dropna()]
    costs = [float(v) for v in ok["cost_usd"].dropna()]
    thumbs = frame["thumbs"].dropna()
    scores = frame["score"].dropna()
    return Figures(
        answers=len(frame),
        errors=int((frame["status"] != "ok").sum()),
        latency_p50_ms=percentile(latencies, 0.50),
        latency_p95_ms=percentile(latencies, 0.95),
        latency_p99_ms=percentile(latencies, 0.99),
        cost_usd=float(sum(float(v) for v in frame["cost_usd"].dropna())),
        cost_per_answer=sum(costs) / len(costs) if costs else None,
        tokens_in=int(frame["tokens_in"].fillna(0).sum()),
        tokens_out=int(frame["tokens_out"].fillna(0).sum()),
        thumbs=len(thumbs),
        thumbs_up=int((thumbs == 1).sum()),
        scores=len(scores),
        score_total=int(scores.sum()),
        comments=int((frame["comment"].fillna("").str.strip() != "").sum()),
        with_personal_data=int(frame["personal_data"].map(bool).sum()),
    )


def served_frame(
    engine: Engine,
    *,
    prompt_id: int | None = None,
    project_id: int | None = None,
    release_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> pd.DataFrame:
    """The served answers that match, one row each (``ROW_COLUMNS`` plus ``day``), oldest first."""
    query = select(*(getattr(ServedAnswer, c) for c in ROW_COLUMNS))
    if prompt_id is not None:
        query = query.where(ServedAnswer.prompt_id == prompt_id)
    if project_id is not None:
        query = query.where(ServedAnswer.project_id == project_id)
    if release_ids is not None:
        query = query.where(col(ServedAnswer.release_id).in_(list(release_ids)))
    if since is not None:
        query = query.where(col(ServedAnswer.served_at) >= since)
    if until is not None:
        query = query.where(col(ServedAnswer.served_at) < until)
    with session_scope(engine) as session:
        rows = session.exec(query.order_by(col(ServedAnswer.served_at), col(ServedAnswer.id))).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(ROW_COLUMNS))
    frame["release_id"] = frame["release_id"].astype("Int64")
    for name in ("thumbs", "score", "tokens_in", "tokens_out"):
        frame[name] = frame[name].astype("Int64")
    for name in ("latency_ms", "cost_usd"):
        frame[name] = frame[name].astype("Float64")
    frame["served_at"] = pd.to_datetime(frame["served_at"], utc=True)
    frame["day"] = frame["served_at"].dt.strftime("%Y-%m-%d")
    return frame


def release_names(engine: Engine, release_ids: Iterable[int]) -> dict[int, str]:
    """ "v2 · Local fake server · fake-large · max 300 tokens" for each release."""
    wanted = list(release_ids)
    if not wanted:
        return {}
    with session_scope(engine) as session:
        rows = session.exec(
            select(Release, PromptVersion.number)
            .join(PromptVersion, col(PromptVersion.id) == Release.version_id)
            .where(col(Release.id).in_(wanted))
        ).all()
    return {id_of(release): release_text(release, number) for release, number in rows}


def release_of_row(frame: pd.DataFrame, names: dict[int, str]) -> pd.Series:
    """Each answer's release as people read it (answers fetched by version number have none)."""
    numbered = frame["version_id"].map(lambda v: f"version {v} (no label)")
    return frame["release_id"].map(lambda r: names.get(int(r)) if pd.notna(r) else None).fillna(numbered)


DAILY_COLUMNS = (
    *("release", "day", "answers", "errors", "error_share", "latency_p50_ms", "latency_p95_ms"),
    *("latency_p99_ms", "cost_usd", "cost_per_answer", "tokens_in", "tokens_out", "thumbs"),
    *("thumbs_up_share", "scores", "feedback_score", "comments"),
)


def daily(frame: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """One row per release and day with every figure (what the table, chart and CSV show)."""
    if frame.empty:
        return pd.DataFrame(columns=list(DAILY_COLUMNS))
    keyed = frame.assign(release=release_of_row(frame, names))
    rows = []
    for (release, day), part in keyed.groupby(["release", "day"], sort=True):
        f = summarise_answers(part)
        rows.append(
            {
                "release": release,
                "day": day,
                "answers": f.answers,
                "errors": f.errors,
                "error_share": f.error_share,
                "latency_p50_ms": f.latency_p50_ms,
                "latency_p95_ms": f.latency_p95_ms,
                "latency_p99_ms": f.latency_p99_ms,
                "cost_usd": f.cost_usd,
                "cost_per_answer": f.cost_per_answer,
                "tokens_in": f.tokens_in,
                "tokens_out": f.tokens_out,
                "thumbs": f.thumbs,
                "thumbs_up_share": f.thumbs_up_share,
                "scores": f.scores,
                "feedback_score": f.feedback_score,
                "comments": f.comments,
            }
        )
    return pd.DataFrame(rows, columns=list(DAILY_COLUMNS)).sort_values(["day", "release"], ignore_index=True)


# ---- KPIs on answers in use --------------------------------------------------------------------

IN_USE_METRICS = {
    "in_use_thumbs_up_rate": lambda f: f.thumbs_up_share,
    "in_use_feedback_score": lambda f: f.feedback_score,
    "in_use_latency_p95_ms": lambda f: f.latency_p95_ms,
    "in_use_error_rate": lambda f: f.error_share,
    "in_use_cost_per_answer": lambda f: f.cost_per_answer,
    "in_use_answers": lambda f: float(f.answers) if f.answers else None,
}


def in_use_figures(engine: Engine, project_id: int, days: int) -> tuple[dict[str, float | None], str]:
    """The project's in-use KPI figures over the last ``days`` days, and where they come from
    in words ("412 answers served in the last 7 days, 96 with thumbs")."""
    since = datetime.now(UTC) - timedelta(days=days)
    figures = summarise_answers(served_frame(engine, project_id=project_id, since=since))
    values = {metric: read(figures) for metric, read in IN_USE_METRICS.items()}
    basis = (
        f"{figures.answers} answers served in the last {days} days, "
        f"{figures.thumbs} with thumbs, {figures.scores} with a score"
    )
    return values, basis
