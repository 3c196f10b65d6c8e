"""Unsaved work per person: kept, replaced, read back by key or prefix, private, discarded."""

from __future__ import annotations

from sqlalchemy import Engine

from workbench.store import personal_drafts
from workbench.store.engine import session_scope


def test_kept_work_is_read_back_and_replaced(storage_engine: Engine) -> None:
    with session_scope(storage_engine) as session:
        personal_drafts.keep(session, "dana", "draft/prompt/1", {"user": "Hello {{ name }}"})
    assert personal_drafts.read(storage_engine, "dana", "draft/prompt/1") == {"user": "Hello {{ name }}"}
    with session_scope(storage_engine) as session:
        personal_drafts.keep(session, "dana", "draft/prompt/1", {"user": "Hi"})
    assert personal_drafts.read(storage_engine, "dana", "draft/prompt/1") == {"user": "Hi"}


def test_work_is_private_to_its_owner(storage_engine: Engine) -> None:
    with session_scope(storage_engine) as session:
        personal_drafts.keep(session, "dana", "compare", {"models": [1, 2]})
        personal_drafts.keep(session, "sam", "compare", {"models": [3]})
    assert personal_drafts.read(storage_engine, "dana", "compare") == {"models": [1, 2]}
    assert personal_drafts.read(storage_engine, "sam", "compare") == {"models": [3]}
    assert personal_drafts.read(storage_engine, "", "compare") is None


def test_records_are_read_by_prefix_and_discarded(storage_engine: Engine) -> None:
    with session_scope(storage_engine) as session:
        personal_drafts.keep(session, "dana", "draft/prompt/1", {"user": "a"})
        personal_drafts.keep(session, "dana", "draft/new", {"user": "b"})
        personal_drafts.keep(session, "dana", "compare", {})
    assert set(personal_drafts.read_prefix(storage_engine, "dana", "draft/")) == {
        "draft/prompt/1",
        "draft/new",
    }
    with session_scope(storage_engine) as session:
        personal_drafts.discard(session, "dana", "draft/new")
    assert personal_drafts.read(storage_engine, "dana", "draft/new") is None
    assert personal_drafts.read(storage_engine, "dana", "draft/prompt/1") == {"user": "a"}
