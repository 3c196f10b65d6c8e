"""The full JSON backup: a round trip to an identical database (SQLite and PostgreSQL, both
ways), and a restore that refuses newer schemas, non-empty databases and bad rows, all or nothing."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import SQLModel

from tests.conftest import sqlite_url
from tests.library_support import add_evaluation, demo
from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput
from workbench.exports import backup
from workbench.exports.key_scrub import Scrubber
from workbench.governance import access
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import current_revision, head_revision, open_database, session_scope


@pytest.fixture
def empty(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A migrated, empty database next to ``seeded_engine``'s (whose file is workbench.db)."""
    eng = open_database(sqlite_url(tmp_path / "empty.db"))
    yield eng
    eng.dispose()


def fill(engine: Engine) -> None:
    """The demo plus rows in the tables the demo leaves empty (evaluations, memberships)."""
    seed_demo(engine)
    ids = demo(engine)
    add_evaluation(engine, ids.hr)
    with session_scope(engine) as session:
        access.set_member(
            session, actor="t", project_id=ids.hr_project, email="ana@example.com", role="editor"
        )
        versions.set_label(
            session, version_id=versions.list_versions(engine, ids.hr)[-1].id, name="staging", actor="t"
        )  # type: ignore[arg-type]


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, ordered by primary key, with times in UTC."""
    with engine.connect() as conn:
        return {
            table.name: [
                {k: _normal(v) for k, v in row._mapping.items()}
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


def round_trip(source: Engine, target: Engine) -> None:
    made = backup.export_backup(source, actor="Ann", scrub=Scrubber())
    before = snapshot(source)
    counts = backup.restore(target, made.data, actor="Bob")
    after = snapshot(target)
    restored_import = after["audit_event"].pop()  # the restore's own event comes last
    assert restored_import["action"] == "import.backup" and restored_import["actor"] == "Bob"
    assert restored_import["after"]["tables"] == counts
    for name in before:
        assert after[name] == before[name], f"table {name} differs after the round trip"
    assert sum(len(rows) for rows in before.values()) > 200
    assert all(
        before[t]
        for t in ("evaluation", "assertion_result", "membership", "pairwise_preference", "label_move")
    )
    assert before["audit_event"][-1]["action"] == "export.backup"  # the backup holds its own export


def still_writable(engine: Engine) -> None:
    """New rows get fresh ids after a restore (PostgreSQL sequences moved past restored ids)."""
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="After restore")
        prompt = versions.create_prompt(session, project_id=project.id, name="New", actor="t")  # type: ignore[arg-type]
        versions.save_version(
            session, prompt_id=prompt.id, system_template="", user_template="Hi", author="t"
        )  # type: ignore[arg-type]
    audit.record_now(engine, actor="t", action="test.after")


def test_round_trip_into_each_backend(storage_url: str, tmp_path: Path) -> None:
    source = open_database(sqlite_url(tmp_path / "source.db"))
    fill(source)
    target = open_database(storage_url)
    round_trip(source, target)
    still_writable(target)
    source.dispose()
    target.dispose()


def test_round_trip_out_of_each_backend(storage_url: str, tmp_path: Path) -> None:
    source = open_database(storage_url)
    fill(source)
    target = open_database(sqlite_url(tmp_path / "target.db"))
    round_trip(source, target)
    still_writable(target)
    source.dispose()
    target.dispose()


def test_compressed_backup_restores(seeded_engine: Engine, empty: Engine) -> None:
    made = backup.export_backup(seeded_engine, actor="Ann", scrub=Scrubber(), compress=True)
    assert (
        made.filename.endswith(".json.gz")
        and json.loads(gzip.decompress(made.data))["format"] == backup.FORMAT
    )
    assert backup.restore(empty, made.data, actor="Bob")["prompt_version"] == 5


def test_refuses_a_database_that_holds_anything(seeded_engine: Engine) -> None:
    made = backup.export_backup(seeded_engine, actor="Ann", scrub=Scrubber())
    before = snapshot(seeded_engine)
    with pytest.raises(InvalidInput, match=r"not empty \(app_setting \(2 rows\), audit_event"):
        backup.restore(seeded_engine, made.data, actor="Bob")
    assert snapshot(seeded_engine) == before


def test_refuses_a_backup_from_a_newer_schema(seeded_engine: Engine, empty: Engine) -> None:
    data = json.loads(backup.export_backup(seeded_engine, actor="Ann", scrub=Scrubber()).data)
    data["schema_revision"] = "0099_from_the_future"
    with pytest.raises(InvalidInput, match=r"newer workbench .*0099_from_the_future.*Upgrade") as refused:
        backup.restore(empty, json.dumps(data).encode(), actor="Bob")
    assert refused.value.field == "schema_revision"
    data["format_version"] = backup.FORMAT_VERSION + 1
    with pytest.raises(InvalidInput, match="format"):
        backup.restore(empty, json.dumps(data).encode(), actor="Bob")
    assert all(not rows for rows in snapshot(empty).values())


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (
            lambda t: t["prompt"]["rows"][0].__setitem__(1, 999),
            "Row 1, column 'prompt.project_id': points at project 999",
        ),
        (
            lambda t: t["output"]["rows"][2].__setitem__(0, "x"),
            "Row 3, column 'output.id': must be a whole number",
        ),
        (lambda t: t["project"]["rows"][1].__setitem__(1, None), "Row 2, column 'project.name': is empty"),
        (
            lambda t: t["project"]["rows"].append(list(t["project"]["rows"][0])),
            "Row 3, column 'project.id': id 1 appears twice",
        ),
        (lambda t: t["rating"]["columns"].append("secret"), "column 'rating.secret': unknown field"),
        (lambda t: t.__setitem__("extra", {"columns": [], "rows": []}), "column 'extra': unknown table"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(
    seeded_engine: Engine, empty: Engine, damage, where: str
) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(backup.export_backup(seeded_engine, actor="Ann", scrub=Scrubber()).data)
    damage(data["tables"])
    with pytest.raises(InvalidInput, match="Nothing was restored") as refused:
        backup.restore(empty, json.dumps(data).encode(), actor="Bob")
    assert where in str(refused.value)
    assert all(not rows for rows in snapshot(empty).values())


def test_a_row_the_database_refuses_leaves_it_empty(seeded_engine: Engine, empty: Engine) -> None:
    data = json.loads(backup.export_backup(seeded_engine, actor="Ann", scrub=Scrubber()).data)
    prompts = data["tables"]["prompt"]
    columns = prompts["columns"]
    twin = list(prompts["rows"][0])
    twin[columns.index("id")] = 77  # a new id, but the same project and name: a unique constraint
    prompts["rows"].append(twin)
    with pytest.raises(InvalidInput, match="Nothing was restored: the database refused a row"):
        backup.restore(empty, json.dumps(data).encode(), actor="Bob")
    assert all(not rows for rows in snapshot(empty).values())


def test_a_backup_of_an_older_schema_is_restored_then_migrated(seeded_engine: Engine, empty: Engine) -> None:
    data = json.loads(backup.export_backup(seeded_engine, actor="Ann", scrub=Scrubber()).data)
    data["schema_revision"] = "0001"  # made before the audit log became append-only
    data["tables"].pop("model_call")  # and before model calls outside runs were recorded
    for table in ("optimization", "optimization_candidate", "optimization_result", "workbench_admin"):
        data["tables"].pop(table)  # and before "Improve on the bench" runs and workbench admins,
    for table in ("release", "served_answer", "generation_candidate", "passage", "document"):
        data["tables"].pop(table)  # releases and documents,
    for table, columns in (  # trust in endpoint keys, owners of running work, releases, passages
        ("endpoint", {"key_confirmed_for"}),
        ("run", {"owner"}),
        ("evaluation", {"owner"}),
        ("label", {"release_id"}),
        ("label_move", {"from_release_id", "to_release_id", "kind"}),
        ("output", {"passages"}),
    ):
        keep = [i for i, name in enumerate(data["tables"][table]["columns"]) if name not in columns]
        data["tables"][table]["columns"] = [data["tables"][table]["columns"][i] for i in keep]
        data["tables"][table]["rows"] = [[row[i] for i in keep] for row in data["tables"][table]["rows"]]
    data["tables"].pop("personal_draft")  # and before unsaved work was kept per person
    counts = backup.restore(empty, json.dumps(data).encode(), actor="Bob")
    assert counts["output"] == 24 and current_revision(empty) == head_revision()
    assert len(versions.labels_for_prompt(empty, 1)) == 2  # the labels became releases on the way
    with pytest.raises(sa.exc.DBAPIError), empty.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event"))  # the guard triggers are back


def test_not_a_backup_is_refused(empty: Engine) -> None:
    for data, field in ((b"\x00\x01", "file"), (b'{"format": "other"}', "format"), (b"[]", "format")):
        with pytest.raises(InvalidInput) as refused:
            backup.restore(empty, data, actor="Bob")
        assert refused.value.field == field


def test_the_file_is_compact_json_of_every_row_as_the_database_holds_it(storage_engine: Engine) -> None:
    fill(storage_engine)
    table = SQLModel.metadata.tables["output"]
    with storage_engine.begin() as conn:
        first, second = conn.execute(sa.select(table.c.id).order_by(table.c.id).limit(2)).scalars()
        moments = {
            first: datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC),
            second: datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC),
        }
        for output_id, moment in moments.items():
            conn.execute(
                table.update()
                .where(table.c.id == output_id)
                .values(created_at=moment, variables={"question": "Zwölf Tage «frei»?", "n": 1.5})
            )
    made = backup.export_backup(storage_engine, actor="Ann", scrub=Scrubber())
    data = json.loads(made.data)
    assert made.data == json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    plain = {
        name: [[v.isoformat() if isinstance(v, datetime | date) else v for v in row.values()] for row in rows]
        for name, rows in snapshot(storage_engine).items()
    }
    assert {name: part["rows"] for name, part in data["tables"].items()} == plain
    assert made.counts == {name: len(rows) for name, rows in plain.items()}
    rows = {
        row[0]: dict(zip(data["tables"]["output"]["columns"], row, strict=True)) for row in plain["output"]
    }
    assert rows[first]["created_at"] == "2026-05-01T12:00:00.123456+00:00"
    assert rows[second]["created_at"] == "2026-05-01T12:00:01+00:00"
    assert '"Zwölf Tage «frei»?"' in made.data.decode("utf-8")  # as itself, not \u-escaped


def test_a_time_stored_in_another_shape_reads_as_sqlalchemy_would_read_it() -> None:
    stored = ("2026-05-01 12:00:00.000000", "2026-05-01 12:00:00", "2026-05-01T12:00:00.5+02:00", None)
    assert backup._sqlite_stamps(stored) == [
        "2026-05-01T12:00:00+00:00",
        "2026-05-01T12:00:00+00:00",
        "2026-05-01T10:00:00.500000+00:00",
        None,
    ]
