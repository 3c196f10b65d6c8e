"""The audit log: append-only in the database on both backends, searchable, exportable."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import migrate, session_scope
from workbench.store.tables import utcnow


def _one_event(engine) -> int:
    with session_scope(engine) as session:
        event = audit.record(session, actor="dana", action="project.update", before={"a": 1}, after={"a": 2})
        session.flush()
        return event.id  # type: ignore[return-value]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'mallory' WHERE id = :id",
        "UPDATE audit_event SET after = NULL",
        "DELETE FROM audit_event WHERE id = :id",
        "DELETE FROM audit_event",
    ],
)
def test_the_database_refuses_to_change_or_delete_audit_rows(storage_engine, statement: str) -> None:
    event_id = _one_event(storage_engine)
    with pytest.raises(DBAPIError, match="append-only"), storage_engine.begin() as conn:
        conn.execute(text(statement), {"id": event_id} if ":id" in statement else {})
    with storage_engine.connect() as conn:
        assert conn.execute(text("SELECT actor FROM audit_event")).scalars().all() == ["dana"]


def test_postgresql_refuses_truncate_too(storage_engine) -> None:
    if storage_engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is a PostgreSQL statement (SQLite's DELETE is covered above)")
    _one_event(storage_engine)
    with pytest.raises(DBAPIError, match="append-only"), storage_engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))


def test_appending_still_works_and_downgrade_removes_the_guard(storage_engine) -> None:
    _one_event(storage_engine)
    _one_event(storage_engine)
    migrate_down(storage_engine)
    with storage_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
    migrate(storage_engine)


def migrate_down(engine) -> None:
    from alembic import command

    from workbench.store.engine import alembic_config

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")


def test_a_label_move_leaves_an_audit_trail_with_before_and_after(seeded_engine) -> None:
    project = project_records.find_project(seeded_engine, "Customer service replies")
    prompt = versions.list_prompts(seeded_engine, project.id)[0]  # type: ignore[union-attr]
    v1, v2 = sorted(versions.list_versions(seeded_engine, prompt.id), key=lambda v: v.number)[:2]  # type: ignore[arg-type]
    with session_scope(seeded_engine) as session:
        versions.set_label(session, version_id=v1.id, name="production", actor="lee", note="hotfix")  # type: ignore[arg-type]
    (event,) = audit.search(seeded_engine, actions=["label.move"], actor="lee")
    assert event.project_id == project.id  # type: ignore[union-attr]
    before, after = event.before or {}, event.after or {}
    caller = "the caller chooses"  # the seeded labels have no model
    assert before == {
        "label": "production",
        "version_id": v2.id,
        "version_number": 2,
        "release_id": before["release_id"],
        "model": caller,
        "settings": {"temperature": 0.3, "max_tokens": 300},
    }
    assert after == {
        "label": "production",
        "version_id": v1.id,
        "version_number": 1,
        "release_id": after["release_id"],
        "model": caller,
        "settings": {"temperature": 0.7, "max_tokens": 300},
    }
    assert before["release_id"] != after["release_id"]
    assert event.detail == "hotfix"


def test_search_filters_by_project_actor_action_dates_and_text(engine) -> None:
    with session_scope(engine) as session:
        one = project_records.create_project(session, actor="dana", name="One")
        two = project_records.create_project(session, actor="lee", name="Two")
        project_records.update_project(session, one.id, actor="lee", purpose="Answer refund questions")  # type: ignore[arg-type]
        audit.record(session, actor="admin", action="settings.signin", after={"enabled": True})

    assert [e.project_id for e in audit.search(engine, project_ids=[two.id], include_workspace=False)] == [
        two.id
    ]
    assert {e.action for e in audit.search(engine, project_ids=[two.id])} == {
        "project.create",
        "settings.signin",
    }
    assert {e.action for e in audit.search(engine, actor="lee")} == {"project.create", "project.update"}
    assert [e.actor for e in audit.search(engine, actions=["project.update"])] == ["lee"]
    assert [e.action for e in audit.search(engine, text="REFUND")] == ["project.update"]
    assert audit.search(engine, since=utcnow() + timedelta(minutes=1)) == []
    assert len(audit.search(engine, until=utcnow() + timedelta(minutes=1))) == 4
    assert "settings.signin" in audit.known_actions(engine)
    assert audit.actors(engine) == ["admin", "dana", "lee"]


def test_csv_export_has_one_row_per_event_with_before_and_after(engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="dana", name="Ünïcode project")
        project_records.update_project(session, project.id, actor="dana", sensitivity="restricted")  # type: ignore[arg-type]
    events = audit.search(engine)
    rows = list(csv.DictReader(io.StringIO(audit.to_csv(events, {project.id: project.name}))))  # type: ignore[dict-item]
    assert [r["action"] for r in rows] == ["project.update", "project.create"]
    assert rows[0]["project"] == "Ünïcode project"
    assert rows[0]["before"] == '{"sensitivity": "internal"}'
    assert rows[0]["after"] == '{"sensitivity": "restricted"}'
