"""A full JSON backup of the workbench, and its restore into an empty database.

The backup holds every table (the audit log too) with every row and its id, plus the schema
revision it was made at. ``restore`` puts it back all or nothing:

- it refuses a backup made by a newer workbench (an unknown schema revision): upgrade first;
- it refuses a database that holds anything (restoring over data would mix two histories);
- it checks every row before writing any: known tables and columns, types, lengths, required
  values, unique ids, and that every reference points at a row of the backup, naming the
  table, row and field of each problem;
- it writes in one transaction, ids kept, in dependency order, then records ``import.backup``;
  on PostgreSQL it moves each id sequence past the restored ids.

A backup made at an older revision is restored at that revision (the empty database is
migrated down to it first) and then migrated to the current one, like any upgrade.

The file is JSON (``.json``), or gzip-compressed JSON when the name ends in ``.gz``; restore
reads both. No key is in it: the database holds none, and secret values are scrubbed anyway.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any

import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlmodel import SQLModel

from workbench import __version__
from workbench.errors import InvalidInput
from workbench.evals.table import Problems
from workbench.exports.backup_shapes import shape_problem
from workbench.exports.files import ExportFile, bulk, read_ahead, record_export, snapshot, stamp
from workbench.exports.key_scrub import Scrubber
from workbench.store import audit
from workbench.store.engine import alembic_config, current_revision, head_revision, make_engine, migrate

FORMAT = "prompt-workbench-backup"
FORMAT_VERSION = 1
BATCH = 5000
MIME = "application/json"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):  # a document's date
        return value.isoformat()
    return value


def _stamps(values: Sequence[Any]) -> list[Any]:
    return [_plain(v) for v in values]


# How SQLAlchemy stores a datetime in SQLite (UTC); _sqlite_stamps turns it into what _plain
# makes of the datetime SQLAlchemy would read back, without building the datetime.
SQLITE_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def _sqlite_stamps(values: Sequence[Any]) -> list[Any]:
    out: list[str | None] = []
    for raw in values:
        if raw is None:
            out.append(None)
        elif SQLITE_STAMP.fullmatch(raw):
            fraction = "" if raw.endswith(".000000") else raw[19:]
            out.append(f"{raw[:10]}T{raw[11:19]}{fraction}+00:00")
        else:  # written some other way: read it as SQLAlchemy would
            stamp = datetime.fromisoformat(raw)
            out.append(_plain(stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp))
    return out


def _sqlite_json(values: Sequence[Any]) -> list[Any]:
    """A batch's stored JSON texts parsed in one call (one C pass instead of a call per value)."""
    return json.loads("[" + ",".join("null" if raw is None else raw for raw in values) + "]")


def _table_reader(
    table: sa.Table, dialect: str
) -> tuple[sa.Select, dict[int, Callable[[Sequence[Any]], list[Any]]]]:
    """The query of a table's rows in primary-key order, and for some columns a function that
    turns a batch's values into what the backup holds. On SQLite datetimes and JSON are read
    as their stored text and converted a batch at a time, which is several times faster than
    SQLAlchemy's conversion value by value; elsewhere the driver's values are used."""
    selected: list[Any] = []
    convert: dict[int, Callable[[Sequence[Any]], list[Any]]] = {}
    for index, column in enumerate(table.columns):
        kind = _kind(column)
        if dialect == "sqlite" and isinstance(kind, sa.DateTime | sa.JSON):
            selected.append(sa.type_coerce(column, sa.String()).label(column.name))
            convert[index] = _sqlite_stamps if isinstance(kind, sa.DateTime) else _sqlite_json
        else:
            selected.append(column)
            if isinstance(kind, sa.DateTime | sa.Date):  # a date (a document's) as YYYY-MM-DD
                convert[index] = _stamps
    return sa.select(*selected).order_by(*table.primary_key.columns), convert


def _table_batches(engine: Engine) -> Generator[tuple[sa.Table, list[Any]], None, None]:
    """Every table's rows, a batch at a time (an empty batch for an empty table), in one read
    transaction, so the backup is one moment of the database."""
    with engine.connect() as conn, snapshot(conn):
        for table in SQLModel.metadata.sorted_tables:
            query, convert = _table_reader(table, conn.dialect.name)
            result = conn.execution_options(yield_per=BATCH).execute(query)
            yield table, []
            for rows in result.partitions():
                if not convert:
                    yield table, list(map(tuple, rows))
                    continue
                columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
                for index, change in convert.items():
                    columns[index] = change(columns[index])
                yield table, list(zip(*columns, strict=True))


def write_backup(engine: Engine, out: IO[bytes], *, actor: str, scrub: Scrubber) -> dict[str, int]:
    """The whole database as a backup (UTF-8 JSON) streamed into ``out`` a batch of rows at a
    time: byte for byte ``json.dumps(data, ensure_ascii=False, separators=(",", ":"))`` of
    every table's columns and rows (ordered by primary key) with the schema revision. The
    ``export.backup`` event is recorded first, so the backup holds its own export in its audit
    log. Returns the rows per table."""
    record_export(engine, actor=actor, fmt="backup", selection=None, counts={})
    scrub_json = scrub.for_json()

    def put(text: str) -> None:
        out.write(scrub_json(text).encode("utf-8"))

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": current_revision(engine),
        "app_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    put(dumps(header)[:-1] + ',"tables":{')
    counts: dict[str, int] = {}
    current: str | None = None
    with bulk():
        for table, rows in read_ahead(lambda: _table_batches(engine)):
            if table.name != current:
                closing = "]}," if current is not None else ""
                columns = [c.name for c in table.columns]
                put(f'{closing}{dumps(table.name)}:{{"columns":{dumps(columns)},"rows":[')
                current, counts[table.name] = table.name, 0
            if rows:
                put(("," if counts[table.name] else "") + dumps(rows)[1:-1])
                counts[table.name] += len(rows)
    put(("]}" if current is not None else "") + "}}")
    return counts


def export_backup(engine: Engine, *, actor: str, scrub: Scrubber, compress: bool = False) -> ExportFile:
    """``write_backup`` into memory as a named file (gzip-compressed when asked)."""
    buffer = io.BytesIO()
    counts = write_backup(engine, buffer, actor=actor, scrub=scrub)
    if compress:
        return ExportFile(
            f"workbench-backup-{stamp()}.json.gz",
            "application/gzip",
            gzip.compress(buffer.getvalue()),
            counts,
        )
    return ExportFile(f"workbench-backup-{stamp()}.json", MIME, buffer.getvalue(), counts)


# ---- restore ----------------------------------------------------------------------------------


def read_backup(data: bytes) -> dict[str, Any]:
    """Parse a backup file (JSON, or gzip-compressed JSON) and check its header."""
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        parsed = json.loads(data.decode("utf-8-sig"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"The file is not a workbench backup (not readable JSON: {exc}).", field="file"
        ) from None
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        raise InvalidInput(
            f"The file is not a workbench backup (its 'format' is not '{FORMAT}').", field="format"
        )
    version = parsed.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidInput(
            f"This backup uses format {version!r}; this workbench reads format {FORMAT_VERSION}. "
            "Upgrade the workbench to restore it.",
            field="format_version",
        )
    if not isinstance(parsed.get("tables"), dict):
        raise InvalidInput("The backup has no 'tables' object.", field="tables")
    return parsed


def _known_revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in script.walk_revisions()]


def _check_revision(revision: Any) -> str:
    """The backup's schema revision, when this workbench knows it."""
    if not isinstance(revision, str) or not revision:
        raise InvalidInput(
            "The backup does not say which schema revision it was made at.", field="schema_revision"
        )
    known = _known_revisions()
    if revision not in known:
        raise InvalidInput(
            f"This backup was made by a newer workbench (schema revision {revision!r}); this one "
            f"knows up to {head_revision()}. Upgrade the workbench, then restore it.",
            field="schema_revision",
        )
    return revision


def _occupied(engine: Engine, tables: Iterable[sa.Table]) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables
        }
    return {name: n for name, n in counts.items() if n}


def _kind(column: sa.Column) -> Any:
    """The column's SQL type, looking through decorators (``UTCDateTime`` is a ``DateTime``)."""
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.TypeDecorator) else kind


def _value_problem(column: sa.Column, value: Any) -> str | None:
    """Why ``value`` cannot go into ``column``, or None."""
    kind = _kind(column)
    if value is None:
        fine = column.nullable or isinstance(kind, sa.JSON) or column.primary_key
        return None if fine else "is empty, but this field is required"
    if isinstance(kind, sa.Boolean):
        return None if isinstance(value, bool) else f"must be true or false, not {value!r}"
    if isinstance(kind, sa.Integer):
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool)
            else f"must be a whole number, not {value!r}"
        )
    if isinstance(kind, sa.Float | sa.Numeric):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"must be a number, not {value!r}"
    if isinstance(kind, sa.DateTime):
        try:
            datetime.fromisoformat(str(value))
        except ValueError:
            return f"must be a date and time (ISO 8601), not {value!r}"
        return None
    if isinstance(kind, sa.Date):
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return f"must be a date (YYYY-MM-DD), not {value!r}"
        return None
    if isinstance(kind, sa.String):
        if not isinstance(value, str):
            return f"must be text, not {value!r}"
        if kind.length and len(value) > kind.length:
            return f"is {len(value)} characters long; at most {kind.length} fit"
    return None


def validate(tables: Mapping[str, sa.Table], backup: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Every row of the backup as a dict per table, or one InvalidInput naming each problem."""
    problems = Problems()
    given: dict[str, Any] = backup["tables"]
    for name in given:
        if name not in tables:
            problems.add(None, name, f"unknown table; this schema has {', '.join(sorted(tables))}.")
    rows: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, set[Any]] = {}
    for name, table in tables.items():
        part = given.get(name, {"columns": [c.name for c in table.columns], "rows": []})
        columns = part.get("columns") if isinstance(part, dict) else None
        if not isinstance(columns, list) or not isinstance(part.get("rows"), list):
            problems.add(None, name, "needs a 'columns' list and a 'rows' list.")
            continue
        expected = [c.name for c in table.columns]
        for extra in sorted(set(columns) - set(expected)):
            problems.add(None, f"{name}.{extra}", "unknown field in this schema.")
        for missing in sorted(set(expected) - set(columns)):
            problems.add(None, f"{name}.{missing}", "missing from the backup.")
        pk = [c.name for c in table.primary_key.columns]
        seen: set[Any] = set()
        found = []
        for number, values in enumerate(part["rows"], start=1):
            if not isinstance(values, list) or len(values) != len(columns):
                problems.add(
                    number,
                    name,
                    f"has {len(values) if isinstance(values, list) else 0} values for {len(columns)} fields.",
                )
                continue
            row = dict(zip(columns, values, strict=True))
            for column in table.columns:
                if column.name in row:
                    value = row[column.name]
                    why = _value_problem(column, value) or shape_problem(name, column.name, value, row)
                    if why:
                        problems.add(number, f"{name}.{column.name}", why)
            key = tuple(row.get(k) for k in pk)
            if key in seen:
                problems.add(
                    number, f"{name}.{','.join(pk)}", f"id {key if len(key) > 1 else key[0]!r} appears twice."
                )
            seen.add(key)
            found.append(row)
        rows[name] = found
        if len(pk) == 1:
            keys[name] = {row.get(pk[0]) for row in found}
    for name, table in tables.items():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            field = fk.parent.name
            for number, row in enumerate(rows.get(name, []), start=1):
                value = row.get(field)
                if value is not None and value not in keys.get(target, set()):
                    problems.add(
                        number,
                        f"{name}.{field}",
                        f"points at {target} {value!r}, which is not in the backup.",
                    )
    problems.raise_if_any("Nothing was restored")
    return rows


def _bind(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        value = row.get(column.name)
        if value is not None and isinstance(_kind(column), sa.DateTime):
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
        elif value is not None and isinstance(_kind(column), sa.Date):
            value = date.fromisoformat(value)
        out[column.name] = value
    return out


def _reset_sequences(conn: sa.Connection, tables: Iterable[sa.Table]) -> None:
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and not pk[0].foreign_keys:
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{pk[0].name}'), "
                    f'COALESCE(MAX("{pk[0].name}"), 1), MAX("{pk[0].name}") IS NOT NULL) FROM "{table.name}"'
                )
            )


def _tables_at(engine: Engine, revision: str) -> dict[str, sa.Table]:
    """The tables at ``revision``: the models' at head, else ``engine``'s schema migrated to it."""
    if revision == head_revision():
        return {t.name: t for t in SQLModel.metadata.sorted_tables}
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    reflected = sa.MetaData()
    reflected.reflect(engine)
    return {t.name: t for t in reflected.sorted_tables if t.name != "alembic_version"}


def check(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """Every check a restore makes on the file itself (format, revision, every row), without
    touching any database: an older revision's schema is built in memory. The CLI calls it
    before it opens (and so creates) the target database; returns the rows per table."""
    backup = read_backup(data)
    revision = _check_revision(backup.get("schema_revision"))
    scratch = make_engine("sqlite://")
    try:
        if revision != head_revision():
            migrate(scratch, revision)
        return validate(_tables_at(scratch, revision), backup)
    finally:
        scratch.dispose()


def restore(engine: Engine, data: bytes, *, actor: str) -> dict[str, int]:
    """Restore a backup into this (empty) database; returns the rows restored per table.

    It takes the engine and runs its own transactions on purpose: the schema is first taken to
    the backup's revision and brought back to head afterwards (Alembic, one transaction per
    migration), with the rows loaded in between, so no caller's transaction could span it."""
    backup = read_backup(data)
    revision = _check_revision(backup.get("schema_revision"))
    current = {t.name: t for t in SQLModel.metadata.sorted_tables}
    busy = _occupied(engine, current.values())
    if busy:
        listed = ", ".join(f"{name} ({n} rows)" for name, n in sorted(busy.items()))
        raise InvalidInput(
            f"This database is not empty ({listed}), and a backup is only restored into an empty one "
            "so two histories never mix. Point WORKBENCH_DATABASE_URL (or --database) at a new "
            "database and import again."
        )
    tables = _tables_at(engine, revision)
    try:
        rows = validate(tables, backup)
        with engine.begin() as conn:
            for name, table in tables.items():
                found = rows.get(name, [])
                for start in range(0, len(found), BATCH):
                    conn.execute(table.insert(), [_bind(table, r) for r in found[start : start + BATCH]])
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables.values())
    except sa.exc.DBAPIError as exc:
        raise InvalidInput(f"Nothing was restored: the database refused a row ({exc.orig}).") from None
    finally:
        if revision != head_revision():
            migrate(engine)  # back to the current schema, restored or not
    counts = {name: len(found) for name, found in rows.items()}
    audit.record_now(
        engine,
        actor=actor,
        action="import.backup",
        entity_type="database",
        after={"schema_revision": revision, "rows": sum(counts.values()), "tables": counts},
    )
    return counts
