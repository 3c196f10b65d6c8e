"""Fetch one row by its id, or raise the workbench's ``NotFound`` saying what is missing.

One helper instead of a hand-written ``session.get(...)`` + ``if row is None: raise`` in every
module: the message is the same everywhere, and a caller that wants its own wording (a hint
about what to do next) passes it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from workbench.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)

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
