"""A release beside the one before it, "did the swap help?", in figures and in everyday words.

For a label (production, say), the release it serves now and the release it served before are
compared over the chosen days: answers served, what end users thought (thumbs-up share and
score), speed (p50 and p95), cost per answer, errors, what reviewers said of answers sent to
Review, and each release's bench pass rate (its version and model in the latest evaluation
that ran them).

Shares and averages come with a 95 % range (Wilson for shares, t for means; the same as the
Feedback and Leaderboard pages). When the two ranges do not overlap the change is called clear;
when they overlap it "could be chance"; with fewer than ``MIN_FOR_VERDICT`` answers with
feedback on either side, it is too early to tell. Speed and cost are compared as they are:
their change is stated, with "about the same" within 10 %.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func
from sqlmodel import col, select

from workbench.judging.ranking import mean_interval, wilson_interval
from workbench.monitor.figures import Figures, release_names, served_frame, summarise_answers
from workbench.projects.kpis import pass_rates
from workbench.prompts.label_history import LabelMoveRow, label_moves
from workbench.store.engine import session_scope
from workbench.store.release_tables import Release, ServedAnswer
from workbench.store.tables import AssertionResult, Evaluation, Output, Rating, Run

MIN_FOR_VERDICT = 10
SAME_WITHIN = 0.10  # speed and cost changes smaller than this share read "about the same"


@dataclass(frozen=True)
class BenchResult:
    """A release's version and model on the bench: the latest evaluation that ran them."""

    pass_rate: float
    answers: int
    evaluation: str
    at: datetime

    @property
    def text(self) -> str:
        return (
            f"{self.pass_rate:.0%} of {self.answers} bench answers ('{self.evaluation}', {self.at:%d %b %Y})"
        )


@dataclass(frozen=True)
class ReleaseInUse:
    release_id: int
    text: str  # "v2 · Local fake server · fake-large · max 300 tokens"
    since: datetime | None  # when the label moved to it (its latest move there)
    figures: Figures
    scores: tuple[int, ...]  # the end users' 1-5 scores, for the score's range
    bench: BenchResult | None
    reviewed: tuple[float, int] | None  # reviewers' mean rating (1-5) of its answers sent to Review


@dataclass(frozen=True)
class SwapLine:
    """One line of the side-by-side: a figure before and after, and what the change means."""

    figure: str
    before: str
    after: str
    verdict: str  # better | worse | same | unclear | none
    meaning: str


@dataclass(frozen=True)
class SwapView:
    label: str
    current: ReleaseInUse
    previous: ReleaseInUse | None
    comparisons: list[SwapLine]
    moves: list[LabelMoveRow]  # of this label, newest first


def bench_result(engine: Engine, release: Release) -> BenchResult | None:
    """The pass rate of the release's version (on its model, when it names one) in the latest
    finished evaluation that ran them."""
    outputs_of = (
        select(Output)
        .join(Run, col(Run.id) == Output.run_id)
        .where(Output.prompt_version_id == release.version_id, col(Run.evaluation_id).is_not(None))
    )
    if release.model_name:
        outputs_of = outputs_of.where(
            Output.model_name == release.model_name, Output.endpoint_name == (release.endpoint_name or "")
        )
    with session_scope(engine) as session:
        latest = session.exec(
            select(Evaluation)
            .where(
                col(Evaluation.id).in_(outputs_of.with_only_columns(col(Run.evaluation_id))),
                Evaluation.status != "running",
            )
            .order_by(col(Evaluation.created_at).desc(), col(Evaluation.id).desc())
            .limit(1)
        ).first()
        if latest is None:
            return None
        outputs = list(session.exec(outputs_of.where(Run.evaluation_id == latest.id)))
        results = list(
            session.exec(
                select(AssertionResult).where(
                    AssertionResult.evaluation_id == latest.id,
                    col(AssertionResult.output_id).in_([o.id for o in outputs]),
                )
            )
        )
    rate, _ = pass_rates(results, outputs)
    if rate is None:
        return None
    return BenchResult(rate, len(outputs), latest.name or f"#{latest.id}", latest.created_at)


def reviewed_rating(engine: Engine, release_id: int) -> tuple[float, int] | None:
    """Reviewers' mean rating of this release's answers in use that were sent to Review."""
    with session_scope(engine) as session:
        mean, count = session.exec(
            select(func.avg(Rating.score), func.count(col(Rating.id)))
            .join(ServedAnswer, col(ServedAnswer.output_id) == Rating.output_id)
            .where(ServedAnswer.release_id == release_id)
        ).one()
    return (float(mean), int(count)) if count else None


def _in_use(
    engine: Engine, release_id: int, text: str, since: datetime | None, frame: pd.DataFrame
) -> ReleaseInUse:
    mine = frame[frame["release_id"] == release_id]
    with session_scope(engine) as session:
        release = session.get(Release, release_id)
    return ReleaseInUse(
        release_id=release_id,
        text=text,
        since=since,
        figures=summarise_answers(mine),
        scores=tuple(int(v) for v in mine["score"].dropna()),
        bench=bench_result(engine, release) if release else None,
        reviewed=reviewed_rating(engine, release_id),
    )


def swap_view(
    engine: Engine,
    prompt_id: int,
    label: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> SwapView | None:
    """The label's current release beside its previous one, over answers served in
    [``since``, ``until``); ``None`` when the prompt has no such label."""
    moves = [m for m in label_moves(engine, prompt_id) if m.label == label]
    if not moves:
        return None
    last = moves[0]
    ids = [last.to_release_id] + ([last.from_release_id] if last.from_release_id else [])
    names = release_names(engine, ids)
    frame = served_frame(engine, prompt_id=prompt_id, release_ids=ids, since=since, until=until)
    arrived = {m.to_release_id: m.moved_at for m in reversed(moves)}  # the latest arrival wins
    current = _in_use(
        engine, last.to_release_id, names[last.to_release_id], arrived.get(last.to_release_id), frame
    )
    previous = None
    if last.from_release_id:
        previous = _in_use(
            engine,
            last.from_release_id,
            names[last.from_release_id],
            arrived.get(last.from_release_id),
            frame,
        )
    return SwapView(label, current, previous, compare_releases(previous, current) if previous else [], moves)


# ---- what a change means ----------------------------------------------------------------------


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def usd(value: float | None) -> str:
    """A cost as people read it: cents for dollars, and enough digits for a fraction of a cent."""
    if value is None:
        return "—"
    if value >= 0.1 or value == 0:
        return f"${value:.2f}"
    return f"${value:.6f}" if value < 0.0001 else f"${value:.4f}"


def _ranges_verdict(
    before: tuple[float, float] | None, after: tuple[float, float] | None, higher_is_better: bool
) -> str:
    if before is None or after is None:
        return "unclear"
    if after[0] > before[1]:
        return "better" if higher_is_better else "worse"
    if after[1] < before[0]:
        return "worse" if higher_is_better else "better"
    return "same"


def _share_line(
    name: str, before: tuple[int, int], after: tuple[int, int], what: str, higher_is_better: bool
) -> SwapLine:
    """A share (thumbs up of thumbs given, errors of answers) before and after, with ranges."""
    (k0, n0), (k1, n1) = before, after
    shown = [f"{k / n:.0%} of {n}" if n else "—" for k, n in ((k0, n0), (k1, n1))]
    if min(n0, n1) < MIN_FOR_VERDICT:
        return SwapLine(
            name,
            shown[0],
            shown[1],
            "unclear",
            f"Too early to tell: {n0} and {n1} {what} so far (need {MIN_FOR_VERDICT} each).",
        )
    r0, r1 = wilson_interval(k0, n0), wilson_interval(k1, n1)
    verdict = _ranges_verdict(r0, r1, higher_is_better)
    ranges = (
        f"now {k1 / n1:.0%} (likely {r1[0]:.0%}–{r1[1]:.0%}), before {k0 / n0:.0%} ({r0[0]:.0%}–{r0[1]:.0%})"
    )
    return SwapLine(name, shown[0], shown[1], verdict, _meaning(verdict, ranges))


def _meaning(verdict: str, ranges: str) -> str:
    if verdict == "better":
        return f"Clearly better: {ranges}. The ranges do not overlap, so this is very unlikely to be chance."
    if verdict == "worse":
        return f"Clearly worse: {ranges}. The ranges do not overlap, so this is very unlikely to be chance."
    return f"Could be chance: {ranges}. The ranges overlap; wait for more answers before deciding."


def _score_line(before: ReleaseInUse, after: ReleaseInUse) -> SwapLine:
    m0, lo0, hi0 = mean_interval(list(before.scores))
    m1, lo1, hi1 = mean_interval(list(after.scores))
    shown_before, shown_after = (
        f"{m:.2f} / 5 ({len(s)})" if m is not None else "—"
        for m, s in ((m0, before.scores), (m1, after.scores))
    )
    n0, n1 = len(before.scores), len(after.scores)
    if min(n0, n1) < MIN_FOR_VERDICT or None in (lo0, hi0, lo1, hi1):
        return SwapLine(
            "Feedback score",
            shown_before,
            shown_after,
            "unclear",
            f"Too early to tell: {n0} and {n1} scores so far (need {MIN_FOR_VERDICT} each).",
        )
    verdict = _ranges_verdict((lo0, hi0), (lo1, hi1), True)  # type: ignore[arg-type]
    ranges = f"now {m1:.2f} (likely {lo1:.2f}–{hi1:.2f}), before {m0:.2f} ({lo0:.2f}–{hi0:.2f})"
    return SwapLine("Feedback score", shown_before, shown_after, verdict, _meaning(verdict, ranges))


def _plain_line(
    name: str,
    before: float | None,
    after: float | None,
    show: Callable[[float | None], str],
    lower_is_better: bool,
    unit: tuple[str, str],
) -> SwapLine:
    if before is None or after is None or before == 0:
        return SwapLine(
            name, show(before), show(after), "none", "Not enough answers on both sides to compare."
        )
    change = (after - before) / before
    if abs(change) < SAME_WITHIN:
        return SwapLine(name, show(before), show(after), "same", f"About the same ({change:+.0%}).")
    better = (change < 0) == lower_is_better
    word = unit[0] if change < 0 else unit[1]
    return SwapLine(
        name,
        show(before),
        show(after),
        "better" if better else "worse",
        f"{abs(change):.0%} {word} than before.",
    )


def compare_releases(before: ReleaseInUse, after: ReleaseInUse) -> list[SwapLine]:
    f0, f1 = before.figures, after.figures
    bench = [b.text if b else "not on the bench yet" for b in (before.bench, after.bench)]
    reviewed = [f"{r[0]:.2f} / 5 ({r[1]} ratings)" if r else "—" for r in (before.reviewed, after.reviewed)]
    lines = [
        SwapLine(
            "Answers served",
            f"{f0.answers:,}",
            f"{f1.answers:,}",
            "none",
            "How many answers each release gave in the chosen days.",
        ),
        _share_line(
            "Thumbs up", (f0.thumbs_up, f0.thumbs), (f1.thumbs_up, f1.thumbs), "answers with thumbs", True
        ),
        _score_line(before, after),
        _plain_line(
            "Speed, typical (p50)", f0.latency_p50_ms, f1.latency_p50_ms, _ms, True, ("faster", "slower")
        ),
        _plain_line(
            "Speed, slowest 5 % (p95)", f0.latency_p95_ms, f1.latency_p95_ms, _ms, True, ("faster", "slower")
        ),
        _plain_line(
            "Cost per answer", f0.cost_per_answer, f1.cost_per_answer, usd, True, ("cheaper", "dearer")
        ),
        _share_line("Errors", (f0.errors, f0.answers), (f1.errors, f1.answers), "answers", False),
        SwapLine(
            "Reviewers' rating",
            reviewed[0],
            reviewed[1],
            "none",
            "What reviewers gave answers in use sent to Review.",
        ),
        SwapLine(
            "Bench pass rate",
            bench[0],
            bench[1],
            "none",
            "The release's version and model on the bench, before it served anyone.",
        ),
    ]
    return lines
