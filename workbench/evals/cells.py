"""How assertions are written in a spreadsheet cell (CSV, XLSX and the Bench page's table).

A test-case table has one column per assertion type, headed ``assert:<type>``. A cell holds:

- nothing: the case has no assertion of that type;
- the main parameter's value on its own (the first parameter listed in the table in
  ``workbench.evals.assertions``): ``25 days`` in ``assert:contains``, ``^Dear`` in
  ``assert:regex``, ``0.7`` in ``assert:similarity``, ``50`` in ``assert:length`` (at most 50
  words), ``2000`` in ``assert:latency``, the rubric in ``assert:llm_judge``, a JSON Schema in
  ``assert:json_schema``; ``yes`` in ``assert:is_json`` (``no`` or blank: no check);
- a JSON list of texts for a list parameter: ``["refund", "apology"]`` in ``assert:contains``;
- a JSON object of parameters: ``{"value": ["refund", "sorry"], "match": "any",
  "case_sensitive": false}``, ``{"min": 20, "max": 120, "unit": "words"}``, or ``{}`` in
  ``assert:equals`` to compare with the case's expected answer;
- a JSON list of such objects for several assertions of one type:
  ``[{"value": "25 days"}, {"value": "pto", "case_sensitive": false}]``.

A cell starting with ``{`` is always read as JSON, so a mistyped parameter is reported rather
than silently searched for as text; write a text that starts with ``{`` as
``{"value": "{{ name }}"}``. A cell starting with ``[`` is JSON when it parses as a list of
objects, or as any list for a list parameter (which must then hold texts); otherwise it is the
plain value, so regular expressions such as ``[0-9]+ days`` need no quoting. Blanks around a cell are trimmed.
``format_cell`` writes the shortest form that reads back to the same specs, which is what
makes an export import back unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.errors import InvalidInput
from workbench.evals.assertions import TYPES, AssertionType, Param, assertion_type, validate_spec

PREFIX = "assert:"
YES = {"yes", "y", "true", "1", "x", "✓"}
NO = {"no", "n", "false", "0"}


def column_for(type_name: str) -> str:
    return f"{PREFIX}{type_name}"


def type_of_column(column: str) -> str | None:
    """The assertion type named by an ``assert:<type>`` header (any case), else None."""
    name = column.strip()
    if not name.lower().startswith(PREFIX):
        return None
    return name[len(PREFIX) :].strip().lower()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"is not valid JSON: {exc.msg} at character {exc.pos + 1}.") from None


def _plain(param: Param, text: str) -> Any:
    """The main parameter's value from a plain cell."""
    if param.kind in {"number", "integer"}:
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            raise InvalidInput(f"'{text}' is not a number ({param.name}: {param.help}).") from None
    if param.kind == "schema":
        raise InvalidInput('must be a JSON Schema object, e.g. {"type": "object"}.')
    return text


def _from_object(kind: AssertionType, data: dict[str, Any]) -> dict[str, Any]:
    names = {p.name for p in kind.params}
    if set(data) <= names:
        params = data
    elif kind.main is not None and kind.main.kind == "schema":
        params = {kind.main.name: data}
    else:
        unknown = ", ".join(f"'{k}'" for k in sorted(set(data) - names))
        allowed = ", ".join(p.name for p in kind.params) or "none"
        raise InvalidInput(f"{kind.name} has no parameter {unknown} (parameters: {allowed}).")
    return validate_spec({"type": kind.name, **params})


def parse_cell(type_name: str, cell: Any) -> list[dict[str, Any]]:
    """The validated specs a cell of column ``assert:<type_name>`` holds (see the module doc)."""
    kind = assertion_type(type_name)
    text = "" if cell is None else str(cell).strip()
    if not text:
        return []
    if kind.switch and not text.startswith(("{", "[")):
        if text.lower() in YES:
            return [validate_spec({"type": kind.name})]
        if text.lower() in NO:
            return []
        raise InvalidInput(f"write yes to check this (or a JSON object of parameters), not '{text}'.")
    if text.startswith("{"):
        data = _json(text)
        if not isinstance(data, dict):
            raise InvalidInput("is not a JSON object.")
        return [_from_object(kind, data)]
    if text.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
            return [_from_object(kind, item) for item in data]
        if kind.main is not None and kind.main.kind == "texts" and isinstance(data, list):
            return [validate_spec({"type": kind.name, kind.main.name: data})]
    if kind.main is None:
        raise InvalidInput(f'{kind.name} needs a JSON object of parameters, e.g. {{"max": 50}}.')
    return [validate_spec({"type": kind.name, kind.main.name: _plain(kind.main, text)})]


def _params(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "type"}


def _candidates(kind: AssertionType, params: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if kind.switch and not params:
        found.append("yes")
    main = kind.main
    if main is not None and list(params) == [main.name]:
        value = params[main.name]
        found.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    found.append(json.dumps(params, ensure_ascii=False))
    return found


def format_cell(type_name: str, specs: list[dict[str, Any]]) -> str:
    """The shortest cell text that ``parse_cell`` reads back to exactly ``specs``."""
    if not specs:
        return ""
    kind = assertion_type(type_name)
    if len(specs) > 1:
        return json.dumps([_params(s) for s in specs], ensure_ascii=False)
    for text in _candidates(kind, _params(specs[0])):
        try:
            if parse_cell(type_name, text) == specs:
                return text
        except InvalidInput:
            continue
    return json.dumps(_params(specs[0]), ensure_ascii=False)


def columns_in_use(assertion_lists: list[list[dict[str, Any]]]) -> list[str]:
    """``assert:<type>`` columns these cases need, in order of first appearance, so cases whose
    assertions are grouped by type read back in their own order."""
    names = [spec.get("type") for specs in assertion_lists for spec in specs]
    return [column_for(name) for name in dict.fromkeys(names) if name in TYPES]


EXAMPLES: dict[str, str] = {
    "equals": "{}",
    "contains": "25 days",
    "not_contains": "365",
    "regex": r"\b\d+ days\b",
    "starts_with": "Dear",
    "is_json": "yes",
    "json_schema": '{"type": "object", "required": ["days"]}',
    "length": '{"min": 5, "max": 60}',
    "similarity": "0.7",
    "latency": "2000",
    "cost": "0.002",
    "llm_judge": "Quotes the handbook's figure and nothing else.",
}


def syntax_reference() -> list[dict[str, str]]:
    """One row per assertion column: what a plain cell holds, the other parameters, an example."""
    rows = []
    for name, kind in TYPES.items():
        main = kind.main
        others = [p for p in kind.params if p is not main]
        rows.append(
            {
                "column": column_for(name),
                "example": EXAMPLES[name],
                "passes when": kind.passes_when,
                "a plain cell holds": "yes" if kind.switch else f"{main.name}: {main.help}" if main else "",
                "other parameters (JSON object)": "; ".join(f"{p.name}: {p.help}" for p in others),
            }
        )
    return rows
