"""Evaluations: the stored record of a bench run, reproducible from its config snapshot.

An evaluation's config (``workbench.evals.snapshot.EvaluationConfig``, JSON on the row) snapshots exactly what
it used: the versions' templates and parameters, the models (endpoint, provider, model id,
prices), the cases with their assertions, the parameter overrides, the judge and the limits.
A rerun therefore does not depend on what was edited since, and a reopened evaluation shows
what was really tested, even after cases were changed or deleted.

Convention for whoever runs the matrix: outputs belong to runs with ``evaluation_id`` set,
carry ``test_case_id`` and ``row_index`` = the case's position in ``config.cases`` (the
fallback when a deleted case's link was cleared), and are scored with ``score_and_store``.

Writes of the row (``create_evaluation``, ``store_results``, ``finish_evaluation``) take the
caller's session and do not commit. ``score_and_store`` takes the engine: it calls the judge, a
model, between reading and writing, and holds no transaction open while it waits.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound, WorkbenchError
from workbench.evals import scoring
from workbench.evals.assertions import Grader
from workbench.evals.judge import Judge
from workbench.evals.snapshot import EvaluationConfig, JudgeSettings
from workbench.models.endpoints import (
    list_endpoints,
    list_models,
    model_label,
    target_named,
)
from workbench.models.gateway import Gateway
from workbench.models.providers.interface import KeyLookup
from workbench.models.providers.registry import env_lookup
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.liveness import process_token
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import AssertionResult, Evaluation, Output, Prompt, Run, TestCase, utcnow

if TYPE_CHECKING:
    import pandas as pd

FINAL_STATUSES = ("done", "cancelled", "failed")
INTERRUPTED = "interrupted"  # its process stopped; ``evals.interrupted`` marks it on start


# ---- the Evaluation row -----------------------------------------------------------------------


def create_evaluation(
    session: Session, config: EvaluationConfig, *, actor: str, name: str = ""
) -> Evaluation:
    prompt = fetch(session, Prompt, config.prompt_id)
    evaluation = Evaluation(
        project_id=prompt.project_id,
        prompt_id=id_of(prompt),
        name=name.strip(),
        status="running",
        config=config.to_json(),
        created_by=actor,
        owner=process_token(),
    )
    session.add(evaluation)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="evaluation.create",
        entity_type="evaluation",
        entity_id=evaluation.id,
        project_id=prompt.project_id,
        after={
            "name": evaluation.name,
            "versions": [v.number for v in config.versions],
            "models": [m.label for m in config.models],
            "cases": len(config.cases),
        },
    )
    return evaluation


def get_evaluation(engine: Engine, evaluation_id: int) -> Evaluation:
    with session_scope(engine) as session:
        return fetch(session, Evaluation, evaluation_id)


def list_evaluations(engine: Engine, prompt_id: int) -> list[Evaluation]:
    """Newest first."""
    with session_scope(engine) as session:
        query = select(Evaluation).where(Evaluation.prompt_id == prompt_id)
        return list(
            session.exec(query.order_by(col(Evaluation.created_at).desc(), col(Evaluation.id).desc()))
        )


def evaluation_outputs(engine: Engine, evaluation_id: int) -> list[Output]:
    with session_scope(engine) as session:
        return _outputs(session, evaluation_id)


def _outputs(session: Session, evaluation_id: int) -> list[Output]:
    query = select(Output).join(Run, col(Run.id) == Output.run_id).where(Run.evaluation_id == evaluation_id)
    return list(session.exec(query.order_by(col(Output.id))))


def stored_results(engine: Engine, evaluation_id: int) -> list[AssertionResult]:
    with session_scope(engine) as session:
        return _results(session, evaluation_id)


def _results(session: Session, evaluation_id: int) -> list[AssertionResult]:
    query = select(AssertionResult).where(AssertionResult.evaluation_id == evaluation_id)
    return list(
        session.exec(query.order_by(col(AssertionResult.output_id), col(AssertionResult.assertion_index)))
    )


def store_results(session: Session, evaluation_id: int, outcomes: list[scoring.Outcome]) -> int:
    """Write outcomes as AssertionResult rows; earlier results of the same outputs are replaced
    (a rescore with another judge leaves one verdict per assertion)."""
    fetch(session, Evaluation, evaluation_id)
    output_ids = {o.output_id for o in outcomes}
    session.execute(
        delete(AssertionResult).where(
            col(AssertionResult.evaluation_id) == evaluation_id,
            col(AssertionResult.output_id).in_(output_ids),
        )
    )
    for o in outcomes:
        if o.output_id is None:
            raise InvalidInput("An outcome without a stored output cannot be saved.", field="output_id")
        session.add(
            AssertionResult(
                evaluation_id=evaluation_id,
                output_id=o.output_id,
                test_case_id=o.test_case_id,
                assertion_index=o.assertion_index,
                assertion_type=o.assertion_type,
                assertion=o.assertion,
                passed=o.passed,
                score=o.score,
                reason=o.reason,
            )
        )
    return len(outcomes)


def judge_for(
    engine: Engine,
    settings: JudgeSettings,
    lookup: KeyLookup = env_lookup,
    *,
    project_id: int | None = None,
    actor: str = "",
    evaluation_id: int | None = None,
) -> Judge:
    """The suite's judge; its provider (and key) is built now, in the caller's thread, so a
    page's secrets are used even when the grading runs in a background thread."""
    try:
        target = target_named(engine, settings.endpoint, settings.model)
    except NotFound:
        raise NotFound(f"The judge's endpoint '{settings.endpoint}' does not exist any more.") from None
    gateway = Gateway(engine, lookup=lookup)
    with contextlib.suppress(WorkbenchError):  # a missing key becomes each grade's stated reason
        gateway.provider(target.endpoint)
    return Judge(
        gateway,
        target,
        settings.settings,
        project_id=project_id,
        actor=actor,
        evaluation_id=evaluation_id,
    )


def judge_choices(engine: Engine) -> dict[str, JudgeSettings]:
    """Enabled models that can serve as a suite's judge, by their display label."""
    found = {e.id: e for e in list_endpoints(engine, include_disabled=False)}
    return {
        model_label(m, found[m.endpoint_id]): JudgeSettings(found[m.endpoint_id].name, m.model)
        for m in list_models(engine, enabled_only=True)
        if m.endpoint_id in found
    }


def _existing_cases(engine: Engine, ids: set[int]) -> set[int]:
    with session_scope(engine) as session:
        return set(session.exec(select(TestCase.id).where(col(TestCase.id).in_(ids))))  # type: ignore[arg-type]


def score_and_store(
    engine: Engine, evaluation_id: int, outputs: list[Output], judge: Grader | None = None
) -> list[scoring.Outcome]:
    """Score outputs against the evaluation's snapshot of the cases, and store the results.

    An output finds its case by ``test_case_id``, else by ``row_index`` (a rerun of a case that
    was deleted since); results link only to cases that still exist. It takes the engine, not a
    session: the judge's model calls come between the reads and the write, and no transaction
    should stay open while they run; the results are written in one transaction of their own."""
    config = EvaluationConfig.from_json(get_evaluation(engine, evaluation_id).config)
    snapshot = config.test_cases()
    by_id = {case.id: case for case in snapshot}
    pairs = []
    for output in outputs:
        if output.test_case_id is not None:
            case = by_id.get(output.test_case_id)
        else:
            case = snapshot[output.row_index] if 0 <= output.row_index < len(snapshot) else None
        if case is not None:
            pairs.append((output, case))
    outcomes = scoring.score_pairs(pairs, judge, config.concurrency)
    existing = _existing_cases(engine, {o.test_case_id for o in outcomes if o.test_case_id is not None})
    outcomes = [o if o.test_case_id in existing else replace(o, test_case_id=None) for o in outcomes]
    with session_scope(engine) as session:
        store_results(session, evaluation_id, outcomes)
    return outcomes


# ---- reopening --------------------------------------------------------------------------------


class EvaluationReport:
    """A stored evaluation reopened: its config and one case row per output. The figures a
    gate needs come from the rows in plain Python; the frames behind the page's heatmap and grid
    are built on first use (pandas is imported only then)."""

    def __init__(self, evaluation: Evaluation, config: EvaluationConfig, rows: list[scoring.CaseRow]) -> None:
        self.evaluation = evaluation
        self.config = config
        self.rows = rows

    @cached_property
    def frame(self) -> pd.DataFrame:
        return scoring.frame_of(self.rows)

    @property
    def matrix(self) -> pd.DataFrame:
        return scoring.pass_rate_matrix(self.frame)

    @property
    def grid(self) -> pd.DataFrame:
        return scoring.case_grid(self.frame)

    @property
    def regressions(self) -> pd.DataFrame:
        return scoring.regressions(self.frame)

    @cached_property
    def regression_rows(self) -> list[dict[str, str]]:
        return scoring.regression_rows(self.rows)

    @cached_property
    def summary(self) -> dict[str, Any]:
        return scoring.summary(self.rows)


def report(engine: Engine, evaluation_id: int) -> EvaluationReport:
    """Reopen a stored evaluation: its config and the frames rebuilt from stored results."""
    with session_scope(engine) as session:
        return _report(session, evaluation_id)


def _report(session: Session, evaluation_id: int) -> EvaluationReport:
    evaluation = fetch(session, Evaluation, evaluation_id)
    config = EvaluationConfig.from_json(evaluation.config)
    by_row = {i: case.id for i, case in enumerate(config.cases)}

    def case_of(output: Output) -> int | None:
        return output.test_case_id if output.test_case_id is not None else by_row.get(output.row_index)

    labels = config.labels()
    # case_rows also takes answers of no version (key None); an evaluation's all have one.
    versions: dict[int | None, str] = {version_id: label for version_id, label in labels["versions"].items()}
    rows = scoring.case_rows(
        _outputs(session, evaluation_id),
        _results(session, evaluation_id),
        versions=versions,
        models=labels["models"],
        cases=labels["cases"],
        case_of=case_of,
    )
    return EvaluationReport(evaluation, config, rows)


def finish_evaluation(
    session: Session, evaluation_id: int, *, actor: str, status: str = "done"
) -> Evaluation:
    """Close an evaluation, storing its summary (pass rates, regressions) on the row. One in
    which every call failed is closed as ``failed``: it has no pass rate."""
    if status not in FINAL_STATUSES:
        raise InvalidInput(f"Status must be one of {', '.join(FINAL_STATUSES)}.", field="status")
    found = _report(session, evaluation_id)
    figures, evaluation = found.summary, found.evaluation
    if status == "done" and figures["total"] and not figures["answered"]:
        status = "failed"  # every call failed: shown as failed, and left out of pass rates
    evaluation.status, evaluation.summary, evaluation.finished_at = status, figures, utcnow()
    session.add(evaluation)
    audit.record(
        session,
        actor=actor,
        action="evaluation.finish",
        entity_type="evaluation",
        entity_id=evaluation_id,
        project_id=evaluation.project_id,
        after={"status": status, "pass_rate": figures["pass_rate"], "total": figures["total"]},
    )
    return evaluation


def planned_cells(config: EvaluationConfig) -> int:
    """How many answers the evaluation asks for: versions × models × cases."""
    return len(config.versions) * len(config.models) * len(config.cases)


def interrupt(session: Session, evaluation_id: int) -> Evaluation:
    """Close an evaluation whose process stopped: the figures of what was scored, and how many
    answers were saved and how many never came (``summary["interrupted"]``). Audited."""
    found = _report(session, evaluation_id)
    evaluation, saved = found.evaluation, len(_outputs(session, evaluation_id))
    progress = {"saved": saved, "missing": max(planned_cells(found.config) - saved, 0)}
    evaluation.status, evaluation.finished_at = INTERRUPTED, utcnow()
    evaluation.summary = {**found.summary, INTERRUPTED: progress}
    session.add(evaluation)
    audit.record(
        session,
        actor="system",
        action="evaluation.interrupted",
        entity_type="evaluation",
        entity_id=evaluation_id,
        project_id=evaluation.project_id,
        after={**progress, "owner": evaluation.owner},
    )
    return evaluation


def reopen(session: Session, evaluation_id: int, *, actor: str) -> Evaluation:
    """An interrupted evaluation running again in this process (to score what was saved and run
    what is missing); audited."""
    evaluation = fetch(session, Evaluation, evaluation_id)
    if evaluation.status != INTERRUPTED:
        raise InvalidInput(
            f"Evaluation #{evaluation_id} is {evaluation.status}, not interrupted: rerun it instead.",
            field="status",
        )
    evaluation.status, evaluation.owner, evaluation.finished_at = "running", process_token(), None
    session.add(evaluation)
    audit.record(
        session,
        actor=actor,
        action="evaluation.resume",
        entity_type="evaluation",
        entity_id=evaluation_id,
        project_id=evaluation.project_id,
        before={"status": INTERRUPTED, **(evaluation.summary or {}).get(INTERRUPTED, {})},
    )
    return evaluation
