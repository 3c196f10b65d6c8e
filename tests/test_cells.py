"""The spreadsheet cell syntax for assertions: reading every form, and writing back identically."""

from __future__ import annotations

from typing import Any

import pytest

from workbench.errors import InvalidInput
from workbench.evals.assertions import TYPES
from workbench.evals.cells import column_for, format_cell, parse_cell, syntax_reference, type_of_column


@pytest.mark.parametrize(
    ("kind", "cell", "specs"),
    [
        ("contains", "  25 days ", [{"type": "contains", "value": "25 days"}]),
        ("contains", '["refund", "sorry"]', [{"type": "contains", "value": ["refund", "sorry"]}]),
        (
            "contains",
            '{"value": ["a", "b"], "match": "any", "case_sensitive": false}',
            [{"type": "contains", "value": ["a", "b"], "match": "any", "case_sensitive": False}],
        ),
        (
            "contains",
            '[{"value": "25 days"}, {"value": "pto", "case_sensitive": false}]',
            [
                {"type": "contains", "value": "25 days"},
                {"type": "contains", "value": "pto", "case_sensitive": False},
            ],
        ),
        ("not_contains", "365", [{"type": "not_contains", "value": "365"}]),
        ("regex", "[0-9]+ days", [{"type": "regex", "pattern": "[0-9]+ days"}]),
        ("starts_with", "Dear", [{"type": "starts_with", "value": "Dear"}]),
        ("equals", "{}", [{"type": "equals"}]),
        ("is_json", "yes", [{"type": "is_json"}]),
        ("is_json", "No", []),
        ("is_json", '{"code_fence": false}', [{"type": "is_json", "code_fence": False}]),
        ("json_schema", '{"type": "object"}', [{"type": "json_schema", "schema": {"type": "object"}}]),
        (
            "json_schema",
            '{"schema": {"type": "array"}, "code_fence": false}',
            [{"type": "json_schema", "schema": {"type": "array"}, "code_fence": False}],
        ),
        ("length", "50", [{"type": "length", "max": 50}]),
        (
            "length",
            '{"min": 5, "max": 50, "unit": "chars"}',
            [{"type": "length", "min": 5, "max": 50, "unit": "chars"}],
        ),
        ("similarity", "0.7", [{"type": "similarity", "threshold": 0.7}]),
        ("latency", "2000", [{"type": "latency", "max_ms": 2000}]),
        ("cost", "0.002", [{"type": "cost", "max_usd": 0.002}]),
        ("llm_judge", "Quotes the 25 days", [{"type": "llm_judge", "rubric": "Quotes the 25 days"}]),
        ("contains", "", []),
        ("contains", None, []),
    ],
)
def test_cells_read_into_specs(kind: str, cell: Any, specs: list[dict[str, Any]]) -> None:
    assert parse_cell(kind, cell) == specs


@pytest.mark.parametrize(
    ("kind", "cell", "words"),
    [
        ("contains", '{"valeu": "x"}', "no parameter 'valeu'"),
        ("contains", '{"value": "x"', "not valid JSON"),
        ("regex", "([0-9]+", "not a valid regular expression"),
        ("json_schema", '{"type": "objekt"}', "not a valid JSON Schema"),
        ("json_schema", "object", "JSON Schema object"),
        ("similarity", "high", "'high' is not a number"),
        ("is_json", "maybe", "write yes"),
        ("length", '{"min": 9, "max": 3}', "larger than 'max'"),
        ("latency", "-5", "at least"),
        ("contains", "[1, 2]", "list of texts"),
        ("regex", '[{"pattern": "a"}, {"patern": "b"}]', "no parameter 'patern'"),
    ],
)
def test_bad_cells_are_refused_with_the_reason(kind: str, cell: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words.replace("(", r"\(")):
        parse_cell(kind, cell)


@pytest.mark.parametrize(
    ("kind", "specs", "cell"),
    [
        ("contains", [{"type": "contains", "value": "25 days"}], "25 days"),
        ("contains", [{"type": "contains", "value": ["a", "b"]}], '["a", "b"]'),
        ("contains", [{"type": "contains", "value": " padded "}], '{"value": " padded "}'),
        ("contains", [{"type": "contains", "value": "{{ name }}"}], '{"value": "{{ name }}"}'),
        ("contains", [{"type": "contains", "value": '["x"]'}], '{"value": "[\\"x\\"]"}'),
        ("equals", [{"type": "equals"}], "{}"),
        ("is_json", [{"type": "is_json"}], "yes"),
        ("json_schema", [{"type": "json_schema", "schema": {"type": "object"}}], '{"type": "object"}'),
        (
            "json_schema",
            [{"type": "json_schema", "schema": {"schema": {"type": "object"}}}],
            '{"schema": {"schema": {"type": "object"}}}',
        ),
        ("length", [{"type": "length", "max": 50}], "50"),
        ("length", [{"type": "length", "max": 50, "unit": "chars"}], '{"max": 50, "unit": "chars"}'),
        ("similarity", [{"type": "similarity", "threshold": 0.75}], "0.75"),
        ("regex", [{"type": "regex", "pattern": "^Dear"}], "^Dear"),
        ("regex", [{"type": "regex", "pattern": "{x}"}], '{"pattern": "{x}"}'),
        (
            "not_contains",
            [
                {"type": "not_contains", "value": "a"},
                {"type": "not_contains", "value": "b", "case_sensitive": False},
            ],
            '[{"value": "a"}, {"value": "b", "case_sensitive": false}]',
        ),
    ],
)
def test_cells_are_written_in_the_shortest_form_that_reads_back(
    kind: str, specs: list[dict[str, Any]], cell: str
) -> None:
    assert format_cell(kind, specs) == cell
    assert parse_cell(kind, cell) == specs


def test_assert_columns_are_recognised_in_any_case() -> None:
    assert type_of_column(" Assert:Contains ") == "contains"
    assert type_of_column("question") is None
    assert column_for("regex") == "assert:regex"
    assert format_cell("contains", []) == ""


def test_the_syntax_reference_covers_every_type_with_an_example_that_reads() -> None:
    rows = syntax_reference()
    assert [r["column"] for r in rows] == [column_for(t) for t in TYPES]
    for row in rows:
        kind = type_of_column(row["column"])
        assert parse_cell(kind, row["example"]), row  # type: ignore[arg-type]
    assert rows[1]["a plain cell holds"] == "value: text, or a list of texts"
