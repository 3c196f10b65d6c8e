"""Storage of "Improve on the bench" runs: the run, its candidates, their verdicts per case, the
winner saved as a version labelled ``candidate``, and reading all of it back.

Writes take the caller's ``Session`` (the caller owns the transaction), so a step's rows land
together: a round's candidates with their proposal call, a candidate's verdicts with its
figures, the winning version with its label and the run's verdict. Everything a run learns is
written as soon as it is known, so a closed tab, a cancel or a crash keeps what was tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput
from workbench.improve.scoreboard import CaseVerdict, Figures
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import (
    Optimization,
    OptimizationCandidate,
    OptimizationResult,
    Prompt,
    PromptVersion,
    utcnow,
)

CANDIDATE_LABEL = "candidate"
SHARES = ("train", "heldout")
OUTCOMES = ("improved", "no_improvement", "cancelled", "failed")


# ---- writing ---------------------------------------------------------------------------------


def create_optimization(
    session: Session, *, prompt_id: int, version_id: int, config: dict[str, Any], max_calls: int, actor: str
) -> Optimization:
    """A new run in status ``running``; starting one is audited."""
    prompt = fetch(session, Prompt, prompt_id)
    version = fetch(session, PromptVersion, version_id)
    if version.prompt_id != prompt.id:
        raise InvalidInput(f"Version {version_id} is not a version of '{prompt.name}'.", field="version")
    row = Optimization(
        project_id=prompt.project_id,
        prompt_id=prompt_id,
        version_id=version_id,
        config=config,
        max_calls=max_calls,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="optimization.start",
        entity_type="optimization",
        entity_id=row.id,
        project_id=prompt.project_id,
        after={"prompt": prompt.name, "version": version.number, "max_calls": max_calls},
    )
    return row


def add_candidate(
    session: Session,
    *,
    optimization_id: int,
    round_number: int,
    position: int,
    system: str,
    user: str,
    reason: str,
    parent_id: int | None = None,
    proposal_call_id: int | None = None,
    problem: str | None = None,
) -> OptimizationCandidate:
    """A prompt to try (``proposed``), or one refused before any call (``rejected``, with why)."""
    row = OptimizationCandidate(
        optimization_id=optimization_id,
        round=round_number,
        position=position,
        parent_id=parent_id,
        system_template=system,
        user_template=user,
        reason=reason,
        status="rejected" if problem else "proposed",
        problem=problem or "",
        proposal_call_id=proposal_call_id,
    )
    session.add(row)
    session.flush()
    return row


def record_verdicts(
    session: Session, candidate_id: int, share: str, verdicts: Sequence[CaseVerdict], shown: Figures
) -> OptimizationCandidate:
    """A candidate's verdicts on one share and its figures there (``shown``)."""
    if share not in SHARES:
        raise InvalidInput(f"Share must be one of {', '.join(SHARES)}.", field="share")
    candidate = fetch(session, OptimizationCandidate, candidate_id)
    for verdict in verdicts:
        session.add(
            OptimizationResult(
                candidate_id=candidate_id,
                case_index=verdict.case_index,
                share=share,
                output_id=verdict.output_id,
                passed=verdict.passed,
                score=verdict.score,
                failures=verdict.failures,
            )
        )
    prefix = "train" if share == "train" else "heldout"
    setattr(candidate, f"{prefix}_passed", shown.passed)
    setattr(candidate, f"{prefix}_total", shown.total)
    setattr(candidate, f"{prefix}_score", shown.score)
    candidate.status = "evaluated"
    session.add(candidate)
    return candidate


def mark_front(session: Session, optimization_id: int, wins: dict[int, tuple[int, ...]]) -> None:
    """Flag the candidates on the Pareto front with the number of training cases each is best on."""
    rows = session.exec(
        select(OptimizationCandidate).where(OptimizationCandidate.optimization_id == optimization_id)
    )
    for row in rows:
        row.on_front = row.id in wins
        row.cases_won = len(wins.get(row.id or 0, ()))
        session.add(row)


def choose(session: Session, candidate_id: int) -> None:
    candidate = fetch(session, OptimizationCandidate, candidate_id)
    candidate.chosen = True
    session.add(candidate)


def save_winner(
    session: Session, optimization: Optimization, candidate: OptimizationCandidate, actor: str
) -> PromptVersion:
    """The winner as the prompt's next immutable version, labelled ``candidate`` (never
    ``production``: a person promotes it), with a change note naming the run."""
    prompt = fetch(session, Prompt, optimization.prompt_id)
    start = fetch(session, PromptVersion, optimization.version_id)
    note = f"Improve on the bench, run #{optimization.id} (from v{start.number}): {candidate.reason}"
    version = versions.add_version(
        session,
        prompt,
        system_template=candidate.system_template,
        user_template=candidate.user_template,
        author=actor,
        change_note=note,
        params=dict(start.params or {}),
        sample_variables=dict(start.sample_variables or {}),
        parent_id=start.id,
    )
    versions.set_label(  # on no model yet: whoever promotes it chooses the model with the label move
        session,
        version_id=id_of(version),
        name=CANDIDATE_LABEL,
        actor=actor,
        note=f"Improve on the bench, run #{optimization.id}: better than v{start.number} on held-out cases",
    )
    return version


def finish_optimization(
    session: Session,
    optimization_id: int,
    *,
    outcome: str,
    message: str,
    calls_used: int,
    cost_usd: float,
    summary: dict[str, Any],
    actor: str,
    saved_version_id: int | None = None,
) -> Optimization:
    """Close the run with its verdict in plain words; audited."""
    if outcome not in OUTCOMES:
        raise InvalidInput(f"Outcome must be one of {', '.join(OUTCOMES)}.", field="outcome")
    row = fetch(session, Optimization, optimization_id)
    row.status = {"cancelled": "cancelled", "failed": "failed"}.get(outcome, "done")
    row.outcome, row.message, row.summary = outcome, message, summary
    row.calls_used, row.cost_usd = calls_used, cost_usd
    row.saved_version_id = saved_version_id
    row.finished_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="optimization.finish",
        entity_type="optimization",
        entity_id=optimization_id,
        project_id=row.project_id,
        after={"outcome": outcome, "calls": calls_used, "saved_version_id": saved_version_id},
        detail=message,
    )
    return row


# ---- reading ---------------------------------------------------------------------------------


def get_optimization(engine: Engine, optimization_id: int) -> Optimization:
    with session_scope(engine) as session:
        return fetch(session, Optimization, optimization_id)


def list_optimizations(engine: Engine, prompt_id: int) -> list[Optimization]:
    """Newest first."""
    with session_scope(engine) as session:
        query = select(Optimization).where(Optimization.prompt_id == prompt_id)
        return list(session.exec(query.order_by(col(Optimization.id).desc())))


def list_candidates(engine: Engine, optimization_id: int) -> list[OptimizationCandidate]:
    """In the order they were proposed."""
    with session_scope(engine) as session:
        query = select(OptimizationCandidate).where(OptimizationCandidate.optimization_id == optimization_id)
        return list(session.exec(query.order_by(col(OptimizationCandidate.id))))


def list_results(engine: Engine, optimization_id: int) -> list[OptimizationResult]:
    with session_scope(engine) as session:
        query = (
            select(OptimizationResult)
            .join(OptimizationCandidate, col(OptimizationCandidate.id) == OptimizationResult.candidate_id)
            .where(OptimizationCandidate.optimization_id == optimization_id)
        )
        return list(session.exec(query.order_by(col(OptimizationResult.id))))


def line(row: Optimization) -> str:
    """One line of the "earlier runs" list."""
    when = row.created_at.strftime("%Y-%m-%d %H:%M") if row.created_at else "?"
    who = f" by {row.created_by}" if row.created_by else ""
    verdicts = {
        "improved": "better version found",
        "no_improvement": "no improvement",
        "cancelled": "cancelled",
        "failed": "failed",
    }
    status = verdicts.get(row.outcome, "running…")
    return f"#{row.id} · {when}{who} · {status} · {row.calls_used} of {row.max_calls} calls"
