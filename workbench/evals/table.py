"""Test cases as a table: the one shape shared by CSV, XLSX and the Bench page's editor.

Columns: ``name``, one column per template variable, ``expected``, and one ``assert:<type>``
column per assertion type in use (cell syntax: ``workbench.evals.cells``). A variable whose
name is itself ``name``, ``expected`` or ``id`` is written ``var:name``; any variable column
may carry that prefix. The editor adds a hidden ``id`` column so edits can be matched to
stored cases.

Reading a table validates *every* row before anything is written, and collects every problem
with its row and column (spreadsheet numbering: the header is row 1), so a person fixes the
file once instead of re-uploading it for each mistake. Checks: unknown columns and assertion
types, missing variable columns, empty variable cells, and each assertion cell's syntax and
parameters (malformed regex, malformed JSON Schema, out-of-range numbers...). Blank rows are
skipped. A case's assertions are read in column order (order never changes a verdict); an
export lists types in order of first appearance, so it imports back unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.errors import InvalidInput
from workbench.evals.assertions import TYPES, validate_assertions
from workbench.evals.cells import column_for, columns_in_use, format_cell, parse_cell, type_of_column
from workbench.store.tables import TestCase

ID, NAME, EXPECTED = "id", "name", "expected"
FIXED = (ID, NAME, EXPECTED)
VAR = "var:"


def variable_column(name: str) -> str:
    """The header for variable ``name``; prefixed only where it would read as a fixed column."""
    return f"{VAR}{name}" if name.lower() in FIXED else name


MAX_LISTED = 12


@dataclass(frozen=True)
class CaseDraft:
    """A validated row, ready to be written; ``id`` is set for rows of stored cases."""

    row: int
    name: str
    variables: dict[str, str]
    expected: str | None
    assertions: list[dict[str, Any]]
    id: int | None = None

    def content(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "variables": self.variables,
            "expected": self.expected,
            "assertions": self.assertions,
        }


@dataclass
class Problems:
    """Every problem found in a table, each with its row and column."""

    items: list[tuple[int | None, str | None, str]] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.items.append((row, column, message))

    @staticmethod
    def where(row: int | None, column: str | None) -> str:
        parts = ([f"Row {row}"] if row is not None else []) + ([f"column '{column}'"] if column else [])
        return ", ".join(parts)

    def raise_if_any(self, outcome: str) -> None:
        if not self.items:
            return
        lines = [f"{self.where(r, c)}: {m}" if (r or c) else m for r, c, m in self.items[:MAX_LISTED]]
        if len(self.items) > MAX_LISTED:
            lines.append(f"… and {len(self.items) - MAX_LISTED} more.")
        count = len(self.items)
        error = InvalidInput(f"{outcome}: {count} problem{'s' if count > 1 else ''}.\n" + "\n".join(lines))
        error.row, error.field = self.items[0][0], self.items[0][1]
        raise error


def cell_text(value: Any) -> str:
    """A cell as text: blanks for None/NaN, whole floats without '.0' (Excel numbers)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cases_to_frame(
    cases: Sequence[TestCase],
    variables: Sequence[str],
    extra_types: Iterable[str] = (),
    with_id: bool = False,
) -> pd.DataFrame:
    """The table for ``cases``: variables in template order, then any others the cases carry."""
    names = list(variables) + sorted({k for c in cases for k in c.variables} - set(variables))
    assert_columns = columns_in_use([c.assertions for c in cases])
    assert_columns += [
        column_for(t) for t in TYPES if t in set(extra_types) and column_for(t) not in assert_columns
    ]
    headers = [variable_column(name) for name in names]
    columns = ([ID] if with_id else []) + [NAME, *headers, EXPECTED, *assert_columns]
    rows = []
    for case in cases:
        row: dict[str, Any] = {ID: case.id} if with_id else {}
        row[NAME] = case.name
        row.update({h: cell_text(case.variables.get(n)) for h, n in zip(headers, names, strict=True)})
        row[EXPECTED] = case.expected or ""
        for column in assert_columns:
            kind = type_of_column(column)
            row[column] = format_cell(kind, [a for a in case.assertions if a.get("type") == kind])  # type: ignore[arg-type]
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    if with_id:
        frame[ID] = frame[ID].astype("Int64")
    return frame


def _header(
    columns: Sequence[str], required: Sequence[str], allowed: set[str], problems: Problems
) -> dict[str, str]:
    """Map each column to its role: 'id', 'name', 'expected', 'var:<name>', or an assertion type."""
    roles: dict[str, str] = {}
    for column in columns:
        label = str(column).strip()
        kind = type_of_column(label)
        if label.lower().startswith(VAR) and label[len(VAR) :].strip() in allowed:
            roles[column] = VAR + label[len(VAR) :].strip()
        elif label.lower() in FIXED:
            roles[column] = label.lower()
        elif kind is not None:
            if kind in TYPES:
                roles[column] = kind
            else:
                problems.add(1, label, f"unknown assertion type '{kind}'; known types: {', '.join(TYPES)}.")
        elif label in allowed:
            roles[column] = VAR + label
        elif label.startswith("Unnamed:") or not label:
            problems.add(1, label or None, "a column has no header; name it or delete it.")
        else:
            problems.add(
                1,
                label,
                "not a variable of this prompt, nor name, expected or assert:<type>. "
                f"Variables: {', '.join(sorted(allowed)) or 'none'}.",
            )
    present = {role[len(VAR) :] for role in roles.values() if role.startswith(VAR)}
    for name in required:
        if name not in present:
            problems.add(
                1,
                variable_column(name),
                f"missing: the template uses {{{{ {name} }}}}, so the table needs this column.",
            )
    return roles


def _row_draft(
    values: dict[str, Any], roles: dict[str, str], number: int, problems: Problems
) -> CaseDraft | None:
    texts = {column: cell_text(values.get(column)) for column in roles}
    if not any(t.strip() for c, t in texts.items() if roles[c] != ID):
        return None  # a blank row
    variables: dict[str, str] = {}
    assertions: list[dict[str, Any]] = []
    before = len(problems.items)
    for column, role in roles.items():
        text = texts[column]
        label = str(column).strip()
        if role.startswith(VAR):
            if not text.strip():
                problems.add(number, label, "empty: every variable needs a value.")
            variables[role[len(VAR) :]] = text
        elif role in TYPES:
            try:
                assertions.extend(parse_cell(role, text))
            except InvalidInput as exc:
                problems.add(number, label, exc.message)
    expected_column = next((c for c, r in roles.items() if r == EXPECTED), None)
    expected_text = texts[expected_column] if expected_column is not None else ""
    expected = expected_text if expected_text.strip() else None
    if len(problems.items) == before:
        try:
            validate_assertions(assertions, expected)
        except InvalidInput as exc:
            problems.add(number, expected_column or EXPECTED, exc.message)
    if len(problems.items) > before:
        return None
    id_column = next((c for c, r in roles.items() if r == ID), None)
    case_id = texts[id_column] if id_column is not None else ""
    name_column = next((c for c, r in roles.items() if r == NAME), None)
    return CaseDraft(
        row=number,
        name=texts[name_column].strip() if name_column is not None else "",
        variables=variables,
        expected=expected,
        assertions=assertions,
        id=int(case_id) if case_id.strip() else None,
    )


def frame_to_drafts(
    frame: pd.DataFrame,
    *,
    required: Sequence[str],
    allowed: Iterable[str],
    first_row: int = 2,
    outcome: str = "Nothing was imported",
) -> list[CaseDraft]:
    """Validate every row of ``frame``; raises one InvalidInput listing each row and column at fault."""
    problems = Problems()
    roles = _header(list(frame.columns), required, set(allowed) | set(required), problems)
    drafts = []
    for offset, values in enumerate(frame.to_dict("records")):
        draft = _row_draft(values, roles, first_row + offset, problems)
        if draft is not None:
            drafts.append(draft)
    problems.raise_if_any(outcome)
    return drafts
