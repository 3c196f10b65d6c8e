"""What text must be before it reaches the database, so both backends store the same rows.

PostgreSQL refuses a text holding a NUL character (``psycopg.DataError``) and a ``VARCHAR(n)``
value longer than ``n``; SQLite stores both. A lone UTF-16 surrogate (half of a broken emoji)
cannot be encoded for either. Left to the drivers, one such character in one model answer
failed a whole PostgreSQL run while SQLite kept everything, so the rules are applied once, here,
before any row is written:

- NUL characters are removed and lone surrogates become U+FFFD, in every text column and in
  every string (keys included) inside a JSON column;
- a value longer than its column allows is refused with ``InvalidInput`` naming the field and
  the limit, except in the records the machine writes while calls stream (outputs, model calls,
  assertion results, audit events): losing such a record would cost an answer, so the value is
  cut to fit instead;
- when an answer's text had to be changed, its row says so (``NOTED``), so the person reading it
  knows the stored text is not byte for byte what the model sent.

A listener on every ORM flush applies ``clean_row`` to each new or changed row; code that writes
without the ORM (the backup restore) calls ``clean_value`` itself.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from workbench.errors import InvalidInput

# Written by the machine while calls stream: cut to fit rather than refused.
FIT_TABLES = frozenset({"output", "model_call", "assertion_result", "audit_event"})
# Tables whose text column, once cleaned, gets a note in another column: table -> (text, note).
NOTED = {"output": ("text", "error_message"), "model_call": ("text", "error_message")}

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> tuple[str, int]:
    """``value`` without NUL characters (removed) and lone surrogates (U+FFFD), and how many
    characters were changed."""
    if not _UNSTORABLE.search(value):
        return value, 0
    return _UNSTORABLE.subn(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def clean_json(value: Any) -> tuple[Any, int]:
    """``clean_text`` applied to every string in a JSON value (keys too); the value itself when
    nothing changed."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        changed, items = 0, []
        for key, item in value.items():
            new_key, n_key = clean_text(key) if isinstance(key, str) else (key, 0)
            new_item, n_item = clean_json(item)
            changed += n_key + n_item
            items.append((new_key, new_item))
        return (dict(items), changed) if changed else (value, 0)
    if isinstance(value, list | tuple):
        cleaned = [clean_json(item) for item in value]
        changed = sum(n for _, n in cleaned)
        return ([item for item, _ in cleaned], changed) if changed else (value, 0)
    return value, 0


def _kind(column: sa.Column) -> Any:
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.TypeDecorator) else kind


def _field_label(table: str, field: str) -> str:
    return f"The {table.replace('_', ' ')} {field.replace('_', ' ')}"


def clean_value(column: sa.Column, value: Any, *, fit: bool = False) -> tuple[Any, int]:
    """``value`` as ``column`` can store it and how many characters were removed or replaced;
    a too-long text is cut to fit when ``fit``, else refused with ``InvalidInput``."""
    kind = _kind(column)
    if isinstance(kind, sa.JSON):
        return clean_json(value)
    if not isinstance(kind, sa.String) or not isinstance(value, str):
        return value, 0
    value, changed = clean_text(value)
    limit = kind.length
    if limit and len(value) > limit:
        if not fit:
            raise InvalidInput(
                f"{_field_label(column.table.name, column.name)} can be at most {limit} characters; "
                f"this one has {len(value)}. Shorten it.",
                field=column.name,
            )
        changed += len(value) - (limit - 1)
        value = value[: limit - 1] + "…"
    return value, changed


def _note(changed: int) -> str:
    what = "character" if changed == 1 else "characters"
    return (
        f"Stored with {changed} {what} removed or replaced that no database can hold "
        "(NUL or broken Unicode); the rest of the answer is as received."
    )


def clean_row(row: Any, only: set[str] | None = None) -> None:
    """Apply the rules to an ORM row in place (every text and JSON column, or those in ``only``)."""
    table: sa.Table = row.__table__
    fit = table.name in FIT_TABLES
    loaded = sa.inspect(row).dict
    cleaned: dict[str, int] = {}
    for column in table.columns:
        if column.key not in loaded or (only is not None and column.key not in only):
            continue
        value, changed = clean_value(column, loaded[column.key], fit=fit)
        if changed:
            setattr(row, column.key, value)
            cleaned[column.key] = changed
    text_field, note_field = NOTED.get(table.name, ("", ""))
    if cleaned.get(text_field):
        before = getattr(row, note_field) or ""
        setattr(row, note_field, f"{before} {_note(cleaned[text_field])}".strip())


def _changed_keys(row: Any) -> set[str]:
    state = sa.inspect(row)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(Session, "before_flush")
def _clean_before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for row in session.new:
        if hasattr(row, "__table__"):
            clean_row(row)
    for row in session.dirty:
        if hasattr(row, "__table__") and session.is_modified(row):
            clean_row(row, _changed_keys(row))
