from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from workbench.config import load_settings
from workbench.errors import ConfigError
from workbench.store.engine import make_engine, open_database, session_scope
from workbench.store.tables import Prompt


def test_sqlite_connections_get_wal_busy_timeout_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_foreign_keys_are_enforced(storage_engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(storage_engine) as session:
        session.add(Prompt(project_id=999, name="orphan"))


def test_failed_transaction_writes_nothing(storage_engine: Engine) -> None:
    from workbench.store.tables import Project

    with pytest.raises(RuntimeError), session_scope(storage_engine) as session:
        session.add(Project(name="half-done"))
        session.flush()
        raise RuntimeError("boom")
    with session_scope(storage_engine) as session:
        assert session.execute(text("select count(*) from project")).scalar() == 0


def test_default_database_is_sqlite_under_data(tmp_path: Path) -> None:
    settings = load_settings({"WORKBENCH_HOME": str(tmp_path / "home")})
    assert settings.database_url == f"sqlite:///{tmp_path / 'home' / 'workbench.db'}"
    assert load_settings({"WORKBENCH_DATABASE_URL": "postgresql+psycopg://u@h/db"}).database_url.startswith(
        "postgresql"
    )


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    eng = open_database(f"sqlite:///{tmp_path / 'a' / 'b' / 'w.db'}")
    assert (tmp_path / "a" / "b" / "w.db").exists()
    eng.dispose()


def test_bad_database_url_gets_a_clear_message() -> None:
    with pytest.raises(ConfigError, match="not a valid database URL"):
        make_engine("not a url at all")


def test_unreachable_server_gets_a_clear_message() -> None:
    with pytest.raises(ConfigError, match="Could not open or migrate the database"):
        open_database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_plain_postgresql_url_uses_psycopg3() -> None:
    eng = make_engine("postgresql://u@127.0.0.1:1/db")
    assert eng.url.drivername == "postgresql+psycopg"
