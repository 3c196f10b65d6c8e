"""store.lookup.fetch: one row by its id, or NotFound naming what is missing."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from workbench.errors import NotFound
from workbench.projects import project_records
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch
from workbench.store.tables import Project, PromptVersion, TestCase


def test_fetch_returns_the_row(engine: Engine) -> None:
    with session_scope(engine) as session:
        created = project_records.create_project(session, actor="ann", name="Service")
    with session_scope(engine) as session:
        assert fetch(session, Project, created.id).name == "Service"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (Project, "Project 999 does not exist."),
        (PromptVersion, "Version 999 does not exist."),
        (TestCase, "Test case 999 does not exist."),
    ],
)
def test_a_missing_row_is_named_as_people_call_it(engine: Engine, table: type, message: str) -> None:
    with session_scope(engine) as session, pytest.raises(NotFound) as missing:
        fetch(session, table, 999)
    assert str(missing.value) == message


def test_the_caller_can_word_the_message(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(NotFound, match="may have been deleted"):
        fetch(session, Project, 7, missing="Project 7 does not exist (it may have been deleted).")


def test_no_id_is_a_missing_row(engine: Engine) -> None:
    with session_scope(engine) as session, pytest.raises(NotFound, match="Project None does not exist"):
        fetch(session, Project, None)
