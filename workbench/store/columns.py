"""Column helpers every table module shares: the current time in UTC, and a JSON column."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_column(default_factory: Any, nullable: bool = False) -> Any:
    """A JSON column (parameters, variables, snapshots) with its Python default."""
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=nullable))
