"""Success criteria as measurable KPIs, and where each one stands.

A project states its performance "P" as rows like ``{"metric": "pass_rate", "op": ">=",
"target": 0.95, "label": "Pass rate on the HR bench ≥ 95%"}``. The metric comes from a fixed
list (``METRICS``) so that every criterion can be computed from the tables, not argued about:

- bench figures (pass rates) from the project's latest finished evaluation;
- ratings (average score, thumbs-up rate, how many answers were rated) from every rating of
  the project's answers;
- cost, latency and errors from the answers of that latest evaluation, or, before any
  evaluation, from the project's most recent answers;
- answers in use (``in_use_*``: thumbs-up share, feedback score, latency, errors, cost, answers
  served) over the criterion's last ``days`` days, from what applications reported. Those
  figures are the monitor's (``workbench.monitor.figures``, a layer above): the caller passes
  them in as ``in_use``.

Where a figure cannot be computed yet the result says so ("no data yet") instead of guessing.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import AssertionResult, Evaluation, Output, Rating, Run

MET, NOT_MET, NO_DATA = "met", "not met", "no data yet"
RECENT_OUTPUTS = 200


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # ratio | score | usd | ms | count
    explanation: str


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "pass_rate",
            "Bench pass rate",
            "ratio",
            "Share of bench answers whose assertions all passed, in the latest evaluation.",
        ),
        Metric(
            "assertion_pass_rate",
            "Assertions passed",
            "ratio",
            "Share of single assertions that passed, in the latest evaluation.",
        ),
        Metric(
            "avg_rating",
            "Average rating",
            "score",
            "Mean rating of the project's answers on the 1-5 scale (thumbs up = 5, down = 1).",
        ),
        Metric(
            "thumbs_up_rate",
            "Thumbs-up rate",
            "ratio",
            "Share of thumbs ratings that were thumbs up.",
        ),
        Metric("rated_answers", "Rated answers", "count", "How many answers have at least one rating."),
        Metric(
            "cost_per_answer",
            "Cost per answer",
            "usd",
            "Mean cost in US dollars of a successful answer.",
        ),
        Metric(
            "latency_p95_ms",
            "Latency p95",
            "ms",
            "95th percentile of the time to a full answer, in milliseconds.",
        ),
        Metric(
            "error_rate",
            "Error rate",
            "ratio",
            "Share of calls that failed (errors, cut-off streams, cancellations).",
        ),
        Metric(
            "in_use_thumbs_up_rate",
            "Thumbs-up share in use",
            "ratio",
            "Of the answers applications served that end users gave a thumb, the share of thumbs up.",
        ),
        Metric(
            "in_use_feedback_score",
            "Feedback score in use",
            "score",
            "Mean of the 1-5 scores end users gave answers applications served.",
        ),
        Metric(
            "in_use_latency_p95_ms",
            "Latency p95 in use",
            "ms",
            "95 of 100 answers applications served came at least this fast, in milliseconds.",
        ),
        Metric("in_use_error_rate", "Error rate in use", "ratio", "Share of answers in use that failed."),
        Metric(
            "in_use_cost_per_answer",
            "Cost per answer in use",
            "usd",
            "Mean cost in US dollars of an answer applications served.",
        ),
        Metric("in_use_answers", "Answers served", "count", "How many answers applications served."),
    )
}
IN_USE = frozenset(key for key in METRICS if key.startswith("in_use_"))
DEFAULT_DAYS = 7
MAX_DAYS = 36_500
InUseFigures = Callable[[int], tuple[Mapping[str, float | None], str]]  # days -> figures, where from

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}
SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    unit = METRICS[metric].unit
    if unit == "ratio":
        return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 1e-9 else f"{value:.1%}"
    if unit == "score":
        return f"{value:.2f} / 5"
    if unit == "usd":
        return f"${value:.4f}" if value < 0.1 else f"${value:.2f}"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}"


def default_label(metric: str, op: str, target: float, days: int | None = None) -> str:
    window = f" (last {days} days)" if days else ""
    return f"{METRICS[metric].label} {SYMBOLS[op]} {format_value(metric, target)}{window}"


def _days(row: dict[str, Any], number: int) -> int:
    value = row.get("days")
    if _missing(value):
        return DEFAULT_DAYS
    try:
        days = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"'{value}' is not a number of days.", field="days", row=number) from None
    if not days.is_integer() or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"Give a whole number of days from 1 to {MAX_DAYS}.", field="days", row=number)
    return int(days)


def validate_criteria(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clean criteria from the editor: known metric and operator, a numeric target in range.

    Fully empty rows are dropped; a missing label gets a readable default; in-use metrics keep
    their window in ``days`` (7 unless given). Raises ``InvalidInput`` naming the row (1-based)
    and field.
    """
    cleaned = []
    for number, row in enumerate(rows, start=1):
        metric, op, target = row.get("metric"), row.get("op"), row.get("target")
        label = "" if _missing(row.get("label")) else str(row["label"]).strip()
        if not metric and not label and _missing(target):
            continue
        if metric not in METRICS:
            raise InvalidInput(
                f"Pick a metric from the list ({', '.join(METRICS)}).", field="metric", row=number
            )
        if op not in OPERATORS:
            raise InvalidInput(f"Pick an operator ({', '.join(OPERATORS)}).", field="op", row=number)
        if _missing(target):
            raise InvalidInput("Give a target number.", field="target", row=number)
        try:
            value = float(target)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InvalidInput(f"'{target}' is not a number.", field="target", row=number) from None
        unit = METRICS[metric].unit
        if unit == "ratio" and not 0 <= value <= 1:
            raise InvalidInput(
                f"{METRICS[metric].label} is a share between 0 and 1: write 0.95 for 95%.",
                field="target",
                row=number,
            )
        if unit == "score" and not 1 <= value <= 5:
            raise InvalidInput("Ratings are on a 1-5 scale.", field="target", row=number)
        if value < 0:
            raise InvalidInput("A target cannot be negative.", field="target", row=number)
        criterion = {"metric": metric, "op": op, "target": value}
        if metric in IN_USE:
            criterion["days"] = _days(row, number)
        criterion["label"] = label or default_label(metric, op, value, criterion.get("days"))
        cleaned.append(criterion)
    return cleaned


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


# ---- computing the figures ------------------------------------------------------------------


@dataclass(frozen=True)
class KpiResult:
    metric: str
    op: str
    target: float
    label: str
    value: float | None
    status: str  # met | not met | no data yet
    basis: str  # where the value comes from, in words

    @property
    def shown_value(self) -> str:
        return format_value(self.metric, self.value)

    @property
    def shown_target(self) -> str:
        return f"{SYMBOLS[self.op]} {format_value(self.metric, self.target)}"

    @property
    def attainment(self) -> float | None:
        """Value relative to target, oriented so that 1.0 is exactly on target and more is better."""
        if self.value is None:
            return None
        higher = self.op in {">=", ">"}
        if higher:
            return self.value / self.target if self.target else (1.0 if self.value >= 0 else 0.0)
        if self.value == 0:
            return 2.0
        return self.target / self.value


def _latest_evaluation(session: Session, project_id: int) -> Evaluation | None:
    query = (
        select(Evaluation)
        .where(Evaluation.project_id == project_id, Evaluation.status != "running")
        .order_by(col(Evaluation.created_at).desc(), col(Evaluation.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def _evaluation_outputs(session: Session, evaluation_id: int) -> list[Output]:
    query = select(Output).join(Run, col(Run.id) == Output.run_id).where(Run.evaluation_id == evaluation_id)
    return list(session.exec(query))


def _recent_outputs(session: Session, project_id: int) -> list[Output]:
    query = (
        select(Output)
        .join(Run, col(Run.id) == Output.run_id)
        .where(Run.project_id == project_id)
        .order_by(col(Output.created_at).desc())
        .limit(RECENT_OUTPUTS)
    )
    return list(session.exec(query))


def pass_rates(
    results: Sequence[AssertionResult], outputs: Sequence[Output]
) -> tuple[float | None, float | None]:
    """(answer pass rate, assertion pass rate). A failed call counts as a failed answer."""
    by_output: dict[int, list[bool]] = {}
    for r in results:
        by_output.setdefault(r.output_id, []).append(r.passed)
    failed_calls = {o.id for o in outputs if o.status != "ok"} - set(by_output)
    answers = len(by_output) + len(failed_calls)
    answer_rate = sum(all(v) for v in by_output.values()) / answers if answers else None
    assertion_rate = sum(r.passed for r in results) / len(results) if results else None
    return answer_rate, assertion_rate


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (no interpolation: it is a value that really occurred):
    ``share`` 0.95 gives the value 95 % of the others are at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def p95(values: Sequence[float]) -> float | None:
    return percentile(values, 0.95)


def _output_figures(outputs: Sequence[Output]) -> dict[str, float | None]:
    ok = [o for o in outputs if o.status == "ok"]
    costs = [o.cost_usd for o in ok if o.cost_usd is not None]
    latencies = [o.latency_ms for o in ok if o.latency_ms is not None]
    return {
        "cost_per_answer": sum(costs) / len(costs) if costs else None,
        "latency_p95_ms": p95(latencies),
        "error_rate": (len(outputs) - len(ok)) / len(outputs) if outputs else None,
    }


def _rating_figures(session: Session, project_id: int) -> tuple[dict[str, float | None], int]:
    query = (
        select(Rating)
        .join(Output, col(Output.id) == Rating.output_id)
        .join(Run, col(Run.id) == Output.run_id)
        .where(Run.project_id == project_id)
    )
    ratings = list(session.exec(query))
    thumbs = [r for r in ratings if r.kind == "thumbs"]
    figures = {
        "avg_rating": sum(r.score for r in ratings) / len(ratings) if ratings else None,
        "thumbs_up_rate": sum(r.value == 1 for r in thumbs) / len(thumbs) if thumbs else None,
        "rated_answers": float(len({r.output_id for r in ratings})) if ratings else None,
    }
    return figures, len(ratings)


@dataclass(frozen=True)
class KpiReport:
    results: list[KpiResult]
    evaluation_name: str | None
    evaluation_at: datetime | None

    @property
    def met(self) -> int:
        return sum(r.status == MET for r in self.results)


def evaluate(
    engine: Engine, project_id: int, criteria: Sequence[dict[str, Any]], *, in_use: InUseFigures | None = None
) -> KpiReport:
    """Each criterion against the latest evaluation and all ratings of the project; in-use
    criteria against ``in_use(days)`` (``None``: not measured here, "no data yet")."""
    with session_scope(engine) as session:
        evaluation = _latest_evaluation(session, project_id)
        values: dict[str, float | None] = dict.fromkeys(METRICS)
        basis: dict[str, str] = {}
        if evaluation is not None:
            outputs = _evaluation_outputs(session, id_of(evaluation))
            results = list(
                session.exec(select(AssertionResult).where(AssertionResult.evaluation_id == evaluation.id))
            )
            values["pass_rate"], values["assertion_pass_rate"] = pass_rates(results, outputs)
            where = (
                f"evaluation '{evaluation.name or evaluation.id}' of {evaluation.created_at:%Y-%m-%d %H:%M}"
            )
            basis.update(
                pass_rate=f"{where}, {len(outputs)} answers",
                assertion_pass_rate=f"{where}, {len(results)} assertions",
            )
        else:
            outputs = _recent_outputs(session, project_id)
            where = f"the last {len(outputs)} answers (no evaluation yet)"
        values.update(_output_figures(outputs))
        basis.update(dict.fromkeys(("cost_per_answer", "latency_p95_ms", "error_rate"), where))
        rating_values, rating_count = _rating_figures(session, project_id)
        values.update(rating_values)
        basis.update(
            dict.fromkeys(("avg_rating", "thumbs_up_rate", "rated_answers"), f"{rating_count} ratings")
        )

    windows: dict[int, tuple[Mapping[str, float | None], str]] = {}
    report = []
    for c in criteria:
        metric = c["metric"]
        value = values.get(metric)
        if metric in IN_USE:
            days = int(c.get("days") or DEFAULT_DAYS)
            if in_use is not None and days not in windows:
                windows[days] = in_use(days)
            measured, basis[metric] = windows.get(days, ({}, ""))
            value = measured.get(metric)
        if value is None:
            status = NO_DATA
            why = _no_data_reason(metric, has_evaluation=evaluation is not None, days=c.get("days"))
        else:
            status = MET if OPERATORS[c["op"]](value, float(c["target"])) else NOT_MET
            why = basis.get(metric, "")
        report.append(
            KpiResult(metric, c["op"], float(c["target"]), c.get("label") or "", value, status, why)
        )
    return KpiReport(
        report,
        evaluation.name if evaluation else None,
        evaluation.created_at if evaluation else None,
    )


def _no_data_reason(metric: str, *, has_evaluation: bool, days: int | None = None) -> str:
    if metric in IN_USE:
        return (
            f"No answers served in use in the last {days or DEFAULT_DAYS} days: applications report them "
            "through workbench.get_prompt(...).complete() or .record()."
        )
    if metric in {"pass_rate", "assertion_pass_rate"}:
        if has_evaluation:
            return "The latest evaluation has no assertion results."
        return "No bench evaluation has finished yet: run one on the Evaluate page."
    if metric == "thumbs_up_rate":
        return "No thumbs-up/down ratings yet."
    if metric in {"avg_rating", "rated_answers"}:
        return "Nobody has rated this project's answers yet."
    return "No answers yet: run the prompt against a model first."


def pass_rate_history(engine: Engine, project_id: int, limit: int = 12) -> list[tuple[datetime, str, float]]:
    """(when, evaluation name, answer pass rate) of the latest finished evaluations, oldest first."""
    with session_scope(engine) as session:
        evaluations = list(
            session.exec(
                select(Evaluation)
                .where(Evaluation.project_id == project_id, Evaluation.status != "running")
                .order_by(col(Evaluation.created_at).desc())
                .limit(limit)
            )
        )
        history = []
        for e in reversed(evaluations):
            results = list(session.exec(select(AssertionResult).where(AssertionResult.evaluation_id == e.id)))
            rate, _ = pass_rates(results, _evaluation_outputs(session, id_of(e)))
            if rate is not None:
                history.append((e.created_at, e.name or f"#{e.id}", rate))
        return history
