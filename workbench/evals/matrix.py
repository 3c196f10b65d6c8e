"""Running an evaluation: the snapshot's versions × cases × models through the runner, then
scoring every answer and closing the evaluation.

The page and the CLI share this path, so a bench gives the same verdicts in the browser and in
CI. The calls go through ``workbench.runs.runner`` (limits, retries, cancel, every answer stored the
moment it arrives, as the contract in ``workbench.evals.evaluations`` asks); the verdicts are
computed once the calls are over, because only then can an LLM judge grade them all at once
within the suite's concurrency. A cancelled evaluation still scores what came back and is
stored as "cancelled".

``start_evaluation`` runs in background threads and reports through an ``EvaluationProgress``
(plain counters and two thread events, safe to keep in a Streamlit session);
``run_evaluation`` blocks (the CLI).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.errors import NotFound, WorkbenchError
from workbench.evals import evaluations
from workbench.evals.judge import Judge
from workbench.evals.outbound import project_of
from workbench.evals.snapshot import EvaluationConfig
from workbench.models.providers.interface import KeyLookup
from workbench.models.providers.registry import env_lookup
from workbench.runs.plan import Cell, ModelChoice, RowInput, plan
from workbench.runs.runner import RunHandle, RunListener, RunOptions, run_cells, start_run
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch
from workbench.store.tables import Endpoint, ModelEntry, Output, Prompt, PromptVersion, TestCase

log = logging.getLogger(__name__)

ANSWERING, SCORING = "answering", "scoring"
FINISHED = ("done", "cancelled", "failed")


# ---- from snapshot to cells --------------------------------------------------------------------


def current_models(engine: Engine, config: EvaluationConfig) -> EvaluationConfig:
    """The snapshot with each model pointing at today's entry for the same endpoint and model
    name (a rerun after a model was removed and added again still finds it); refuses, naming
    the model, when one is gone."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(ModelEntry, Endpoint).join(Endpoint, col(Endpoint.id) == ModelEntry.endpoint_id)
        )
        by_name = {(e.name, m.model): m.id for m, e in rows}
        found = {
            v.id
            for v in session.exec(select(PromptVersion).where(PromptVersion.prompt_id == config.prompt_id))
        }
        fetch(
            session, Prompt, config.prompt_id, missing=f"The prompt '{config.prompt_name}' no longer exists."
        )
    missing_versions = [v.label for v in config.versions if v.id not in found]
    if missing_versions:
        raise NotFound(f"Version(s) {', '.join(missing_versions)} of '{config.prompt_name}' no longer exist.")
    models = []
    for model in config.models:
        model_id = by_name.get((model.endpoint, model.model))
        if model_id is None:
            raise NotFound(
                f"{model.label} is no longer listed: add model '{model.model}' to endpoint "
                f"'{model.endpoint}' in Settings, then rerun."
            )
        models.append(replace(model, id=model_id))
    return replace(config, models=tuple(models))


def cells_for(engine: Engine, config: EvaluationConfig) -> list[Cell]:
    """Every version × case × model; the row index is the case's place in the snapshot, and a
    case deleted since the snapshot runs from its stored values without a link."""
    with session_scope(engine) as session:
        ids = [c.id for c in config.cases]
        existing = set(session.exec(select(TestCase.id).where(col(TestCase.id).in_(ids))))
    rows = [RowInput(dict(c.variables), c.id if c.id in existing else None) for c in config.cases]
    cells: list[Cell] = []
    for version in config.versions:
        choices = [ModelChoice(m.id, config.call_settings(version, m)) for m in config.models]
        cells += plan([version.id], choices, rows)
    return cells


def missing_cells(engine: Engine, evaluation_id: int) -> list[Cell]:
    """The cells of an evaluation that have no stored answer (its process stopped first), with
    today's ids of its models; a cell is known by version, case row, endpoint and model."""
    config = current_models(
        engine, EvaluationConfig.from_json(evaluations.get_evaluation(engine, evaluation_id).config)
    )
    answered = {
        (o.prompt_version_id, o.row_index, o.endpoint_name, o.model_name)
        for o in evaluations.evaluation_outputs(engine, evaluation_id)
    }
    names = {m.id: (m.endpoint, m.model) for m in config.models}
    return [
        cell
        for cell in cells_for(engine, config)
        if (cell.prompt_version_id, cell.row_index, *names[cell.model_id]) not in answered
    ]


def _judge(engine: Engine, config: EvaluationConfig, lookup: KeyLookup, actor: str) -> Judge | None:
    """The suite's judge with its key looked up now, in the caller's thread (a page's secrets)."""
    if config.judge is None:
        return None
    return evaluations.judge_for(
        engine, config.judge, lookup, project_id=project_of(engine, config), actor=actor
    )


def _finish(
    engine: Engine, evaluation_id: int, status: str, judge: Judge | None, actor: str
) -> evaluations.EvaluationReport:
    evaluations.score_and_store(
        engine, evaluation_id, evaluations.evaluation_outputs(engine, evaluation_id), judge
    )
    with session_scope(engine) as session:
        evaluations.finish_evaluation(session, evaluation_id, actor=actor, status=status)
    return evaluations.report(engine, evaluation_id)


def _options(engine: Engine, config: EvaluationConfig, actor: str, evaluation_id: int) -> RunOptions:
    return RunOptions(
        project_id=project_of(engine, config),
        actor=actor,
        kind="eval",
        evaluation_id=evaluation_id,
        max_concurrency=max(1, config.concurrency),
        settings={"evaluation_id": evaluation_id},
    )


# ---- blocking (CLI) ----------------------------------------------------------------------------


def _begin(
    engine: Engine, config: EvaluationConfig, actor: str, name: str, lookup: KeyLookup
) -> tuple[Judge | None, list[Cell], int, RunOptions]:
    """Everything checked and prepared before the evaluation row exists, then the row."""
    judge = _judge(engine, config, lookup, actor)
    cells = cells_for(engine, config)
    with session_scope(engine) as session:
        evaluation = evaluations.create_evaluation(session, config, actor=actor, name=name)
    evaluation_id: int = evaluation.id  # type: ignore[assignment]
    if judge is not None:
        judge.evaluation_id = evaluation_id
    return judge, cells, evaluation_id, _options(engine, config, actor, evaluation_id)


@contextlib.contextmanager
def _failing_closes(engine: Engine, evaluation_id: int, actor: str) -> Iterator[None]:
    """An evaluation whose calls could not even start is closed as failed, not left running."""
    try:
        yield
    except Exception:
        with session_scope(engine) as session:
            evaluations.finish_evaluation(session, evaluation_id, actor=actor, status="failed")
        raise


def _resume_begin(
    engine: Engine, evaluation_id: int, actor: str, lookup: KeyLookup
) -> tuple[Judge | None, list[Cell], RunOptions]:
    """An interrupted evaluation reopened in this process, with the cells it still lacks."""
    config = EvaluationConfig.from_json(evaluations.get_evaluation(engine, evaluation_id).config)
    judge = _judge(engine, config, lookup, actor)
    cells = missing_cells(engine, evaluation_id)
    with session_scope(engine) as session:
        evaluations.reopen(session, evaluation_id, actor=actor)
    if judge is not None:
        judge.evaluation_id = evaluation_id
    return judge, cells, _options(engine, config, actor, evaluation_id)


def resume_evaluation(
    engine: Engine, evaluation_id: int, *, actor: str, lookup: KeyLookup = env_lookup
) -> evaluations.EvaluationReport:
    """Finish an interrupted evaluation: run only its missing cells, then check every saved
    answer and close it; returns its report."""
    judge, cells, options = _resume_begin(engine, evaluation_id, actor, lookup)
    status = "done"
    if cells:
        with _failing_closes(engine, evaluation_id, actor):
            status = run_cells(engine, cells, options, lookup=lookup).status
    return _finish(engine, evaluation_id, status, judge, actor)


def run_evaluation(
    engine: Engine,
    config: EvaluationConfig,
    *,
    actor: str,
    name: str = "",
    lookup: KeyLookup = env_lookup,
    listener: RunListener | None = None,
) -> evaluations.EvaluationReport:
    """Run, score and store a whole evaluation; returns its report."""
    judge, cells, evaluation_id, options = _begin(engine, config, actor, name, lookup)
    with _failing_closes(engine, evaluation_id, actor):
        run = run_cells(engine, cells, options, lookup=lookup, listener=listener)
    return _finish(engine, evaluation_id, run.status, judge, actor)


# ---- background (pages) ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressSnapshot:
    evaluation_id: int
    total: int
    done: int
    failed_calls: int
    phase: str  # answering | scoring | done | cancelled | failed
    error: str | None
    cancel_requested: bool

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    @property
    def text(self) -> str:
        failed = f" ({self.failed_calls} failed)" if self.failed_calls else ""
        if self.phase == SCORING:
            return f"{self.done} of {self.total} answers{failed} · checking the answers…"
        if self.phase == ANSWERING and self.cancel_requested:
            return f"{self.done} of {self.total} answers · cancelling…"
        return f"{self.done} of {self.total} answers{failed}"


class EvaluationProgress(RunListener):
    """What a page follows: answers done, the phase, and Cancel. Holds no rows and no keys."""

    def __init__(self, evaluation_id: int, total: int) -> None:
        self.evaluation_id = evaluation_id
        self.total = total
        self._lock = threading.Lock()
        self._done = 0
        self._failed = 0
        self._phase = ANSWERING
        self._error: str | None = None
        self._cancel: threading.Event | None = None

    def attach(self, handle: RunHandle) -> None:
        self._cancel = handle.events()[0]

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def cell_finished(self, cell: Cell, output: Output) -> None:
        with self._lock:
            self._done += 1
            self._failed += output.status != "ok"

    def run_finished(self, status: str, error: str | None) -> None:
        with self._lock:
            self._phase, self._error = (SCORING, None) if status != "failed" else ("failed", error)

    def ended(self, phase: str, error: str | None = None) -> None:
        with self._lock:
            self._phase, self._error = phase, error

    def snapshot(self) -> ProgressSnapshot:
        with self._lock:
            return ProgressSnapshot(
                evaluation_id=self.evaluation_id,
                total=self.total,
                done=self._done,
                failed_calls=self._failed,
                phase=self._phase,
                error=self._error,
                cancel_requested=bool(self._cancel and self._cancel.is_set()),
            )


def start_evaluation(
    engine: Engine, config: EvaluationConfig, *, actor: str, name: str = "", lookup: KeyLookup = env_lookup
) -> EvaluationProgress:
    """Create the evaluation, start its calls and return at once; a follower thread scores the
    answers and closes the evaluation when the calls are over (even if the tab is closed)."""
    judge, cells, evaluation_id, options = _begin(engine, config, actor, name, lookup)
    return _start(engine, evaluation_id, cells, options, judge, actor, lookup)


def start_resume(
    engine: Engine, evaluation_id: int, *, actor: str, lookup: KeyLookup = env_lookup
) -> EvaluationProgress:
    """``resume_evaluation`` in the background, followed like ``start_evaluation``."""
    judge, cells, options = _resume_begin(engine, evaluation_id, actor, lookup)
    return _start(engine, evaluation_id, cells, options, judge, actor, lookup)


def _start(
    engine: Engine,
    evaluation_id: int,
    cells: list[Cell],
    options: RunOptions,
    judge: Judge | None,
    actor: str,
    lookup: KeyLookup,
) -> EvaluationProgress:
    progress = EvaluationProgress(evaluation_id, len(cells))
    handle = None
    if cells:
        with _failing_closes(engine, evaluation_id, actor):
            handle = start_run(engine, cells, options, lookup=lookup, listener=progress)
        progress.attach(handle)
    else:  # nothing left to ask: straight to checking the saved answers
        progress.run_finished("done", None)

    def follow() -> None:
        if handle is not None:
            handle.wait()
        status = "done" if handle is None else handle.report.status if handle.report is not None else "failed"
        error = None if handle is None else handle.error
        try:
            _finish(engine, evaluation_id, status, judge, actor)
            progress.ended(status, error)
        except Exception as exc:
            log.exception("evaluation %s: scoring failed", evaluation_id)
            why = str(exc) if isinstance(exc, WorkbenchError) else type(exc).__name__
            with contextlib.suppress(Exception), session_scope(engine) as session:
                evaluations.finish_evaluation(session, evaluation_id, actor=actor, status="failed")
            progress.ended("failed", f"Checking the answers failed ({why}). The answers are saved.")

    threading.Thread(target=follow, name=f"workbench-eval-{evaluation_id}", daemon=True).start()
    return progress
