"""Shared fixtures: temp databases (SQLite, and PostgreSQL when available), the fake provider
server, and AppTest on a temp database.

Databases are migrated once a session and copied per test: copying a migrated SQLite file takes
milliseconds where migrating a fresh one takes a few hundred (seconds on a busy machine), and on
PostgreSQL ``CREATE DATABASE ... TEMPLATE`` copies a migrated database the same way.

- ``engine``: a migrated, empty SQLite database in a temp folder (a copy of the template).
- ``storage_engine``: the same on SQLite, and again on PostgreSQL when
  ``WORKBENCH_TEST_POSTGRES_URL`` is set (``make test`` starts a throwaway server).
- ``storage_url``: an empty, *unmigrated* database on each backend (for migration tests).
- ``seeded_engine``: a copy of a database seeded with the demo content (seeded once a session).
- ``fake_server``: the local OpenAI/Anthropic wire-protocol server, reset for every test.
- ``app``: an ``AppTest`` of the router (``workbench/ui/app.py``) on its own seeded temp database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.fakes.server import FakeLLMServer
from workbench.demo.seed import seed_demo
from workbench.store.engine import make_engine, open_database
from workbench.ui.shell.nav import APP_SCRIPT, PROJECT_ROOT

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("WORKBENCH_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: fast feedback first, and Playwright's event loop starts after the rest."""
    items.sort(key=lambda item: "/e2e/" in str(item.fspath).replace("\\", "/"))


def page_path(page: str) -> str:
    """A page named from the project root (``"pages/x.py"``) as ``AppTest.switch_page`` wants
    it: relative to the main script, which lives in ``workbench/ui/``."""
    return os.path.relpath(PROJECT_ROOT / page, APP_SCRIPT.parent)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _close_sqlite(eng: Engine) -> None:
    """Fold the write-ahead log into the file and close it, so the file alone is the database."""
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    eng.dispose()


def copy_sqlite(template: Path, target: Path) -> Engine:
    """An engine on a private copy of a migrated SQLite file (no migration needed)."""
    shutil.copy(template, target)
    return make_engine(sqlite_url(target))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file migrated to head, once a session; tests get copies of it."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    _close_sqlite(open_database(sqlite_url(path)))
    return path


@pytest.fixture
def engine(migrated_template: Path, tmp_path: Path) -> Iterator[Engine]:
    eng = copy_sqlite(migrated_template, tmp_path / "workbench.db")
    yield eng
    eng.dispose()


def _postgres_admin() -> Engine:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL leg: set WORKBENCH_TEST_POSTGRES_URL (make test does) to run it")
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@contextmanager
def _postgres_database(admin: Engine, template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (empty, or a copy of ``template``) as a URL; dropped afterwards."""
    name = f"wb_test_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    admin = _postgres_admin()
    with _postgres_database(admin) as url:
        yield url
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated to head, once a session. Nothing stays
    connected to it, as ``CREATE DATABASE ... TEMPLATE`` requires."""
    admin = _postgres_admin()
    with _postgres_database(admin) as url:
        open_database(url).dispose()
        yield make_url(url).database or ""
    admin.dispose()


def _backends() -> list:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=_backends())
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL on each backend (not yet migrated)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "storage.db")
    return request.getfixturevalue("postgres_database")


@pytest.fixture(params=_backends())
def storage_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database on each backend: a copy of the session's template."""
    if request.param == "sqlite":
        eng = copy_sqlite(request.getfixturevalue("migrated_template"), tmp_path / "storage.db")
        yield eng
        eng.dispose()
        return
    template = request.getfixturevalue("postgres_template")
    admin = _postgres_admin()
    with _postgres_database(admin, template) as url:
        eng = make_engine(url)
        yield eng
        eng.dispose()
    admin.dispose()


@pytest.fixture(scope="session")
def seeded_template(migrated_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seeded.db"
    eng = copy_sqlite(migrated_template, path)
    seed_demo(eng)
    _close_sqlite(eng)
    return path


@pytest.fixture
def seeded_db(seeded_template: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded database file."""
    target = tmp_path / "workbench.db"
    shutil.copy(seeded_template, target)
    return target


@pytest.fixture
def seeded_engine(seeded_db: Path) -> Iterator[Engine]:
    eng = make_engine(sqlite_url(seeded_db))
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def _fake_server_session() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def fake_server(_fake_server_session: FakeLLMServer) -> Iterator[FakeLLMServer]:
    server = _fake_server_session
    server.reset()
    server.latency = 0.0
    server.token_delay = 0.0
    server.retry_after = 0.0
    server.hang_seconds = 30.0
    server.keys = None
    yield server
    server.reset()


@pytest.fixture
def app_env(seeded_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at a private seeded database; returns its path."""
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", sqlite_url(seeded_db))
    monkeypatch.setenv("WORKBENCH_HOME", str(seeded_db.parent))
    monkeypatch.setenv("WORKBENCH_LOCAL_MODELS", "0")  # the app serves no demo models of its own here
    monkeypatch.chdir(ROOT)
    return seeded_db


@pytest.fixture
def app(app_env: Path) -> Callable[..., object]:
    """Factory: ``at = app()`` runs the router once; ``app(page="pages/x.py")`` opens a page."""
    from streamlit.testing.v1 import AppTest

    def make(page: str | None = None, timeout: float = 30):
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=timeout)
        at.run()
        if page is not None:
            at.switch_page(page_path(page)).run()
        return at

    return make


@pytest.fixture
def app_db(app_env: Path) -> Iterator[Engine]:
    """An engine on the ``app`` fixture's database, to check what a page wrote."""
    eng = make_engine(sqlite_url(app_env))
    yield eng
    eng.dispose()


def sqlite_engine_for(path: Path) -> Engine:
    return make_engine(sqlite_url(path))
