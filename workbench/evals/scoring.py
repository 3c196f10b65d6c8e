"""Scoring: every assertion of each case on each output, and the frames behind the views.

Pure functions over plain rows: ``Output`` and ``TestCase`` rows (or anything with the same
attributes) in, ``Outcome`` rows (shaped like ``AssertionResult``) and case rows out. They
neither run models nor read the database, so an evaluation scores outputs as the runner
delivers them, and a stored evaluation rebuilds the same rows from its stored results.

Case rows are plain dicts (one per output), and the headline figures, regressions and the CI
gate are computed from them in plain Python, so ``workbench eval`` never imports pandas (half a
second of its start-up); the pandas frames behind the page's heatmap and grid are built from the
same rows on demand.

A case passes on an output when the call succeeded and every assertion passed; a failed call
fails each of its assertions with the call's error as the reason. Where one version × model ×
case has several outputs (repeats), the cell passes only when all of them do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Protocol

from workbench.aio import run_sync
from workbench.evals.assertions import Answer, Grader, arun_assertion, describe
from workbench.evals.judge import Judge
from workbench.store.tables import Output, TestCase

if TYPE_CHECKING:
    import pandas as pd

PASS, FAIL = "✓ pass", "✗ fail"  # plain symbols: grids render without an emoji font


@dataclass(frozen=True)
class Outcome:
    """One assertion on one output: the fields of an ``AssertionResult`` row."""

    output_id: int | None
    test_case_id: int | None
    assertion_index: int
    assertion_type: str
    assertion: dict[str, Any]
    passed: bool
    score: float | None
    reason: str


class ResultLike(Protocol):
    output_id: Any
    assertion_index: int
    assertion: dict[str, Any]
    passed: bool
    score: float | None
    reason: str


def question_of(output: Output) -> str:
    """The last user message sent, so a judge sees what the answer was answering."""
    users = [m.get("content", "") for m in (output.messages or []) if m.get("role") == "user"]
    return users[-1] if users else ""


def answer_for(output: Output, case: TestCase, judge: Grader | None = None) -> Answer:
    return Answer(
        text=output.text or "",
        expected=case.expected,
        question=question_of(output),
        latency_ms=output.latency_ms,
        cost_usd=output.cost_usd,
        judge=judge,
    )


def _failed_call(output: Output) -> str:
    detail = f" ({output.error_kind})" if output.error_kind else ""
    message = f": {output.error_message}" if output.error_message else ""
    return f"No answer to check: the call ended '{output.status}'{detail}{message}"


async def ascore_output(output: Output, case: TestCase, judge: Grader | None = None) -> list[Outcome]:
    specs = list(case.assertions or [])
    verdicts: list[tuple[bool, float | None, str]]
    if output.status != "ok":
        verdicts = [(False, None, _failed_call(output))] * len(specs)
    else:
        answer = answer_for(output, case, judge)
        done = await asyncio.gather(*(arun_assertion(spec, answer) for spec in specs))
        verdicts = [(v.passed, v.score, v.reason) for v in done]
    return [
        Outcome(
            output_id=output.id,
            test_case_id=case.id,
            assertion_index=index,
            assertion_type=str(spec.get("type", "")),
            assertion=dict(spec),
            passed=passed,
            score=score,
            reason=reason,
        )
        for index, (spec, (passed, score, reason)) in enumerate(zip(specs, verdicts, strict=True))
    ]


async def ascore_pairs(
    pairs: Sequence[tuple[Output, TestCase]], judge: Grader | None = None, concurrency: int = 8
) -> list[Outcome]:
    """Score each output against its case; at most ``concurrency`` outputs are graded at once
    (only judge checks actually wait)."""
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(output: Output, case: TestCase) -> list[Outcome]:
        async with limit:
            return await ascore_output(output, case, judge)

    scored = await asyncio.gather(*(one(o, c) for o, c in pairs))
    return [outcome for group in scored for outcome in group]


async def ascore_outputs(
    outputs: Sequence[Output],
    cases: Mapping[int, TestCase],
    judge: Grader | None = None,
    concurrency: int = 8,
) -> list[Outcome]:
    """Score every output that belongs to one of ``cases`` (by ``test_case_id``)."""
    pairs = [
        (o, cases[o.test_case_id]) for o in outputs if o.test_case_id is not None and o.test_case_id in cases
    ]
    return await ascore_pairs(pairs, judge, concurrency)


def score_pairs(
    pairs: Sequence[tuple[Output, TestCase]], judge: Grader | None = None, concurrency: int = 8
) -> list[Outcome]:
    """Synchronous form; a ``Judge`` is opened once and shared by all its grades."""

    async def run() -> list[Outcome]:
        if isinstance(judge, Judge):
            async with judge:
                return await ascore_pairs(pairs, judge, concurrency)
        return await ascore_pairs(pairs, judge, concurrency)

    return run_sync(run())


def score_outputs(
    outputs: Sequence[Output], cases: Sequence[TestCase], judge: Grader | None = None, concurrency: int = 8
) -> list[Outcome]:
    """``score_pairs`` for outputs linked to their case by ``test_case_id``."""
    by_id = {case.id: case for case in cases if case.id is not None}
    return score_pairs(
        [(o, by_id[o.test_case_id]) for o in outputs if o.test_case_id in by_id], judge, concurrency
    )


def check_answer(
    case: TestCase,
    text: str,
    *,
    latency_ms: float | None = None,
    cost_usd: float | None = None,
    judge: Grader | None = None,
) -> pd.DataFrame:
    """Every assertion of ``case`` on one pasted answer: a table of verdicts for a person."""
    question = "\n".join(f"{name}: {value}" for name, value in (case.variables or {}).items())
    output = Output(
        id=None,
        run_id=0,
        test_case_id=case.id,
        text=text,
        latency_ms=latency_ms,
        cost_usd=cost_usd,
        messages=[{"role": "user", "content": question}],
    )

    async def run() -> list[Outcome]:
        if isinstance(judge, Judge):
            async with judge:
                return await ascore_output(output, case, judge)
        return await ascore_output(output, case, judge)

    rows = [
        {
            "assertion": describe(o.assertion),
            "verdict": PASS if o.passed else FAIL,
            "score": o.score,
            "reason": o.reason,
        }
        for o in run_sync(run())
    ]
    import pandas as pd

    return pd.DataFrame(rows, columns=["assertion", "verdict", "score", "reason"])


# ---- frames -----------------------------------------------------------------------------------

FRAME_COLUMNS = [
    "output_id",
    "version_id",
    "version",
    "version_pos",
    "model_id",
    "model",
    "model_pos",
    "case_id",
    "case",
    "case_pos",
    "status",
    "passed",
    "checks",
    "failed",
    "score",
    "failures",
    "latency_ms",
    "cost_usd",
    "context",
]


def _failures(results: Sequence[ResultLike]) -> str:
    return " | ".join(f"{describe(r.assertion)}: {r.reason}" for r in results if not r.passed)


CaseRow = dict[str, Any]  # the FRAME_COLUMNS of one output


def case_rows(
    outputs: Sequence[Output],
    results: Sequence[ResultLike],
    *,
    versions: Mapping[int | None, str],  # None: answers of no version (the optimizer's candidates)
    models: Mapping[int, str],
    cases: Mapping[int, str],
    case_of: Callable[[Output], int | None] = lambda output: output.test_case_id,
) -> list[CaseRow]:
    """One row per output: its version, model and case (labels in the order of the mappings),
    whether the case passed, and the failing assertions with their reasons; sorted by version,
    model, case and output."""
    by_output: dict[Any, list[ResultLike]] = {}
    for result in results:
        by_output.setdefault(result.output_id, []).append(result)
    version_pos = {vid: i for i, vid in enumerate(versions)}
    model_pos: dict[int | None, int] = {mid: i for i, mid in enumerate(models)}  # no model: listed last
    case_pos = {cid: i for i, cid in enumerate(cases)}
    rows = []
    for output in outputs:
        case_id = case_of(output)
        version_id = output.prompt_version_id
        if case_id is None or case_id not in cases or version_id not in versions:
            continue
        own = sorted(by_output.get(output.id, []), key=lambda r: r.assertion_index)
        scores = [r.score for r in own if r.score is not None]
        failures = _failures(own) or ("" if output.status == "ok" else _failed_call(output))
        model = models.get(output.model_id) if output.model_id is not None else None
        rows.append(
            {
                "output_id": output.id,
                "version_id": version_id,
                "version": versions[version_id],
                "version_pos": version_pos[version_id],
                "model_id": output.model_id,
                "model": model or f"{output.endpoint_name} · {output.model_name}",
                "model_pos": model_pos.get(output.model_id, len(model_pos)),
                "case_id": case_id,
                "case": cases[case_id],
                "case_pos": case_pos[case_id],
                "status": output.status,
                # the documents' passages the answer was given: a failing case traced to its context
                "context": "; ".join(
                    f"{p.get('title', '')}" + (f" › {p['heading']}" if p.get("heading") else "")
                    for p in output.passages or []
                ),
                "passed": output.status == "ok" and all(r.passed for r in own),
                "checks": len(own),
                "failed": sum(not r.passed for r in own),
                "score": sum(scores) / len(scores) if scores else None,
                "failures": failures,
                "latency_ms": output.latency_ms,
                "cost_usd": output.cost_usd,
            }
        )
    rows.sort(key=lambda r: (r["version_pos"], r["model_pos"], r["case_pos"], r["output_id"] or 0))
    return rows


def frame_of(rows: Sequence[CaseRow]) -> pd.DataFrame:
    """The rows as a pandas frame (for the page's tables and charts; pandas is imported here)."""
    import pandas as pd

    return pd.DataFrame(list(rows), columns=FRAME_COLUMNS)


def case_frame(
    outputs: Sequence[Output],
    results: Sequence[ResultLike],
    *,
    versions: Mapping[int | None, str],  # None: answers of no version (the optimizer's candidates)
    models: Mapping[int, str],
    cases: Mapping[int, str],
    case_of: Callable[[Output], int | None] = lambda output: output.test_case_id,
) -> pd.DataFrame:
    """``case_rows`` as a frame."""
    return frame_of(
        case_rows(outputs, results, versions=versions, models=models, cases=cases, case_of=case_of)
    )


def _records(rows: pd.DataFrame | Sequence[CaseRow]) -> list[CaseRow]:
    return rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)


def _ordered(frame: pd.DataFrame, label: str) -> list[str]:
    return list(frame.sort_values(f"{label}_pos")[label].drop_duplicates())


def pass_rate_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Share of outputs passing, versions as rows and models as columns (for a heatmap)."""
    import pandas as pd

    if frame.empty:
        return pd.DataFrame(dtype=float)
    matrix = frame.pivot_table(index="version", columns="model", values="passed", aggfunc="mean")
    return matrix.reindex(index=_ordered(frame, "version"), columns=_ordered(frame, "model")).astype(float)


def cell_results(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per case × version × model: passed only if every output there passed."""
    import pandas as pd

    keys = ["case", "case_pos", "version", "version_pos", "model", "model_pos"]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, "passed", "outputs", "failures"])
    grouped = frame.groupby(keys, sort=True).agg(
        passed=("passed", "all"),
        outputs=("passed", "size"),
        failures=("failures", lambda s: next((f for f in s if f), "")),
    )
    return grouped.reset_index()


def case_grid(frame: pd.DataFrame) -> pd.DataFrame:
    """Cases as rows, one column per "version · model": ✓ pass, or ✗ fail with the failing reasons."""
    import pandas as pd

    cells = cell_results(frame)
    if cells.empty:
        return pd.DataFrame()
    cells["column"] = cells["version"] + " · " + cells["model"]
    cells["verdict"] = [
        PASS if ok else (f"{FAIL}: {why}" if why else FAIL)
        for ok, why in zip(cells.passed, cells.failures, strict=True)
    ]
    order = cells.sort_values(["version_pos", "model_pos"])["column"].drop_duplicates()
    grid = cells.pivot(index="case", columns="column", values="verdict")
    return grid.reindex(index=_ordered(frame, "case"), columns=list(order)).fillna("")


CHANGE_COLUMNS = ["model", "case", "from_version", "to_version", "change", "reason"]


def _cells(rows: Sequence[CaseRow]) -> dict[tuple[str, str, str], tuple[bool, str]]:
    """(version, model, case) -> (every output there passed, the first failure reason)."""
    cells: dict[tuple[str, str, str], tuple[bool, str]] = {}
    for row in rows:
        key = (row["version"], row["model"], row["case"])
        passed, reason = cells.get(key, (True, ""))
        cells[key] = (passed and bool(row["passed"]), reason or row["failures"] or "")
    return cells


def change_rows(rows: pd.DataFrame | Sequence[CaseRow]) -> list[dict[str, str]]:
    """Cases whose verdict flips between one version and the next (per model, in version order)."""
    records = _records(rows)
    versions = [v for _, v in sorted({(r["version_pos"], r["version"]) for r in records})]
    cases = [c for _, c in sorted({(r["case_pos"], r["case"]) for r in records})]
    models = [m for _, m in sorted({(r["model_pos"], r["model"]) for r in records})]
    cells = _cells(records)
    found = []
    for earlier, later in pairwise(versions):
        for model in models:
            for case in cases:
                before, after = cells.get((earlier, model, case)), cells.get((later, model, case))
                if before is None or after is None or before[0] == after[0]:
                    continue
                regression = before[0]
                found.append(
                    {
                        "model": model,
                        "case": case,
                        "from_version": earlier,
                        "to_version": later,
                        "change": "regression" if regression else "fix",
                        "reason": after[1] if regression else "",
                    }
                )
    return found


def changes(frame: pd.DataFrame) -> pd.DataFrame:
    """``change_rows`` as a frame."""
    import pandas as pd

    return pd.DataFrame(change_rows(frame), columns=CHANGE_COLUMNS)


def regression_rows(rows: pd.DataFrame | Sequence[CaseRow]) -> list[dict[str, str]]:
    """Cases that pass in one version and fail in the next, per model."""
    return [
        {k: v for k, v in c.items() if k != "change"}
        for c in change_rows(rows)
        if c["change"] == "regression"
    ]


def regressions(frame: pd.DataFrame) -> pd.DataFrame:
    """``regression_rows`` as a frame."""
    import pandas as pd

    return pd.DataFrame(regression_rows(frame), columns=[c for c in CHANGE_COLUMNS if c != "change"])


def summary(rows: pd.DataFrame | Sequence[CaseRow]) -> dict[str, Any]:
    """Headline figures for ``Evaluation.summary`` and a CI gate (JSON-ready)."""
    records = _records(rows)
    total = len(records)
    passed = sum(bool(r["passed"]) for r in records)
    groups: dict[tuple[int, str, int, str], list[bool]] = {}
    for r in records:
        groups.setdefault((r["version_pos"], r["version"], r["model_pos"], r["model"]), []).append(
            bool(r["passed"])
        )
    cells = [
        {
            "version": version,
            "model": model,
            "passed": sum(values),
            "total": len(values),
            "pass_rate": round(sum(values) / len(values), 4),
        }
        for (_, version, _, model), values in sorted(groups.items())
    ]
    answered = sum(r["status"] == "ok" for r in records)
    return {
        # No call answered: nothing was checked, so there is no pass rate (not 0 %).
        "pass_rate": round(passed / total, 4) if answered else None,
        "passed": passed,
        "total": total,
        "answered": answered,
        "cells": cells,
        "regressions": len(regression_rows(records)),
    }
