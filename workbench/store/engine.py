"""Engine, sessions and migrate-on-open.

SQLite is the embedded default; any SQLAlchemy URL works (PostgreSQL through psycopg 3). On
SQLite every connection gets WAL (readers never block the writer), a busy timeout (concurrent
writers wait instead of failing) and foreign keys (off by default in SQLite).

Opening a database whose schema is already current does not import Alembic (a quarter of a
second of every command's start-up): the head revision is read from the migration files'
``revision``/``down_revision`` lines and compared with the ``alembic_version`` row. Alembic runs
only when there is something to migrate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session

from workbench.errors import ConfigError

# Imported for their side effects: every table on SQLModel.metadata, and the listener that
# cleans every row's text before it is written (store.storable_text).
from workbench.store import release_tables, storable_text, tables  # noqa: F401

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine.interfaces import DBAPIConnection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; a SQLite file's folder is created when missing."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"WORKBENCH_DATABASE_URL is not a valid database URL ({exc}). "
            "Use e.g. sqlite:///data/workbench.db or postgresql+psycopg://user@host/db."
        ) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain "postgresql://" would pick psycopg2, which we do not ship.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True)


def database_exists(url: str) -> bool:
    """Whether opening ``url`` would find a database rather than create one: a SQLite file that
    is there (or in memory), or any server database (the server creates none on connect)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    database = parsed.database or ""
    return not database or database == ":memory:" or Path(database).expanduser().exists()


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None
    return head


_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"', re.M)
_DOWN = re.compile(r'^down_revision(?:: [^=]+)? = (?:"([^"]+)"|None)', re.M)


@cache
def head_from_files() -> str | None:
    """The head revision read from the migration files without Alembic (``None`` when the
    files do not form one line, e.g. two heads: then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN.search(source)
        if found is None or down is None:
            return None
        revisions.add(found.group(1))
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revision(engine: Engine) -> str | None:
    """The ``alembic_version`` row, read with plain SQL (``None`` for an empty database)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _foreign_keys(conn: Connection, *, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement (it only changes outside a transaction).

    A migration that changes a column on SQLite rebuilds the table (copy, drop, rename); with
    enforcement on, dropping a table that other rows reference fails. SQLite's own procedure
    for schema changes is to switch it off around them and check the references afterwards."""
    conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    conn.commit()


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = ", ".join(sorted({str(row[0]) for row in broken}))
        raise ConfigError(
            f"The migration left {len(broken)} rows pointing at rows that do not exist (in {tables}); "
            "nothing was changed. Report this with the database's backup."
        )


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``. Each migration runs in its own transaction."""
    from alembic import command

    cfg = alembic_config(engine)
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                _foreign_keys(conn, on=False)
            try:
                with conn.begin():
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                    if sqlite:
                        _check_foreign_keys(conn)
            finally:
                if sqlite:
                    _foreign_keys(conn, on=True)
    except OperationalError as exc:
        raise ConfigError(
            f"Could not open or migrate the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}. Check WORKBENCH_DATABASE_URL and that the server is running."
        ) from None


def database_url(override: str | None = None) -> str:
    """The database to use: ``override`` (a ``--database`` option, an argument), else the
    settings' (``WORKBENCH_DATABASE_URL``, else ``./data/workbench.db`` under ``WORKBENCH_HOME``).
    The CLI, the app and ``workbench.get_prompt`` all resolve it here."""
    from workbench.config import load_settings

    return override or load_settings().database_url


def open_database(url: str) -> Engine:
    """Engine for ``url`` with the schema migrated to head: the one way the app opens storage."""
    engine = make_engine(url)
    head = head_from_files()
    if head is None or stored_revision(engine) != head:
        migrate(engine)
    return engine


@lru_cache(maxsize=8)
def shared_database(url: str) -> Engine:
    """``open_database(url)`` once per process: what applications use through
    ``workbench.get_prompt`` and the monitor, so a thousand calls share one pool."""
    return open_database(url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: commits on success, rolls back on any exception.

    The session rule: core functions that write take a ``Session`` and never commit; the edge
    (a page or ui helper, the CLI, the demo seeder, a test, a benchmark) opens the transaction
    here, so several writes of one user action land together or not at all::

        with session_scope(engine) as session:
            version = versions.save_version(session, prompt_id=..., ...)

    Functions that only read may take the engine and open their own short scope. In a page,
    call ``st.rerun()``/``st.stop()`` after the block: they raise, and the block would roll back.

    ``expire_on_commit=False`` keeps returned objects readable after the block, which is what
    callers want from plain data objects; they must not be carried across Streamlit reruns.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
