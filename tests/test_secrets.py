"""A sentinel API key, used for real calls that succeed and fail, is found nowhere afterwards:
not in the database file, not in any log record (at DEBUG, every logger), not in any stored or
shown error message, and not on the Compare or Settings pages."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import page_path, sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, plan, run_cells
from workbench.store.engine import session_scope
from workbench.ui.shell import key_lookup

SENTINEL = "sk-SENTINEL-4f9c2a7d1e8b6035"
REFUSED = "bad-SENTINEL-7a1d9e3c5b2f8046"
FAILING = ["fake-large", "fake-429", "fake-garbage", "fake-drop", "no-such-model"]


def fragments(secret: str) -> list[str]:
    """The whole key and every 8-character piece of it (servers echo keys partly masked)."""
    return [secret] + [secret[i : i + 8] for i in range(len(secret) - 7)]


def assert_absent(haystack: str | bytes, where: str) -> None:
    for secret in (SENTINEL, REFUSED):
        for piece in fragments(secret):
            needle = piece.encode() if isinstance(haystack, bytes) else piece
            assert needle not in haystack, f"{piece!r} found in {where}"


@pytest.fixture
def sentinel_setup(app_env: Path, fake_server: FakeLLMServer, monkeypatch) -> dict[str, int]:
    """OpenAI endpoint on the fake server with the sentinel key, plus an endpoint whose key is refused."""
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.setenv("WB_REFUSED_KEY", REFUSED)
    engine = sqlite_engine_for(app_env)
    hr = project_records.find_project(engine, "HR handbook assistant")  # confidential: would block these
    with session_scope(engine) as session:
        project_records.update_project(session, hr.id, actor="t", sensitivity="internal")  # type: ignore[union-attr, arg-type]
    openai = endpoints.find_endpoint(engine, "OpenAI")
    endpoints.update_endpoint(
        engine, openai.id, actor="t", base_url=fake_server.openai_base_url, max_retries=0, confirm_key=True
    )
    ids = {
        m.model: m.id for m in endpoints.add_models(engine, actor="t", endpoint_id=openai.id, models=FAILING)
    }
    refusing = endpoints.add_endpoint(
        engine,
        actor="t",
        name="Refusing",
        provider="anthropic",
        base_url=fake_server.anthropic_base_url,
        api_key_env="WB_REFUSED_KEY",
        max_retries=0,
    )
    ids["refused"] = endpoints.add_model(engine, actor="t", endpoint_id=refusing.id, model="fake-small").id
    engine.dispose()
    return ids


def test_sentinel_key_is_nowhere_after_real_calls(
    app_env: Path, sentinel_setup: dict[str, int], fake_server: FakeLLMServer, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    engine = sqlite_engine_for(app_env)
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "HR policy answer")
    version = versions.latest_version(engine, prompt.id)
    cells = plan(
        [version.id],
        [ModelChoice(i) for i in sentinel_setup.values()],
        [RowInput({"question": "How much paid time off?"})],
    )
    report = run_cells(engine, cells, RunOptions(project_id=prompt.project_id, actor="t"))
    statuses = {o.model_name: o.status for o in report.outputs}
    assert statuses["fake-large"] == "ok" and statuses["fake-429"] == "error"
    refused = next(o for o in report.outputs if o.endpoint_name == "Refusing")
    assert refused.error_kind == "auth" and "WB_REFUSED_KEY" in refused.error_message
    auth_headers = [r.headers.get("authorization", "") for r in fake_server.chat_requests()]
    assert f"Bearer {SENTINEL}" in auth_headers  # the key really was used
    for output in report.outputs:
        assert_absent(f"{output.text} {output.error_message}", f"output {output.model_name}")
    assert len(caplog.records) > 0
    assert_absent("\n".join(r.getMessage() for r in caplog.records), "Python logging")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for path in app_env.parent.glob("workbench.db*"):
        assert_absent(path.read_bytes(), path.name)


def test_sentinel_key_is_not_on_the_pages(app, app_env: Path, sentinel_setup: dict[str, int]) -> None:
    at = app(page="pages/compare.py")
    at.multiselect(key="compare_models").set_value(list(sentinel_setup.values())[:6]).run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    assert any("the API key was refused" in e.value for e in at.error) or len(at.error) >= 3
    shown = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader"):
        shown += [str(e.value) for e in getattr(at, kind)]
    assert_absent("\n".join(shown), "the Compare page")
    at.switch_page(page_path("pages/settings.py")).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table[table["Endpoint"] == "OpenAI"].iloc[0]["Key"] == "sk-…6035"
    assert_absent(table.to_csv() + "\n".join(str(e.value) for e in at.markdown), "the Settings page")


def test_a_key_pasted_in_settings_is_nowhere_after_real_calls(
    app, app_env: Path, sentinel_setup: dict[str, int], fake_server: FakeLLMServer, monkeypatch, caplog
) -> None:
    """The same key, pasted in Settings instead of set in the environment: used for real calls
    at once, then found in no database byte, log record or page."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv("OPENAI_API_KEY")
    at = app(page="pages/settings.py")
    at.selectbox(key="paste_key_name").set_value("OPENAI_API_KEY")
    next(t for t in at.text_input if t.key.startswith("paste_key_value_")).input(SENTINEL)
    at.button(key="paste_key_save").click().run()
    try:
        assert not at.exception
        at.switch_page(page_path("pages/compare.py")).run()
        at.multiselect(key="compare_models").set_value(list(sentinel_setup.values())[:3]).run()
        at.button(key="compare_run").click().run()
        assert not at.exception
        auth_headers = [r.headers.get("authorization", "") for r in fake_server.chat_requests()]
        assert f"Bearer {SENTINEL}" in auth_headers  # the pasted key really was used
        shown = []
        for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader", "text_input"):
            shown += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
        assert_absent("\n".join(shown), "the Compare page")
        assert_absent("\n".join(r.getMessage() for r in caplog.records), "Python logging")
        engine = sqlite_engine_for(app_env)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        for path in app_env.parent.glob("workbench.db*"):
            assert_absent(path.read_bytes(), path.name)
    finally:
        key_lookup.forget_key("OPENAI_API_KEY")
