"""Reopening an "Improve on the bench" run: before and after on each share, the cases it fixed
and broke, the diff, the candidates with their scores, and what each figure means.

Everything is rebuilt from what the run stored (its plan, its candidates, their verdicts), so a
run reads the same later, whatever was edited since, and a cancelled or failed run shows what it
had tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.evals.ci import text_table
from workbench.improve import optimization_runs, scoreboard
from workbench.improve.optimization_plan import OptimizationPlan
from workbench.improve.scoreboard import CaseChange, CaseVerdict, Figures
from workbench.models.pricing import money
from workbench.prompts.diffs import TemplateDiff, diff_templates
from workbench.prompts.templates import PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.tables import Optimization, OptimizationCandidate, Output, PromptVersion

SHARE_NAMES = {"train": "training", "heldout": "held-out"}
Verdicts = Mapping[int, Mapping[str, Mapping[int, CaseVerdict]]]  # candidate -> share -> case -> verdict


@dataclass(frozen=True)
class ShareRow:
    share: str  # train | heldout
    cases: int
    before: Figures
    after: Figures | None


@dataclass(frozen=True)
class OptimizationReport:
    optimization: Optimization
    plan: OptimizationPlan
    candidates: tuple[OptimizationCandidate, ...]
    verdicts: Verdicts
    saved_number: int | None = None

    # ---- who is who ----------------------------------------------------------------------------

    @property
    def start(self) -> OptimizationCandidate | None:
        return next((c for c in self.candidates if c.round == 0), None)

    @property
    def chosen(self) -> OptimizationCandidate | None:
        """The candidate taken on to the held-out cases, else the best one on training."""
        found = next((c for c in self.candidates if c.chosen), None)
        if found is not None:
            return found
        tested = [c for c in self.candidates if c.round > 0 and c.train_total]
        return max(
            tested, key=lambda c: (self.figures(c, "train").key, c.cases_won, -(c.id or 0)), default=None
        )

    @property
    def confirmed(self) -> bool:
        return any(c.chosen for c in self.candidates)

    @property
    def improved(self) -> bool:
        return self.optimization.outcome == "improved"

    def figures(self, candidate: OptimizationCandidate | None, share: str) -> Figures:
        if candidate is None:
            return Figures(0, 0, None)
        return scoreboard.figures(self.verdicts.get(candidate.id or 0, {}).get(share, {}).values())

    # ---- what changed --------------------------------------------------------------------------

    def shares(self) -> list[ShareRow]:
        rows = []
        for share, cases in (("train", self.plan.train), ("heldout", self.plan.heldout)):
            after = self.figures(self.chosen, share)
            rows.append(
                ShareRow(share, len(cases), self.figures(self.start, share), after if after.total else None)
            )
        return rows

    def case_changes(self) -> list[tuple[str, str, CaseChange]]:
        """(share, case name, change) for every case both prompts answered."""
        if self.start is None or self.chosen is None:
            return []
        out = []
        for share, cases in (("train", self.plan.train), ("heldout", self.plan.heldout)):
            before = self.verdicts.get(self.start.id or 0, {}).get(share, {})
            after = self.verdicts.get(self.chosen.id or 0, {}).get(share, {})
            for change in scoreboard.case_changes(before, after, cases):
                case = self.plan.bench.cases[change.case_index]
                out.append((share, case.name or f"Case {change.case_index + 1}", change))
        return out

    def diff(self) -> TemplateDiff | None:
        if self.start is None or self.chosen is None:
            return None
        return diff_templates(
            PromptTemplate(self.start.system_template, self.start.user_template),
            PromptTemplate(self.chosen.system_template, self.chosen.user_template),
        )

    def candidate_table(self) -> pd.DataFrame:
        """Every prompt tried, in order, with its figures and where it stands."""
        rows = []
        for c in self.candidates:
            train, held = self.figures(c, "train"), self.figures(c, "heldout")
            role = "starting version" if c.round == 0 else ("chosen" if c.chosen else "")
            if c.status == "rejected":
                role = f"not tested: {c.problem}"
            rows.append(
                {
                    "Candidate": f"#{c.id}",
                    "Round": c.round,
                    "Parent": f"#{c.parent_id}" if c.parent_id else "",
                    "Reason": c.reason,
                    "Training pass rate": train.pass_rate,
                    "Training score": train.score,
                    "Best on (cases)": c.cases_won if c.status == "evaluated" else None,
                    "On the front": c.on_front,
                    "Held-out pass rate": held.pass_rate,
                    "Note": role,
                }
            )
        return pd.DataFrame(rows)

    # ---- in words ------------------------------------------------------------------------------

    def meanings(self) -> list[str]:
        """What the figures mean, in everyday words."""
        held = len(self.plan.heldout)
        points = 100 / held if held else 0
        return [
            "**Pass rate**: the share of test cases whose answer passed every check.",
            "**Mean check score** stands in for a reviewer's rating: the average of the checks' scores "
            "from 0 to 1. It gives partial credit (a case passing 2 of its 3 checks scores 0.67) and "
            "includes the judge's score where a rubric grades the answer.",
            f"**Training cases** ({len(self.plan.train)}) were shown to the proposing model and used to pick "
            f"the best candidate. **Held-out cases** ({held}) were kept aside: they show how it does on "
            f"questions it was not tuned on. With {held} held-out case{'s' if held != 1 else ''}, one case "
            f"moves the held-out pass rate by {points:.0f} points, so a small bench can swing by chance.",
            "**On the front**: the candidate is the best on at least one training case and no other is as "
            "good everywhere and better somewhere, so a later round may build on it even when its average "
            "is not the highest.",
            f"**Cost**: {self.optimization.calls_used} calls that reached a model, of the "
            f"{self.optimization.max_calls} allowed, {money(self.optimization.cost_usd)} at the prices in "
            "Settings (answers, requests for candidates and grading).",
        ]

    def table_text(self) -> str:
        """The before/after table for a terminal."""
        after_title = "after" if self.confirmed else "best candidate"
        rows = [["", "cases", "before", after_title]]
        for row in self.shares():
            after = row.after
            rows.append(
                [
                    f"{SHARE_NAMES[row.share]} pass rate",
                    str(row.cases),
                    row.before.short(),
                    after.short() if after else "not tested",
                ]
            )
            rows.append(
                [
                    "  mean check score",
                    "",
                    f"{row.before.score or 0:.2f}" if row.before.total else "-",
                    f"{after.score or 0:.2f}" if after else "-",
                ]
            )
        return "\n".join(text_table(rows, right={1}))


def _verdicts(engine: Engine, optimization_id: int) -> Verdicts:
    results = optimization_runs.list_results(engine, optimization_id)
    with session_scope(engine) as session:
        ids = [r.output_id for r in results]
        texts = dict(session.exec(select(Output.id, Output.text).where(col(Output.id).in_(ids))).all())
    out: dict[int, dict[str, dict[int, CaseVerdict]]] = {}
    for r in results:
        out.setdefault(r.candidate_id, {}).setdefault(r.share, {})[r.case_index] = CaseVerdict(
            r.case_index, r.passed, r.score or 0.0, r.failures, r.output_id, texts.get(r.output_id, "")
        )
    return out


def report(engine: Engine, optimization_id: int) -> OptimizationReport:
    """Reopen a stored run (finished or still running)."""
    row = optimization_runs.get_optimization(engine, optimization_id)
    saved = None
    if row.saved_version_id is not None:
        with session_scope(engine) as session:
            version = session.get(PromptVersion, row.saved_version_id)
            saved = version.number if version else None
    return OptimizationReport(
        optimization=row,
        plan=OptimizationPlan.from_json(row.config),
        candidates=tuple(optimization_runs.list_candidates(engine, optimization_id)),
        verdicts=_verdicts(engine, optimization_id),
        saved_number=saved,
    )
