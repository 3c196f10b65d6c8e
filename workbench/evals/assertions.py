"""Assertions: the checks a bench test case makes on a model's answer.

A spec is a small JSON object stored on the test case, ``{"type": "contains", "value": "25 days"}``.
Each type is one function ``check(spec, answer) -> Verdict(passed, score, reason)`` (in
``workbench.evals.checks``) registered in ``TYPES`` with the parameters it accepts, so validation, the Bench page's help and the
CSV/XLSX cell syntax (``workbench.evals.cells``) all read the same declarations. Specs are
validated when they are saved or imported (``validate_spec``), never first discovered broken
in the middle of an evaluation; a broken stored spec still only fails its own check.

Types and parameters (``*`` = required; the first one listed is the *main* parameter, which
a spreadsheet cell may hold on its own):

==============  ==================================================================  ======================================
type            parameters                                                          passes when
==============  ==================================================================  ======================================
equals          value (text; default: the case's expected answer),                  the answer equals the value
                case_sensitive (bool, true), normalize_whitespace (bool, false)
contains        value* (text or list of texts), match ("all" | "any", "all"),        the value(s) appear in the answer
                case_sensitive (bool, true)
not_contains    value* (text or list), match ("any" | "all", "any"),                 "any": none appears; "all": not
                case_sensitive (bool, true)                                          every one appears
regex           pattern* (regular expression, Python syntax), case_sensitive        the pattern matches somewhere
starts_with     value* (text), case_sensitive (bool, true)                          the answer (leading blanks skipped)
                                                                                    starts with the value
is_json         code_fence (bool, true: one ```json block counts)                   the answer parses as JSON
json_schema     schema* (JSON Schema object), code_fence (bool, true)               the JSON answer matches the schema
length          max (integer), min (integer), unit ("words" | "chars", "words");    min ≤ length ≤ max
                min or max required
similarity      threshold (0-1, 0.8), value (text; default: expected answer),       the metric reaches the threshold
                metric ("rouge_l" | "ratio" | "token_set_ratio", "rouge_l")
latency         max_ms* (number > 0)                                                the call took at most max_ms
cost            max_usd* (number ≥ 0)                                               the call cost at most max_usd
llm_judge       rubric* (text), threshold (0-1; default: the judge's own verdict)   the suite's judge model passes it
==============  ==================================================================  ======================================

Scores are in [0, 1] where a type has a natural one (share of values found, similarity, judge
score) and 1/0 otherwise. The judge itself is not chosen per assertion but per suite: the
caller passes a ``Grader`` (``workbench.evals.judge.Judge``) in the ``Answer``.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from workbench.aio import run_sync
from workbench.errors import InvalidInput
from workbench.evals.checks import (
    Answer,
    Grader,
    Verdict,
    check_contains,
    check_cost,
    check_equals,
    check_is_json,
    check_json_schema,
    check_latency,
    check_length,
    check_llm_judge,
    check_not_contains,
    check_regex,
    check_similarity,
    check_starts_with,
)
from workbench.evals.metrics import METRICS, quote

__all__ = ["TYPES", "Answer", "AssertionType", "Grader", "Param", "Verdict", "validate_spec"]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # text | texts | pattern | bool | number | integer | choice | schema
    help: str
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


Check = Callable[[Mapping[str, Any], Answer], "Verdict | Awaitable[Verdict]"]


@dataclass(frozen=True)
class AssertionType:
    name: str
    passes_when: str
    params: tuple[Param, ...]
    check: Check
    uses_expected: bool = False  # compares with the case's expected answer when no value is given
    extra: Callable[[Mapping[str, Any]], None] | None = None
    switch: bool = False  # a spreadsheet cell just says yes/no (the type has no main parameter)

    @property
    def main(self) -> Param | None:
        """The parameter a spreadsheet cell may hold on its own (the first one listed)."""
        return None if self.switch or not self.params else self.params[0]

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


# ---- parameter validation -------------------------------------------------------------------


def _check_schema(value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object (a JSON Schema such as {"type": "object"})')
    from jsonschema import SchemaError  # only benches with a schema check pay for the import
    from jsonschema.validators import validator_for

    try:
        validator_for(value).check_schema(value)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise ValueError(
            f"is not a valid JSON Schema: {exc.message}" + (f" (at '{where}')" if where else "")
        ) from None


def _check_value(param: Param, value: Any) -> Any:
    """The value when it fits ``param``; raises ValueError with the end of a sentence otherwise."""
    kind = param.kind
    if kind in {"text", "pattern"} or (kind == "texts" and isinstance(value, str)):
        if not isinstance(value, str) or not value:
            raise ValueError("must be non-empty text")
        if kind == "pattern":
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(
                    f"is not a valid regular expression: {exc.msg} at position {exc.pos}"
                ) from None
        return value
    if kind == "texts":
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise ValueError("must be non-empty text or a non-empty list of texts")
        return list(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind in {"number", "integer"}:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("must be a number")
        if kind == "integer":
            if value != int(value):
                raise ValueError("must be a whole number")
            value = int(value)
        if param.low is not None and value < param.low:
            raise ValueError(f"must be at least {param.low:g}")
        if param.high is not None and value > param.high:
            raise ValueError(f"must be at most {param.high:g}")
        return value
    if kind == "choice":
        if value not in param.choices:
            raise ValueError("must be one of " + ", ".join(f'"{c}"' for c in param.choices))
        return value
    _check_schema(value)
    return value


def _length_extra(spec: Mapping[str, Any]) -> None:
    if spec.get("min") is None and spec.get("max") is None:
        raise InvalidInput("length needs 'min', 'max' or both.", field="max")
    if spec.get("min") is not None and spec.get("max") is not None and spec["min"] > spec["max"]:
        raise InvalidInput(f"'min' ({spec['min']}) is larger than 'max' ({spec['max']}).", field="min")


CASE = Param("case_sensitive", "bool", "false: ignore upper/lower case", default=True)
FENCE = Param("code_fence", "bool", "true: an answer that is one ```json block counts", default=True)
TYPES: dict[str, AssertionType] = {
    t.name: t
    for t in (
        AssertionType(
            "equals",
            "the answer equals the value (or the expected answer)",
            (
                Param("value", "text", "text to equal; leave out to use the expected answer"),
                CASE,
                Param(
                    "normalize_whitespace",
                    "bool",
                    "true: compare with runs of blanks collapsed",
                    default=False,
                ),
            ),
            check_equals,
            uses_expected=True,
        ),
        AssertionType(
            "contains",
            "the value appears in the answer (all of a list, or any with match=any)",
            (
                Param("value", "texts", "text, or a list of texts", required=True),
                Param(
                    "match",
                    "choice",
                    "all: every text; any: at least one",
                    default="all",
                    choices=("all", "any"),
                ),
                CASE,
            ),
            check_contains,
        ),
        AssertionType(
            "not_contains",
            "the value does not appear (none of a list; with match=all, not every one)",
            (
                Param("value", "texts", "text, or a list of texts", required=True),
                Param(
                    "match",
                    "choice",
                    "any: none may appear; all: not all at once",
                    default="any",
                    choices=("any", "all"),
                ),
                CASE,
            ),
            check_not_contains,
        ),
        AssertionType(
            "regex",
            "the regular expression matches somewhere in the answer",
            (Param("pattern", "pattern", "a Python regular expression", required=True), CASE),
            check_regex,
        ),
        AssertionType(
            "starts_with",
            "the answer starts with the value (leading blanks ignored)",
            (Param("value", "text", "the opening text", required=True), CASE),
            check_starts_with,
        ),
        AssertionType("is_json", "the answer is valid JSON", (FENCE,), check_is_json, switch=True),
        AssertionType(
            "json_schema",
            "the answer is JSON matching the schema",
            (Param("schema", "schema", "a JSON Schema object", required=True), FENCE),
            check_json_schema,
        ),
        AssertionType(
            "length",
            "the answer's length is within min and max",
            (
                Param("max", "integer", "at most this many", low=0),
                Param("min", "integer", "at least this many", low=0),
                Param("unit", "choice", "words or chars", default="words", choices=("words", "chars")),
            ),
            check_length,
            extra=_length_extra,
        ),
        AssertionType(
            "similarity",
            "the answer is similar enough to the expected answer",
            (
                Param(
                    "threshold", "number", "pass at or above this score (0-1)", default=0.8, low=0.0, high=1.0
                ),
                Param("value", "text", "reference text; leave out to use the expected answer"),
                Param(
                    "metric",
                    "choice",
                    "rouge_l, ratio or token_set_ratio",
                    default="rouge_l",
                    choices=tuple(METRICS),
                ),
            ),
            check_similarity,
            uses_expected=True,
        ),
        AssertionType(
            "latency",
            "the call took at most max_ms milliseconds",
            (Param("max_ms", "number", "ceiling in milliseconds", required=True, low=0.001),),
            check_latency,
        ),
        AssertionType(
            "cost",
            "the call cost at most max_usd dollars",
            (Param("max_usd", "number", "ceiling in US dollars", required=True, low=0.0),),
            check_cost,
        ),
        AssertionType(
            "llm_judge",
            "the suite's judge model grades the answer as passing the rubric",
            (
                Param("rubric", "text", "what a good answer does, in plain words", required=True),
                Param(
                    "threshold",
                    "number",
                    "pass when the judge's score is at least this (0-1)",
                    low=0.0,
                    high=1.0,
                ),
            ),
            check_llm_judge,
        ),
    )
}


def assertion_type(name: Any) -> AssertionType:
    if isinstance(name, str) and name in TYPES:
        return TYPES[name]
    close = get_close_matches(str(name), list(TYPES), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise InvalidInput(
        f"Unknown assertion type '{name}'.{hint} Known types: {', '.join(TYPES)}.", field="type"
    )


def validate_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A clean copy of ``spec``; raises InvalidInput naming the parameter that is wrong."""
    if not isinstance(spec, Mapping):
        raise InvalidInput("An assertion must be a JSON object with a 'type'.", field="type")
    kind = assertion_type(spec.get("type"))
    names = [p.name for p in kind.params]
    clean: dict[str, Any] = {"type": kind.name}
    for key, value in spec.items():
        if key == "type":
            continue
        param = kind.param(key)
        if param is None:
            allowed = ", ".join(names) or "none"
            raise InvalidInput(f"{kind.name} has no parameter '{key}' (parameters: {allowed}).", field=key)
        if value is None and not param.required:
            continue
        try:
            clean[key] = _check_value(param, value)
        except ValueError as exc:
            raise InvalidInput(f"{kind.name}: '{key}' {exc}.", field=key) from None
    for param in kind.params:
        if param.required and param.name not in clean:
            raise InvalidInput(f"{kind.name} needs '{param.name}' ({param.help}).", field=param.name)
    if kind.extra is not None:
        kind.extra(clean)
    return clean


def validate_assertions(specs: Any, expected: str | None) -> list[dict[str, Any]]:
    """Validate a case's assertion list; types that default to the expected answer need one."""
    if not isinstance(specs, list):
        raise InvalidInput("Assertions must be a list of JSON objects.", field="assertions")
    clean = [validate_spec(spec) for spec in specs]
    for spec in clean:
        if TYPES[spec["type"]].uses_expected and spec.get("value") is None and not (expected or "").strip():
            raise InvalidInput(
                f"{spec['type']} compares with the expected answer, but this case has none: "
                "fill in 'expected' or give the assertion a 'value'.",
                field="expected",
            )
    return clean


async def arun_assertion(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    """Run one assertion; an invalid stored spec fails its own check instead of raising."""
    try:
        clean = validate_spec(spec)
    except InvalidInput as exc:
        return Verdict(False, None, f"Invalid assertion: {exc}")
    result = TYPES[clean["type"]].check(clean, answer)
    return result if isinstance(result, Verdict) else await result


def run_assertion(spec: Mapping[str, Any], answer: Answer) -> Verdict:
    """Synchronous form, for pages and the REPL; only a judge check starts an event loop."""
    try:
        clean = validate_spec(spec)
    except InvalidInput as exc:
        return Verdict(False, None, f"Invalid assertion: {exc}")
    result = TYPES[clean["type"]].check(clean, answer)
    if inspect.isawaitable(result):
        return run_sync(result)  # type: ignore[arg-type]
    return result


def describe(spec: Mapping[str, Any]) -> str:
    """One short line for grids and reasons, e.g. ``contains '25 days'``."""
    kind = str(spec.get("type", "?"))
    params = {k: v for k, v in spec.items() if k != "type"}
    if not params:
        return kind
    main = TYPES[kind].main if kind in TYPES else None
    if main is not None and list(params) == [main.name] and isinstance(params[main.name], str):
        return f"{kind} {quote(params[main.name], 40)}"
    return f"{kind} {json.dumps(params, ensure_ascii=False)[:60]}"
