"""Every assertion type on a passing and a failing answer, spec validation, and the metrics."""

from __future__ import annotations

import re
from typing import Any

import pytest

from workbench.errors import InvalidInput
from workbench.evals import assertions
from workbench.evals.assertions import TYPES, Answer, Verdict, describe, run_assertion, validate_spec
from workbench.evals.metrics import lcs_length, ratio, rouge_l, strip_code_fence, token_set_ratio

PTO = "Full-time employees receive 25 days of paid time off (PTO) per calendar year."


def check(spec: dict[str, Any], text: str, **figures: Any) -> Verdict:
    return run_assertion(spec, Answer(text=text, **figures))


# (spec, passing answer, failing answer, extra Answer fields, words expected in the failure reason)
CASES: list[tuple[dict[str, Any], str, str, dict[str, Any], str]] = [
    ({"type": "equals", "value": "25 days"}, "25 days", "25 Days", {}, "differs"),
    ({"type": "equals", "value": "25 days", "case_sensitive": False}, "25 DAYS", "26 days", {}, "differs"),
    ({"type": "equals", "value": "a b", "normalize_whitespace": True}, "  a \n b ", "a  c", {}, "differs"),
    ({"type": "equals"}, "25 days.", "25 days", {"expected": "25 days."}, "differs"),
    ({"type": "contains", "value": "25 days"}, PTO, "About 20 days.", {}, "Missing '25 days'"),
    ({"type": "contains", "value": "pto", "case_sensitive": False}, PTO, "paid leave", {}, "Missing 'pto'"),
    ({"type": "contains", "value": ["25", "PTO"]}, PTO, "25 holidays", {}, "Missing 'PTO'"),
    ({"type": "contains", "value": ["sorry", "25"], "match": "any"}, PTO, "no figure", {}, "None of"),
    ({"type": "not_contains", "value": "365"}, PTO, "365 days a year", {}, "'365' appears"),
    (
        {"type": "not_contains", "value": ["365", "unlimited"]},
        PTO,
        "unlimited PTO",
        {},
        "'unlimited' appears",
    ),
    ({"type": "not_contains", "value": ["a1", "b2"], "match": "all"}, "only a1", "a1 and b2", {}, "All of"),
    ({"type": "regex", "pattern": r"\b25 days\b"}, PTO, "twenty-five days", {}, "No match"),
    (
        {"type": "regex", "pattern": "^full-time", "case_sensitive": False},
        PTO,
        "Part-time: 10",
        {},
        "No match",
    ),
    ({"type": "starts_with", "value": "Dear"}, "\n Dear Sam,", "Hello Sam,", {}, "not 'Dear'"),
    ({"type": "is_json"}, '```json\n{"days": 25}\n```', "{days: 25}", {}, "not valid JSON"),
    (
        {"type": "is_json", "code_fence": False},
        '{"days": 25}',
        '```json\n{"days": 25}\n```',
        {},
        "not valid JSON",
    ),
    (
        {
            "type": "json_schema",
            "schema": {"type": "object", "required": ["days"], "properties": {"days": {"type": "integer"}}},
        },
        '{"days": 25}',
        '{"days": "25"}',
        {},
        "Schema mismatch at $.days",
    ),
    ({"type": "json_schema", "schema": {"type": "array"}}, "[1, 2]", "not json", {}, "not valid JSON"),
    (
        {"type": "length", "max": 5},
        "one two three",
        "one two three four five six",
        {},
        "6 words; allowed at most 5",
    ),
    ({"type": "length", "min": 2, "max": 10, "unit": "chars"}, "abcd", "abcdefghijk", {}, "11 chars"),
    ({"type": "length", "min": 3}, "a b c", "a b", {}, "at least 3"),
    (
        {"type": "similarity", "threshold": 0.6},
        PTO,
        "Employees get unlimited leave.",
        {"expected": PTO.lower()},
        "ROUGE-L",
    ),
    (
        {"type": "similarity", "threshold": 0.9, "metric": "ratio", "value": "25 days of PTO"},
        "25 days of pto!",
        "30 days of pto",
        {},
        "fuzzy ratio",
    ),
    (
        {"type": "similarity", "threshold": 0.95, "metric": "token_set_ratio", "value": "days 25 PTO"},
        "PTO: 25 days",
        "PTO: 30 days",
        {},
        "token-set ratio",
    ),
    ({"type": "latency", "max_ms": 500}, "ok", "ok", {"latency_ms": 120.0}, "ceiling 500 ms"),
    ({"type": "cost", "max_usd": 0.001}, "ok", "ok", {"cost_usd": 0.0004}, "ceiling $0.001"),
]


@pytest.mark.parametrize(("spec", "good", "bad", "figures", "why"), CASES, ids=lambda v: None)
def test_each_assertion_passes_the_good_answer_and_fails_the_bad_one(
    spec: dict[str, Any], good: str, bad: str, figures: dict[str, Any], why: str
) -> None:
    validate_spec(spec)
    passed = check(spec, good, **figures)
    assert passed.passed, passed.reason
    bad_figures = dict(figures)
    if spec["type"] == "latency":
        bad_figures["latency_ms"] = 900.0
    if spec["type"] == "cost":
        bad_figures["cost_usd"] = 0.02
    failed = check(spec, bad, **bad_figures)
    assert not failed.passed
    assert why in failed.reason
    assert failed.score is None or failed.score < (passed.score or 1.0)


def test_every_registered_type_is_tested_and_documented() -> None:
    tested = {spec["type"] for spec, *_ in CASES} | {"llm_judge"}  # the judge: tests/test_judge.py
    assert tested == set(TYPES)
    table = assertions.__doc__ or ""
    for name, kind in TYPES.items():
        row = re.search(rf"^{name}\s+(.*)$", table, re.M)
        assert row, f"{name} missing from the docstring table"
        for param in kind.params:
            assert param.name in table, f"{name}.{param.name} undocumented"


def test_scores_reflect_partial_matches() -> None:
    assert check({"type": "contains", "value": ["25", "PTO", "sick"]}, PTO).score == pytest.approx(2 / 3)
    assert check({"type": "not_contains", "value": ["25", "sick"]}, PTO).score == pytest.approx(0.5)


def test_missing_figures_fail_with_a_reason_instead_of_passing() -> None:
    assert "No latency" in check({"type": "latency", "max_ms": 10}, "ok").reason
    assert not check({"type": "cost", "max_usd": 1}, "ok").passed
    assert "no expected answer" in check({"type": "similarity"}, "ok").reason
    assert not check({"type": "equals"}, "ok").passed


def test_judge_assertion_without_a_judge_fails_clearly() -> None:
    verdict = check({"type": "llm_judge", "rubric": "Quotes 25 days"}, PTO)
    assert not verdict.passed and "No judge model" in verdict.reason


@pytest.mark.parametrize(
    ("spec", "field", "words"),
    [
        ({"type": "contians", "value": "x"}, "type", "Did you mean 'contains'"),
        ({"value": "x"}, "type", "Unknown assertion type 'None'"),
        ({"type": "contains"}, "value", "contains needs 'value'"),
        ({"type": "contains", "value": ""}, "value", "non-empty text"),
        ({"type": "contains", "value": ["a", 3]}, "value", "list of texts"),
        ({"type": "contains", "valeu": "x"}, "valeu", "no parameter 'valeu'"),
        ({"type": "contains", "value": "x", "match": "some"}, "match", '"all", "any"'),
        ({"type": "contains", "value": "x", "case_sensitive": "no"}, "case_sensitive", "true or false"),
        ({"type": "regex", "pattern": "([0-9]+"}, "pattern", "not a valid regular expression: missing )"),
        ({"type": "json_schema", "schema": {"type": "objekt"}}, "schema", "not a valid JSON Schema"),
        ({"type": "json_schema", "schema": "object"}, "schema", "must be a JSON object"),
        ({"type": "length"}, "max", "needs 'min', 'max' or both"),
        ({"type": "length", "min": 10, "max": 5}, "min", "larger than 'max'"),
        ({"type": "length", "max": 2.5}, "max", "whole number"),
        ({"type": "similarity", "threshold": 1.5}, "threshold", "at most 1"),
        ({"type": "similarity", "metric": "bleu"}, "metric", '"rouge_l"'),
        ({"type": "latency", "max_ms": 0}, "max_ms", "at least"),
        ({"type": "cost", "max_usd": True}, "max_usd", "must be a number"),
        ({"type": "length", "max": float("inf")}, "max", "must be a number"),
        ({"type": "similarity", "threshold": float("nan")}, "threshold", "must be a number"),
        ({"type": "llm_judge"}, "rubric", "needs 'rubric'"),
    ],
)
def test_invalid_specs_are_refused_naming_the_parameter(spec: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_spec(spec)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_a_broken_stored_spec_fails_its_own_check_without_raising() -> None:
    verdict = check({"type": "regex", "pattern": "(("}, "anything")
    assert not verdict.passed and verdict.reason.startswith("Invalid assertion")


def test_validate_assertions_needs_an_expected_answer_for_comparisons() -> None:
    with pytest.raises(InvalidInput, match="compares with the expected answer"):
        assertions.validate_assertions([{"type": "similarity"}], expected="  ")
    assert assertions.validate_assertions([{"type": "similarity", "value": "x"}], expected=None)
    with pytest.raises(InvalidInput, match="list"):
        assertions.validate_assertions({"type": "contains"}, expected=None)


def test_rouge_l_matches_the_published_examples() -> None:
    # Lin (2004), section 3.1: S1 vs S2 share "police the gunman" (3 of 4 words), S3 only "the gunman".
    assert rouge_l("police kill the gunman", "police killed the gunman") == pytest.approx(0.75)
    assert rouge_l("the gunman kill police", "police killed the gunman") == pytest.approx(0.5)
    assert lcs_length(["a", "b", "c", "d", "e"], ["a", "c", "e", "x"]) == 3
    assert rouge_l("", "") == 1.0 and rouge_l("x", "") == 0.0 and rouge_l("a", "b") == 0.0
    # precision 2/2, recall 2/4 -> F1 = 2/3
    assert rouge_l("paid leave", "paid annual leave days") == pytest.approx(2 / 3)


def test_fuzzy_ratios_are_normalised_to_one() -> None:
    assert ratio("25 Days!", "25 days") == 1.0
    assert 0 < ratio("25 days", "52 days") < 1
    assert token_set_ratio("days 25", "25 days 25") == 1.0


def test_code_fences_are_stripped_only_around_a_single_block() -> None:
    assert strip_code_fence('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert strip_code_fence('Here: ```json\n{"a": 1}\n```') == 'Here: ```json\n{"a": 1}\n```'


def test_describe_gives_a_short_line() -> None:
    assert describe({"type": "contains", "value": "25 days"}) == "contains '25 days'"
    assert describe({"type": "is_json"}) == "is_json"
    assert describe({"type": "length", "max": 5}) == 'length {"max": 5}'
