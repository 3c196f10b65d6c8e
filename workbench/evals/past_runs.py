"""Past evaluations of a prompt: one line each for a list, and two of them side by side.

Two evaluations are matched on what a person recognises: the version (``v2``), the model's
label and the case's name, so an evaluation rerun after cases were reimported (new ids, same
names) still lines up with the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from workbench.evals import scoring
from workbench.evals.evaluations import EvaluationReport, list_evaluations
from workbench.evals.snapshot import EvaluationConfig
from workbench.store.lookup import id_of


@dataclass(frozen=True)
class EvaluationLine:
    id: int
    created_at: datetime | None
    created_by: str
    status: str
    versions: tuple[str, ...]
    models: tuple[str, ...]
    cases: int
    pass_rate: float | None
    passed: int
    total: int
    interrupted: dict[str, int] = field(default_factory=dict)  # saved / missing, when interrupted

    @property
    def label(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M") if self.created_at else "?"
        who = f" · {self.created_by}" if self.created_by else ""
        if self.status == "running":
            result = "running…"
        elif self.status == "interrupted":
            saved, missing = self.interrupted.get("saved", 0), self.interrupted.get("missing", 0)
            result = f"interrupted: {saved} answers saved, {missing} missing"
        elif self.pass_rate is None and self.status == "cancelled":
            result = "cancelled before any answer came back"
        elif self.pass_rate is None and self.total:
            result = f"failed: none of the {self.total} calls answered"
        elif self.pass_rate is None:
            result = f"{self.status}, no answers"
        else:
            result = f"{self.pass_rate:.0%} passed ({self.passed}/{self.total})"
            result += "" if self.status == "done" else f", {self.status}"
        return f"#{self.id} · {when}{who} · {', '.join(self.versions)} × {', '.join(self.models)} · {result}"


def lines(engine: Engine, prompt_id: int) -> list[EvaluationLine]:
    """The prompt's evaluations, newest first."""
    out = []
    for evaluation in list_evaluations(engine, prompt_id):
        config = EvaluationConfig.from_json(evaluation.config)
        summary = evaluation.summary or {}
        out.append(
            EvaluationLine(
                id=id_of(evaluation),
                created_at=evaluation.created_at,
                created_by=evaluation.created_by,
                status=evaluation.status,
                versions=tuple(v.label for v in config.versions),
                models=tuple(m.model for m in config.models),
                cases=len(config.cases),
                pass_rate=summary.get("pass_rate"),
                passed=int(summary.get("passed") or 0),
                total=int(summary.get("total") or 0),
                interrupted=dict(summary.get("interrupted") or {}),
            )
        )
    return out


@dataclass(frozen=True)
class Comparison:
    """``before`` is the earlier evaluation, ``after`` the later one."""

    before: EvaluationReport
    after: EvaluationReport

    def rates(self) -> pd.DataFrame:
        """One row per version × model in both: the pass rate before, after, and the change."""
        columns = ["version", "model", "before", "after", "change"]
        a, b = _cells(self.before), _cells(self.after)
        if a.empty or b.empty:
            return pd.DataFrame(columns=columns)
        both = a.merge(b, on=["version", "model"], suffixes=("_a", "_b"))
        both = both.sort_values(["version_pos_b", "model_pos_b"])
        both["change"] = both.rate_b - both.rate_a
        frame = both.rename(columns={"rate_a": "before", "rate_b": "after"})[columns]
        return frame.reset_index(drop=True)

    def delta_matrix(self) -> pd.DataFrame:
        """Pass-rate change per version (rows) × model (columns), for a heatmap."""
        rates = self.rates()
        if rates.empty:
            return pd.DataFrame(dtype=float)
        matrix = rates.pivot(index="version", columns="model", values="change")
        order_v = list(dict.fromkeys(rates.version))
        order_m = list(dict.fromkeys(rates.model))
        return matrix.reindex(index=order_v, columns=order_m).astype(float)

    def case_changes(self) -> pd.DataFrame:
        """Cases whose verdict differs between the two, per version × model, with why it fails now."""
        columns = ["case", "version", "model", "before", "after", "reason"]
        keys = ["case", "version", "model"]
        a, b = scoring.cell_results(self.before.frame), scoring.cell_results(self.after.frame)
        if a.empty or b.empty:
            return pd.DataFrame(columns=columns)
        both = a.merge(b, on=keys, suffixes=("_a", "_b"))
        changed = both[both.passed_a != both.passed_b].sort_values(
            ["case_pos_b", "version_pos_b", "model_pos_b"]
        )
        verdict = {True: scoring.PASS, False: scoring.FAIL}
        return pd.DataFrame(
            {
                "case": changed.case,
                "version": changed.version,
                "model": changed.model,
                "before": changed.passed_a.map(verdict),
                "after": changed.passed_b.map(verdict),
                "reason": [
                    why if not ok else ""
                    for ok, why in zip(changed.passed_b, changed.failures_b, strict=True)
                ],
            },
            columns=columns,
        ).reset_index(drop=True)


def _cells(report: EvaluationReport) -> pd.DataFrame:
    frame = report.frame
    if frame.empty:
        return pd.DataFrame(columns=["version", "model", "version_pos", "model_pos", "rate"])
    grouped = frame.groupby(["version", "model"], sort=False)
    return grouped.agg(
        version_pos=("version_pos", "first"), model_pos=("model_pos", "first"), rate=("passed", "mean")
    ).reset_index()


def compare(first: EvaluationReport, second: EvaluationReport) -> Comparison:
    """Put the older evaluation first, whichever order they were picked in."""
    if (first.evaluation.id or 0) > (second.evaluation.id or 0):
        first, second = second, first
    return Comparison(before=first, after=second)
