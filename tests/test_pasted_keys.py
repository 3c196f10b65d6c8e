"""Keys from the browser: a key pasted in Settings works at once (no restart), is kept in the
server's memory or also written to secrets.toml at the person's choice, is shown masked, and is
found nowhere else: not in the database, the log, the audit trail or the pages."""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import page_path
from tests.fakes.server import FakeLLMServer
from tests.test_secrets import fragments
from workbench.models import endpoints
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.ui.shell import key_lookup

PAGE = "pages/settings.py"
PASTED = "sk-SENTINEL-pasted-5e1b7c9a3d"


@pytest.fixture(autouse=True)
def no_pasted_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No key in the environment, the secrets file in a temp folder, and nothing left pasted."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv(key_lookup.SECRETS_FILE_ENV, str(tmp_path / ".streamlit" / "secrets.toml"))
    yield
    key_lookup.forget_key("OPENAI_API_KEY")


@pytest.fixture
def openai_on_fake(app_db: Engine, fake_server: FakeLLMServer) -> int:
    """OpenAI pointed at the fake server, which accepts only the pasted key."""
    fake_server.keys = frozenset({PASTED})
    openai = endpoints.find_endpoint(app_db, "OpenAI")
    endpoints.update_endpoint(
        app_db, openai.id, actor="t", base_url=fake_server.openai_base_url, max_retries=0, confirm_key=True
    )  # type: ignore[union-attr,arg-type]
    return openai.id  # type: ignore[union-attr,return-value]


def shown(at) -> str:  # type: ignore[no-untyped-def]
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "text_input", "dataframe"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    return "\n".join(parts)


def paste(at, where: str = "memory", key: str = PASTED):  # type: ignore[no-untyped-def]
    at.selectbox(key="paste_key_name").set_value("OPENAI_API_KEY")
    box = next(t for t in at.text_input if t.key.startswith("paste_key_value_"))
    box.input(key)
    at.radio(key="paste_key_where").set_value(where)
    return at.button(key="paste_key_save").click().run()


def test_a_pasted_key_makes_the_connection_test_pass_without_a_restart(
    app, app_db: Engine, openai_on_fake: int, caplog
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    at = app(page=PAGE)
    at.button(key=f"test_{openai_on_fake}").click().run()
    assert any(e.value.startswith("No key: set OPENAI_API_KEY") for e in at.error)
    paste(at)
    assert not at.exception
    assert any(f"OPENAI_API_KEY is now {key_lookup.mask(PASTED)}" in s.value for s in at.success)
    at.button(key=f"test_{openai_on_fake}").click().run()
    assert any(s.value.startswith("Connected: ") for s in at.success)
    table = at.dataframe[0].value
    row = table[table["Endpoint"] == "OpenAI"].iloc[0]
    assert row["Found in"] == "pasted in Settings" and row["Key"] == key_lookup.mask(PASTED)
    assert_absent_pasted(shown(at), "the Settings page")
    assert_absent_pasted("\n".join(r.getMessage() for r in caplog.records), "the log")
    with session_scope(app_db) as session:
        events = audit.events(session, action="settings.key")
    assert [(e.entity_id, e.after) for e in events] == [("OPENAI_API_KEY", {"kept": "memory"})]
    with app_db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in Path(str(app_db.url.database)).parent.glob("workbench.db*"):
        assert_absent_pasted(path.read_bytes(), path.name)
    assert not (Path(key_lookup.secrets_file())).exists()  # memory only: no file written


def test_a_key_can_be_written_to_secrets_toml_keeping_the_rest(app, openai_on_fake: int) -> None:  # type: ignore[no-untyped-def]
    path = key_lookup.secrets_file()
    path.parent.mkdir(parents=True)
    path.write_text('# mine\nOTHER_API_KEY = "x-1"\n\n[auth]\nclient_id = "abc"\n', encoding="utf-8")
    at = app(page=PAGE)
    paste(at, where="file")
    assert not at.exception
    text = path.read_text(encoding="utf-8")
    assert f'OPENAI_API_KEY = "{PASTED}"' in text
    assert text.index("OPENAI_API_KEY") < text.index("[auth]")  # a top-level key, not in [auth]
    assert 'OTHER_API_KEY = "x-1"' in text and 'client_id = "abc"' in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    at.button(key=f"test_{openai_on_fake}").click().run()  # works at once, without a restart
    assert any(s.value.startswith("Connected: ") for s in at.success)
    paste(at, where="file", key=PASTED + "x")
    assert path.read_text(encoding="utf-8").count("OPENAI_API_KEY") == 1  # replaced, not added


def test_a_bad_paste_is_refused_without_echoing_it(app) -> None:  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    paste(at, key="sk-two words " + PASTED)
    assert any("does not look like a key" in e.value for e in at.error)
    assert_absent_pasted(shown(at), "the Settings page")
    assert key_lookup.lookup_key("OPENAI_API_KEY") is None


def test_a_pasted_key_can_be_forgotten(app, openai_on_fake: int) -> None:  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    paste(at)
    at.button(key="forget_key_OPENAI_API_KEY").click().run()
    assert not at.exception
    assert key_lookup.lookup_key("OPENAI_API_KEY") is None
    at.button(key=f"test_{openai_on_fake}").click().run()
    assert any(e.value.startswith("No key: set OPENAI_API_KEY") for e in at.error)


def test_the_pickers_follow_a_pasted_key(app, openai_on_fake: int) -> None:  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    at.switch_page(page_path("pages/compare.py")).run()
    assert "OpenAI · gpt-4o-mini — no key" in at.multiselect(key="compare_models").options
    at.switch_page(page_path(PAGE)).run()
    paste(at)
    at.switch_page(page_path("pages/compare.py")).run()
    deadline = time.monotonic() + 90  # the endpoint is being asked again: wait for its answer
    while "OpenAI · gpt-4o-mini — checking…" in at.multiselect(key="compare_models").options:
        assert time.monotonic() < deadline, "the endpoint was never asked again"
        time.sleep(0.1)
        at.run()
    assert "OpenAI · gpt-4o-mini" in at.multiselect(key="compare_models").options  # no reason: it can run


def assert_absent_pasted(haystack: str | bytes, where: str) -> None:
    for piece in fragments(PASTED):
        needle = piece.encode() if isinstance(haystack, bytes) else piece
        assert needle not in haystack, f"{piece!r} found in {where}"


def test_keys_kept_in_secrets_toml_go_where_streamlit_reads_them_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project's file when Streamlit reads it (after the user's own, so its key wins); else,
    when other files were chosen, the last of them (the one that wins)."""
    monkeypatch.delenv(key_lookup.SECRETS_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    project = str(tmp_path / ".streamlit" / "secrets.toml")
    chosen: list[str] = ["/home/someone/.streamlit/secrets.toml", project]
    monkeypatch.setattr(key_lookup.st, "get_option", lambda name: chosen)
    assert key_lookup.secrets_file() == Path(project)
    chosen[:] = ["/etc/workbench/base.toml", "/etc/workbench/keys.toml"]
    assert key_lookup.secrets_file() == Path("/etc/workbench/keys.toml")
