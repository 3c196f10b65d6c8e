"""The check behind each assertion type: ``check(spec, answer) -> Verdict``.

Each function receives a spec already validated by ``workbench.evals.assertions`` (so it can
index required parameters directly) and the ``Answer`` with the call's figures. A check never
raises on a valid spec: a missing figure or expected answer is a failed verdict with a reason
a person can act on. Only ``llm_judge`` is asynchronous; it returns an awaitable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from workbench.evals.metrics import METRIC_NAMES, METRICS, quote, strip_code_fence


@dataclass(frozen=True)
class Verdict:
    passed: bool
    score: float | None
    reason: str


class Grader(Protocol):
    async def grade(self, *, rubric: str, answer: str, expected: str | None, question: str) -> Verdict: ...


@dataclass(frozen=True)
class Answer:
    """What a check looks at: the answer text, the case's expected answer and the call's figures."""

    text: str
    expected: str | None = None
    question: str = ""
    latency_ms: float | None = None
    cost_usd: float | None = None
    judge: Grader | None = field(default=None, compare=False)


def _fold(text: str, spec: Mapping[str, Any]) -> str:
    return text if spec.get("case_sensitive", True) else text.casefold()


def _values(spec: Mapping[str, Any]) -> list[str]:
    value = spec["value"]
    return [value] if isinstance(value, str) else list(value)


def _target(spec: Mapping[str, Any], answer: Answer) -> str | None:
    return spec["value"] if spec.get("value") is not None else answer.expected


def check_equals(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    target = _target(spec, answer)
    if target is None:
        return Verdict(False, 0.0, "There is no expected answer to compare with.")
    got, want = answer.text, target
    if spec.get("normalize_whitespace", False):
        got, want = " ".join(got.split()), " ".join(want.split())
    if _fold(got, spec) == _fold(want, spec):
        return Verdict(True, 1.0, f"The answer equals {quote(target)}.")
    return Verdict(False, 0.0, f"The answer {quote(answer.text)} differs from {quote(target)}.")


def check_contains(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    values = _values(spec)
    text = _fold(answer.text, spec)
    found = [v for v in values if _fold(v, spec) in text]
    missing = [v for v in values if v not in found]
    score = len(found) / len(values)
    if spec.get("match", "all") == "any":
        if found:
            return Verdict(True, score, f"Found {quote(found[0])}.")
        return Verdict(False, 0.0, "None of " + ", ".join(map(quote, values)) + " appears in the answer.")
    if not missing:
        return Verdict(True, 1.0, "Found " + ", ".join(map(quote, values)) + ".")
    return Verdict(False, score, "Missing " + ", ".join(map(quote, missing)) + ".")


def check_not_contains(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    values = _values(spec)
    text = _fold(answer.text, spec)
    present = [v for v in values if _fold(v, spec) in text]
    score = 1 - len(present) / len(values)
    if spec.get("match", "any") == "all":
        if len(present) < len(values):
            return Verdict(True, score, "Not all of " + ", ".join(map(quote, values)) + " appear.")
        return Verdict(False, 0.0, "All of " + ", ".join(map(quote, values)) + " appear in the answer.")
    if not present:
        return Verdict(True, 1.0, "None of " + ", ".join(map(quote, values)) + " appears.")
    return Verdict(False, score, ", ".join(map(quote, present)) + " appears in the answer.")


def _compile(spec: Mapping[str, Any]) -> re.Pattern[str]:
    return re.compile(spec["pattern"], 0 if spec.get("case_sensitive", True) else re.IGNORECASE)


def check_regex(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    match = _compile(spec).search(answer.text)
    if match:
        return Verdict(True, 1.0, f"Matched {quote(match.group(0))}.")
    return Verdict(False, 0.0, f"No match for the pattern {spec['pattern']!r}.")


def check_starts_with(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    if _fold(answer.text.lstrip(), spec).startswith(_fold(spec["value"], spec)):
        return Verdict(True, 1.0, f"Starts with {quote(spec['value'])}.")
    return Verdict(False, 0.0, f"Starts with {quote(answer.text.lstrip()[:40])}, not {quote(spec['value'])}.")


def _parse_json(spec: Mapping[str, Any], answer: Answer) -> tuple[Any, str | None]:
    text = strip_code_fence(answer.text) if spec.get("code_fence", True) else answer.text
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"The answer is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."


def check_is_json(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    _, error = _parse_json(spec, answer)
    return Verdict(False, 0.0, error) if error else Verdict(True, 1.0, "The answer is valid JSON.")


def check_json_schema(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    data, error = _parse_json(spec, answer)
    if error:
        return Verdict(False, 0.0, error)
    from jsonschema.validators import validator_for  # only benches with a schema check pay for it

    schema = spec["schema"]
    errors = sorted(validator_for(schema)(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if not errors:
        return Verdict(True, 1.0, "The JSON answer matches the schema.")
    first = errors[0]
    where = first.json_path if first.absolute_path else "the top level"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return Verdict(False, 0.0, f"Schema mismatch at {where}: {first.message}{more}.")


def check_length(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    unit = spec.get("unit", "words")
    size = len(answer.text.split()) if unit == "words" else len(answer.text)
    low, high = spec.get("min"), spec.get("max")
    bounds = " to ".join(str(b) for b in (low, high) if b is not None)
    bounds = f"at least {low}" if high is None else f"at most {high}" if low is None else bounds
    ok = (low is None or size >= low) and (high is None or size <= high)
    return Verdict(ok, 1.0 if ok else 0.0, f"{size} {unit}; allowed {bounds}.")


def check_similarity(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    target = _target(spec, answer)
    if target is None:
        return Verdict(False, 0.0, "There is no expected answer to compare with.")
    metric = spec.get("metric", "rouge_l")
    threshold = spec.get("threshold", 0.8)
    score = round(METRICS[metric](answer.text, target), 4)
    verb = "reaches" if score >= threshold else "is below"
    return Verdict(score >= threshold, score, f"{METRIC_NAMES[metric]} {score:.2f} {verb} {threshold:.2f}.")


def check_latency(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    if answer.latency_ms is None:
        return Verdict(False, 0.0, "No latency was recorded for this answer.")
    ok = answer.latency_ms <= spec["max_ms"]
    return Verdict(ok, 1.0 if ok else 0.0, f"Took {answer.latency_ms:.0f} ms; ceiling {spec['max_ms']:g} ms.")


def check_cost(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    if answer.cost_usd is None:
        return Verdict(False, 0.0, "No cost is known for this answer (set the model's prices).")
    ok = answer.cost_usd <= spec["max_usd"]
    return Verdict(ok, 1.0 if ok else 0.0, f"Cost ${answer.cost_usd:.6f}; ceiling ${spec['max_usd']:g}.")


async def _judged(spec: Mapping[str, Any], answer: Answer, judge: Grader) -> Verdict:
    verdict = await judge.grade(
        rubric=spec["rubric"], answer=answer.text, expected=answer.expected, question=answer.question
    )
    threshold = spec.get("threshold")
    if threshold is None or verdict.score is None:  # no score: the judge failed, keep its reason
        return verdict
    return Verdict(verdict.score >= threshold, verdict.score, verdict.reason)


def check_llm_judge(spec: Mapping[str, Any], answer: Answer) -> Verdict | Awaitable[Verdict]:
    if answer.judge is None:
        return Verdict(False, None, "No judge model is chosen for this suite; pick one to grade rubrics.")
    return _judged(spec, answer, answer.judge)
