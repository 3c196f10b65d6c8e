"""Schema migrations: the migrated schema is exactly the models, and upgrades keep every row.

The row-keeping test fills every table that exists at the *first* revision (values generated
from the reflected column types, foreign keys pointing at real rows), upgrades to head, and
compares every row and column that existed before. It stays valid as migrations are added.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from workbench.store.engine import alembic_config, current_revision, head_revision, make_engine, migrate


def first_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    return revisions[-1].revision


# The full-text index over passages is the backend's own engine, created by migration
# 0004_documents outside the SQLModel metadata: on SQLite an FTS5 virtual table, whose shadow
# tables (passage_fts_data, _idx, _docsize, _config) reflect as ordinary tables; on PostgreSQL a
# generated tsvector column (passage.search_vector) and its GIN index (ix_passage_search), which
# the database fills itself and no code writes.
FULL_TEXT_TABLES = "passage_fts"
FULL_TEXT_INDEX = "ix_passage_search"
FULL_TEXT_COLUMN = "search_vector"


def _schema_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if not reflected:
        return True
    if type_ == "table" and (name or "").startswith(FULL_TEXT_TABLES):
        return False
    return not (
        (type_ == "index" and name == FULL_TEXT_INDEX) or (type_ == "column" and name == FULL_TEXT_COLUMN)
    )


def test_migrated_schema_equals_models(storage_url: str) -> None:
    engine = make_engine(storage_url)
    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True, "include_object": _schema_object},
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, "more than one Alembic head: chain the new migration"


def _value(column: sa.Column, table: str, row: int, parent_ids: dict[str, list[Any]]) -> Any:
    for fk in column.foreign_keys:
        target = fk.column.table.name
        ids = parent_ids.get(target, [])
        if target == table:  # self-reference: point at the previous row
            return ids[row - 1] if row > 0 and ids else None
        return ids[row % len(ids)] if ids else None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return row % 2 == 0
    if isinstance(kind, sa.Integer):
        return 100 + row
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return 1.25 + row
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1 + row, 12, 0, tzinfo=UTC)
    if isinstance(kind, sa.JSON):
        return {"row": row, "items": [1, 2, "three"], "text": "ünïcode"}
    if isinstance(kind, (sa.String, sa.Text)):
        length = getattr(kind, "length", None) or 60
        return f"{table}.{column.name}.{row}"[-length:]
    raise AssertionError(f"no test value for {table}.{column.name} of type {kind!r}")


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def test_upgrade_from_first_revision_keeps_every_row(storage_url: str) -> None:
    engine = make_engine(storage_url)
    migrate(engine, first_revision())
    assert current_revision(engine) == first_revision()

    old = sa.MetaData()
    old.reflect(engine)
    tables = [t for t in old.sorted_tables if t.name != "alembic_version"]
    assert len(tables) >= 15, "every table of the first revision should be filled"
    parent_ids: dict[str, list[Any]] = {}
    before: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as conn:
        for table in tables:
            pk = [c for c in table.primary_key.columns]
            autoinc = len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and not pk[0].foreign_keys
            for row in range(3):
                values = {
                    c.name: _value(c, table.name, row, parent_ids)
                    for c in table.columns
                    if not (autoinc and c.primary_key)
                }
                result = conn.execute(table.insert().values(**values))
                key = result.inserted_primary_key[0] if autoinc else values[pk[0].name]
                parent_ids.setdefault(table.name, []).append(key)
            before[table.name] = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(*pk))]

    migrate(engine)
    assert current_revision(engine) == head_revision()

    new = sa.MetaData()
    new.reflect(engine)
    with engine.connect() as conn:
        for name, rows in before.items():
            assert name in new.tables, f"table {name} disappeared on upgrade"
            table = new.tables[name]
            pk = list(table.primary_key.columns)
            after = [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(*pk))]
            assert len(after) == len(rows), f"{name}: {len(rows)} rows before, {len(after)} after"
            for old_row, new_row in zip(rows, after, strict=True):
                for column, value in old_row.items():
                    assert _normalise(new_row[column]) == _normalise(value), f"{name}.{column} changed"
    engine.dispose()


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    """Opening a current database skips Alembic by reading the head from the migration files;
    that reading must agree with Alembic's own."""
    from workbench.store.engine import head_from_files

    assert head_from_files() == head_revision()


def test_a_current_database_opens_without_alembic(tmp_path: Any) -> None:
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    migrate(make_engine(url))
    code = (
        "import sys\n"
        "from workbench.store.engine import open_database\n"
        f"open_database({url!r})\n"
        "assert 'alembic' not in sys.modules, 'alembic imported for a current database'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
