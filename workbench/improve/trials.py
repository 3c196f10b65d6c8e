"""Candidates on the bench: each candidate answers the chosen cases through the runner, and the
bench's own checks (and judge) give each answer its verdict.

One call of ``Trials.run`` is one run of kind ``optimize``: every candidate × case is a cell that
carries its exact messages and belongs to no version, so the runner's limits, Cancel and
storage apply, and none of these answers shows as a prompt's answer in the library, the review
queue or the exports. Answers that were cancelled are not scored: Cancel keeps only what was
really tested.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.evals import evaluations, scoring
from workbench.evals.judge import Judge
from workbench.evals.outbound import project_of
from workbench.improve import scoreboard
from workbench.improve.optimization_plan import OptimizationPlan
from workbench.improve.scoreboard import CaseVerdict
from workbench.improve.search_progress import SearchProgress, Tally
from workbench.models.gateway import CallLog
from workbench.models.providers.interface import KeyLookup
from workbench.prompts.templates import PromptTemplate
from workbench.runs.plan import Cell
from workbench.runs.runner import RunOptions, run_cells
from workbench.store.engine import session_scope
from workbench.store.tables import OptimizationCandidate, TestCase

Found = dict[int, dict[str, list[CaseVerdict]]]  # candidate id -> share -> verdicts


class Trials:
    """The bench of one optimization: its cases, the version's call settings, the judge."""

    def __init__(
        self,
        engine: Engine,
        plan: OptimizationPlan,
        optimization_id: int,
        *,
        actor: str,
        lookup: KeyLookup,
        progress: SearchProgress,
    ) -> None:
        self.engine, self.plan, self.optimization_id, self.actor = engine, plan, optimization_id, actor
        self.lookup, self.progress = lookup, progress
        self.bench = plan.bench
        self.cases = self.bench.test_cases()
        self.names = {i: c.name or f"Case {i + 1}" for i, c in enumerate(self.bench.cases)}
        self.settings = self.bench.call_settings(plan.version, plan.model)
        self.project_id = project_of(engine, self.bench)
        with session_scope(engine) as session:
            ids = [c.id for c in self.bench.cases]
            self.existing = set(session.exec(select(TestCase.id).where(col(TestCase.id).in_(ids))))
        self.grading = Tally(CallLog(engine))
        self.judge: Judge | None = None
        if self.bench.judge is not None:
            self.judge = evaluations.judge_for(
                engine, self.bench.judge, lookup, project_id=self.project_id, actor=actor
            )
            self.judge.gateway.recorder = self.grading
        self.answer_calls, self.answer_cost = 0, 0.0

    @property
    def calls(self) -> int:
        """Answers and grading calls that reached a provider."""
        return self.answer_calls + self.grading.calls

    @property
    def cost(self) -> float:
        return self.answer_cost + self.grading.cost

    def _cells(
        self, rows: Sequence[OptimizationCandidate], shares: Mapping[str, tuple[int, ...]]
    ) -> tuple[list[Cell], dict[tuple[int, int], str]]:
        cells, share_of = [], {}
        for column, row in enumerate(rows):
            render = PromptTemplate(row.system_template, row.user_template).renderer()
            for share, indices in shares.items():
                for index in indices:
                    case = self.bench.cases[index]
                    share_of[(column, index)] = share
                    cells.append(
                        Cell(
                            prompt_version_id=None,
                            model_id=self.plan.model.id,
                            variables=dict(case.variables),
                            settings=self.settings,
                            row_index=index,
                            column=column,
                            test_case_id=case.id if case.id in self.existing else None,
                            messages=tuple(render(case.variables)),
                        )
                    )
        return cells, share_of

    def run(
        self,
        rows: Sequence[OptimizationCandidate],
        shares: Mapping[str, tuple[int, ...]],
        cancel: threading.Event,
    ) -> Found:
        """Every candidate in ``rows`` on the cases of each share (one run), and the verdicts of
        the answers that came back."""
        cells, share_of = self._cells(rows, shares)
        options = RunOptions(
            project_id=self.project_id,
            actor=self.actor,
            kind="optimize",
            max_concurrency=max(1, self.bench.concurrency),
            settings={"optimization_id": self.optimization_id, "candidates": [r.id for r in rows]},
        )
        report = run_cells(
            self.engine,
            cells,
            options,
            lookup=self.lookup,
            listener=self.progress,
            cancel=cancel,
        )
        reached = [o for o in report.outputs if o.latency_ms is not None]  # the provider was called
        self.answer_calls += len(reached)
        self.answer_cost += sum(o.cost_usd or 0.0 for o in reached)
        done = [(c, o) for c, o in zip(cells, report.outputs, strict=True) if o.status != "cancelled"]
        outcomes = scoring.score_pairs(
            [(o, self.cases[c.row_index]) for c, o in done], self.judge, self.bench.concurrency
        )
        verdicts = scoreboard.verdicts(
            [(o, c.row_index) for c, o in done],
            outcomes,
            case_names=self.names,
            model_labels={self.plan.model.id: self.plan.model.label},
        )
        column_of = {o.id: c.column for c, o in done}
        ids = [row.id or 0 for row in rows]  # stored rows: every one has its id
        found: Found = {cid: {share: [] for share in shares} for cid in ids}
        for verdict in verdicts:
            column = column_of[verdict.output_id]
            found[ids[column]][share_of[(column, verdict.case_index)]].append(verdict)
        return found
