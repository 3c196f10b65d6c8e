"""What a backup's values must look like beyond their SQL type: the shape of every JSON column
(from the tables' own type hints) and the rules the app applies when people type the values.

A JSON column accepts any JSON, so without this a backup with ``"tags": "not-a-list"`` restored
as ``['n', 'o', 't', ...]`` and ``"params": [1, 2, 3]`` restored, then broke Compare. Each JSON
value is checked strictly against its column's annotation (``list[str]``, ``dict[str, Any]``...),
and some columns with the same validation as the UI: call settings through
``CallSettings.from_dict``, test-case assertions through ``validate_assertions``, the enumerated
texts (sensitivity, role, status) against their lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlmodel import SQLModel

from workbench.errors import WorkbenchError
from workbench.evals.assertions import validate_assertions
from workbench.evals.snapshot import EvaluationConfig
from workbench.models.settings import CallSettings
from workbench.store.tables import OUTPUT_STATUSES, ROLES, SENSITIVITY_LEVELS

Check = Callable[[Any, Mapping[str, Any]], None]  # (value, the whole row) -> raises when wrong


def _one_of(allowed: tuple[str, ...]) -> Check:
    def check(value: Any, _row: Mapping[str, Any]) -> None:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, not {value!r}")

    return check


def _settings(value: Any, _row: Mapping[str, Any]) -> None:
    CallSettings.from_dict(value)


def _assertions(value: Any, row: Mapping[str, Any]) -> None:
    validate_assertions(value, row.get("expected"))


def _evaluation_config(value: Any, _row: Mapping[str, Any]) -> None:
    try:
        EvaluationConfig.from_json(value)
    except WorkbenchError:
        raise
    except Exception as exc:  # a snapshot of the wrong shape fails in many ways; say which
        raise ValueError(f"is not an evaluation snapshot ({type(exc).__name__}: {exc})") from None


RULES: dict[tuple[str, str], Check] = {
    ("prompt_version", "params"): _settings,
    ("output", "params"): _settings,
    ("model_call", "params"): _settings,
    ("test_case", "assertions"): _assertions,
    ("evaluation", "config"): _evaluation_config,
    ("project", "sensitivity"): _one_of(SENSITIVITY_LEVELS),
    ("membership", "role"): _one_of(ROLES),
    ("output", "status"): _one_of(OUTPUT_STATUSES),
}


@cache
def _annotations() -> dict[tuple[str, str], Any]:
    """(table, column) -> the type hint of every JSON column of the tables."""
    found = {}
    for mapper in SQLModel._sa_registry.mappers:
        model = mapper.class_
        table = getattr(model, "__table__", None)
        if table is None:
            continue
        for name, field in model.model_fields.items():
            column = table.columns.get(name)
            if column is not None and column.type.__class__.__name__ == "JSON":
                found[(table.name, name)] = field.annotation
    return found


@cache
def _adapter(table: str, column: str) -> TypeAdapter[Any] | None:
    hint = _annotations().get((table, column))
    return None if hint is None else TypeAdapter(hint)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{error['msg'].lower()}{f' (at {where})' if where else ''}"


def shape_problem(table: str, column: str, value: Any, row: Mapping[str, Any]) -> str | None:
    """Why ``value`` does not fit the column's shape or rule, or None (None values are the SQL
    check's business)."""
    if value is None:
        return None
    adapter = _adapter(table, column)
    if adapter is not None:
        try:
            adapter.validate_python(value, strict=True)
        except ValidationError as exc:
            shape = str(_annotations()[(table, column)]).replace("typing.", "")
            return f"must have the shape {shape}: {_first_error(exc)}"
    rule = RULES.get((table, column))
    if rule is not None:
        try:
            rule(value, row)
        except (WorkbenchError, ValueError, TypeError) as exc:
            return str(getattr(exc, "message", None) or exc)
    return None
