"""An evaluation as a CI gate: the verdict against a minimum pass rate, a summary table for
the log, JUnit XML for test-report viewers, and JSON for anything else.

The gate holds each version × model to the threshold (the lowest pass rate counts), so a model
that fails half the bench cannot hide behind one that passes all of it. JUnit has one
``testsuite`` per version × model and one ``testcase`` per case in it: a failing case carries
a ``failure`` listing each failing assertion with its reason; a call that returned no answer
(rate limit, missing key, timeout) is an ``error`` with the provider's message.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from workbench.evals import evaluations
from workbench.evals.assertions import describe
from workbench.evals.evaluations import EvaluationReport


@dataclass(frozen=True)
class CellVerdict:
    version: str
    model: str
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


@dataclass(frozen=True)
class GateResult:
    report: EvaluationReport
    min_pass_rate: float
    cells: tuple[CellVerdict, ...]
    failures: dict[int, list[tuple[str, str]]]  # output id -> [(assertion, reason)] that failed

    @property
    def below(self) -> list[CellVerdict]:
        return [c for c in self.cells if c.rate < self.min_pass_rate]

    @property
    def passed(self) -> bool:
        return bool(self.cells) and not self.below

    @property
    def answered(self) -> int:
        return sum(row["status"] == "ok" for row in self.report.rows)


def gate(engine: Engine, report: EvaluationReport, min_pass_rate: float) -> GateResult:
    cells = tuple(
        CellVerdict(c["version"], c["model"], int(c["passed"]), int(c["total"]))
        for c in report.summary["cells"]
    )
    failures: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for result in evaluations.stored_results(engine, report.evaluation.id):  # type: ignore[arg-type]
        if not result.passed:
            failures[result.output_id].append((describe(result.assertion), result.reason))
    return GateResult(report, min_pass_rate, cells, dict(failures))


# ---- text -------------------------------------------------------------------------------------


def text_table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def summary_text(result: GateResult, max_failures: int = 10) -> str:
    report = result.report
    config = report.config
    threshold = f"{result.min_pass_rate:.0%}"
    head = (
        f"{config.prompt_name}: evaluation #{report.evaluation.id}, {len(config.cases)} cases, "
        f"status {report.evaluation.status}"
    )
    rows = [["version", "model", "passed", "pass rate", f"gate (>= {threshold})"]]
    for cell in result.cells:
        verdict = "ok" if cell.rate >= result.min_pass_rate else "BELOW"
        rows.append([cell.version, cell.model, f"{cell.passed}/{cell.total}", f"{cell.rate:.0%}", verdict])
    lines = [head, "", *text_table(rows, right={2, 3}), ""]
    figures = report.summary
    if figures["total"] and figures["pass_rate"] is None:
        lines.append(
            f"Overall: none of the {figures['total']} calls returned an answer; nothing was checked."
        )
    elif figures["total"]:
        lines.append(
            f"Overall: {figures['passed']} of {figures['total']} passed ({figures['pass_rate']:.0%})."
        )
    failing = [row for row in report.rows if not row["passed"]]
    if failing:
        lines.append(f"Failing ({len(failing)}):")
        for row in failing[:max_failures]:
            lines.append(f"  - {row['case']} [{row['version']} · {row['model']}]: {row['failures']}")
        if len(failing) > max_failures:
            lines.append(f"  … and {len(failing) - max_failures} more (see the JUnit or JSON report).")
    for change in report.regression_rows:
        lines.append(
            f"Regression: {change['case']} passes in {change['from_version']} but fails in "
            f"{change['to_version']} ({change['model']})."
        )
    verdict = "PASSED" if result.passed else "FAILED"
    lines.append(
        f"Gate {verdict}: every version × model must pass at least {threshold} of the cases"
        + ("." if result.passed else f"; {len(result.below)} below.")
    )
    return "\n".join(lines)


# ---- JSON -------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def as_json(result: GateResult) -> dict[str, Any]:
    report = result.report
    config = report.config
    cases = [
        {
            "case": row["case"],
            "version": row["version"],
            "model": row["model"],
            "passed": bool(row["passed"]),
            "status": row["status"],
            "failures": [{"assertion": a, "reason": r} for a, r in result.failures.get(row["output_id"], [])],
            "latency_ms": _number(row["latency_ms"]),
            "cost_usd": _number(row["cost_usd"]),
        }
        for row in report.rows
    ]
    return {
        "evaluation_id": report.evaluation.id,
        "status": report.evaluation.status,
        "prompt": config.prompt_name,
        "prompt_id": config.prompt_id,
        "versions": [v.label for v in config.versions],
        "models": [m.label for m in config.models],
        "min_pass_rate": result.min_pass_rate,
        "gate": "passed" if result.passed else "failed",
        "pass_rate": report.summary["pass_rate"],
        "passed": report.summary["passed"],
        "total": report.summary["total"],
        "cells": [
            {
                "version": c.version,
                "model": c.model,
                "passed": c.passed,
                "total": c.total,
                "pass_rate": round(c.rate, 4),
                "meets_threshold": c.rate >= result.min_pass_rate,
            }
            for c in result.cells
        ],
        "cases": cases,
        "regressions": report.regression_rows,
    }


# ---- JUnit XML --------------------------------------------------------------------------------


def junit_xml(result: GateResult) -> bytes:
    report = result.report
    prompt = report.config.prompt_name
    root = ET.Element("testsuites", name=f"{prompt} bench", tests=str(len(report.rows)))
    totals = {"failures": 0, "errors": 0}
    for cell in result.cells:
        rows = sorted(
            (r for r in report.rows if r["version"] == cell.version and r["model"] == cell.model),
            key=lambda r: r["case_pos"],
        )
        suite = ET.SubElement(
            root, "testsuite", name=f"{prompt} · {cell.version} · {cell.model}", tests=str(len(rows))
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("evaluation_id", report.evaluation.id),
            ("pass_rate", round(cell.rate, 4)),
            ("min_pass_rate", result.min_pass_rate),
        ):
            ET.SubElement(properties, "property", name=name, value=str(value))
        counts = {"failures": 0, "errors": 0}
        seconds = 0.0
        for row in rows:
            took = (_number(row["latency_ms"]) or 0.0) / 1000
            seconds += took
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{prompt}.{cell.version}.{cell.model}",
                name=str(row["case"]),
                time=f"{took:.3f}",
            )
            if row["status"] != "ok":
                counts["errors"] += 1
                error = ET.SubElement(
                    case, "error", message=row["failures"] or row["status"], type=row["status"]
                )
                error.text = row["failures"]
            elif not row["passed"]:
                counts["failures"] += 1
                failed = result.failures.get(row["output_id"], [])
                first = f"{failed[0][0]}: {failed[0][1]}" if failed else "failed"
                failure = ET.SubElement(case, "failure", message=first, type="assertion")
                failure.text = "\n".join(f"{assertion}: {reason}" for assertion, reason in failed)
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", str(counts["errors"]))
        suite.set("time", f"{seconds:.3f}")
        for key in totals:
            totals[key] += counts[key]
    root.set("failures", str(totals["failures"]))
    root.set("errors", str(totals["errors"]))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
