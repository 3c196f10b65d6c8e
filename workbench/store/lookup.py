"""Fetch one row by its id, or raise the workbench's ``NotFound`` saying what is missing.

One helper instead of a hand-written ``session.get(...)`` + ``if row is None: raise`` in every
module: the message is the same everywhere, and a caller that wants its own wording (a hint
about what to do next) passes it.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, SQLModel
from sqlmodel.sql.expression import Select

from workbench.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)


class Identified(Protocol):
    """A table row with an integer primary key that the database assigns on flush."""

    id: int | None


# How people call a table's rows in messages (the class name otherwise, split into words).
_NAMES = {"PromptVersion": "Version", "ModelEntry": "Model", "TestCase": "Test case"}


def describe(table: type[SQLModel]) -> str:
    name = table.__name__
    return _NAMES.get(name) or re.sub(r"(?<!^)(?=[A-Z])", " ", name).capitalize()


def fetch(session: Session, table: type[Row], row_id: Any, *, missing: str | None = None) -> Row:
    """The ``table`` row with primary key ``row_id``; ``NotFound`` (``missing``, or "<Thing>
    <id> does not exist.") when there is none."""
    row = session.get(table, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(missing or f"{describe(table)} {row_id} does not exist.")
    return row


def id_of(row: Identified) -> int:
    """The primary key of a row that is in the database (loaded, or added and flushed).

    Tables declare ``id: int | None`` because a row has no id until it is flushed; code that
    holds a stored row uses this instead of ``row.id`` so a missing flush fails here, by name,
    rather than as a ``None`` written into a foreign key or a dictionary.
    """
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed to the database.")
    return row.id


def select_columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """``sqlmodel.select`` of five columns or more, typed.

    sqlmodel types ``select`` for at most four columns and leaves wider reads without an overload;
    this builds the same statement (the ``Select`` that ``sqlmodel.select`` returns for two or
    more) with rows of ``Any``, so wide reads stay checked everywhere else.
    """
    return Select(*columns)


def without_index(column: Any) -> Any:
    """``column`` in a form the query planner cannot match to an index (``column || ''``).

    For a filter such as "answers of one project that succeeded": SQLite otherwise walks the
    status index over every project's answers (200,000 in a big library) instead of the
    project's runs and their answers, three times slower. Works alike on PostgreSQL."""
    return column.concat("")
