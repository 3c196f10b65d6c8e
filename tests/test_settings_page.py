"""The Settings page through AppTest: masked keys, endpoints, connection verdicts, models, prices."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import page_path, sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent

PAGE = "pages/settings.py"
KEY = "sk-settings-secret-0123456789abcdef"


@pytest.fixture
def db(app_env: Path):
    engine = sqlite_engine_for(app_env)
    yield engine
    engine.dispose()


def point_at(db, fake_server: FakeLLMServer, name: str) -> int:
    endpoint = endpoints.find_endpoint(db, name)
    base = fake_server.anthropic_base_url if endpoint.provider == "anthropic" else fake_server.openai_base_url
    endpoints.update_endpoint(db, endpoint.id, actor="test", base_url=base, max_retries=0, confirm_key=True)
    return endpoint.id


def everything(at) -> str:
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "text_input", "dataframe")
    parts = []
    for kind in kinds:
        for element in getattr(at, kind):
            parts.append(str(getattr(element, "value", "")))
    return "\n".join(parts)


def audit_actions(db) -> list[str]:
    with session_scope(db) as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def test_keys_are_shown_masked_and_never_in_full(app, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = app(page=PAGE)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    openai = table[table["Endpoint"] == "OpenAI"].iloc[0]
    assert openai["Found in"] == "environment" and openai["Key"] == "sk-…cdef"
    anthropic = table[table["Endpoint"] == "Anthropic"].iloc[0]
    assert anthropic["Found in"] == "not set" and anthropic["Answers"] == "no key"
    assert KEY not in everything(at) and KEY not in table.to_csv()


def test_key_from_secrets_toml_is_found(app, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    at = app()
    at.secrets["ANTHROPIC_API_KEY"] = "sk-ant-from-secrets-9876"
    at.switch_page(page_path(PAGE)).run()
    table = at.dataframe[0].value
    row = table[table["Endpoint"] == "Anthropic"].iloc[0]
    assert row["Found in"] == "secrets.toml" and row["Key"] == "sk-…9876"


def test_test_connection_gives_a_plain_verdict(app, db, fake_server: FakeLLMServer, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "bad-" + KEY)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    local = point_at(db, fake_server, "Local fake server")
    openai = point_at(db, fake_server, "OpenAI")
    anthropic = point_at(db, fake_server, "Anthropic")
    at = app(page=PAGE)
    at.button(key=f"test_{local}").click().run()
    at.button(key=f"test_{openai}").click().run()
    at.button(key=f"test_{anthropic}").click().run()
    assert not at.exception
    assert any(s.value.startswith("Connected: ") and "models" in s.value for s in at.success)
    errors = [e.value for e in at.error]
    assert any(e.startswith("Key refused: set OPENAI_API_KEY") for e in errors), errors
    assert any(e.startswith("No key: set ANTHROPIC_API_KEY") for e in errors), errors
    assert KEY not in everything(at)


def test_unreachable_endpoint_says_so(app, db) -> None:
    local = endpoints.find_endpoint(db, "Local fake server")
    endpoints.update_endpoint(
        db, local.id, actor="t", base_url="http://127.0.0.1:9/v1", max_retries=0, timeout_s=2
    )
    at = app(page=PAGE)
    at.button(key=f"test_{local.id}").click().run()
    assert any(e.value.startswith("Cannot reach http://127.0.0.1:9/v1") for e in at.error)


def test_fetch_models_and_add_them_with_default_prices(app, db, fake_server: FakeLLMServer) -> None:
    local = point_at(db, fake_server, "Local fake server")
    at = app(page=PAGE)
    at.button(key=f"fetch_{local}").click().run()
    picker = at.multiselect(key=f"add_models_{local}")
    assert "fake-429" in picker.options and "fake-large" not in picker.options  # already listed
    at.sidebar.text_input(key="rater_name").input("Dana").run()
    at.multiselect(key=f"add_models_{local}").set_value(["gpt-4o-mini", "my-own-model"]).run()
    at.button(key=f"add_models_button_{local}").click().run()
    assert not at.exception
    added = {m.model: m for m in endpoints.list_models(db, local)}
    assert (
        added["gpt-4o-mini"].price_input_per_mtok == 0.15 and added["my-own-model"].price_input_per_mtok == 0
    )
    assert any("Added 2 models" in s.value for s in at.success)
    assert audit_actions(db).count("settings.model.create") >= 2


def test_offline_fallback_list_when_the_models_api_fails(app, db, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    anthropic = endpoints.find_endpoint(db, "Anthropic")
    at = app(page=PAGE)
    at.button(key=f"fetch_{anthropic.id}").click().run()
    assert any("Showing the usual models instead" in w.value for w in at.warning)
    assert "claude-opus-4-1" in at.multiselect(key=f"add_models_{anthropic.id}").options


def test_price_edits_are_saved_and_audited(app, db) -> None:
    local = endpoints.find_endpoint(db, "Local fake server")
    models = endpoints.list_models(db, local.id)
    at = app(page=PAGE)
    at.session_state[f"prices_{local.id}"] = {
        "edited_rows": {0: {"price_input_per_mtok": 1.5, "enabled": False}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key=f"save_models_{local.id}").click().run()
    assert not at.exception
    changed = next(m for m in endpoints.list_models(db, local.id) if m.id == models[0].id)
    assert changed.price_input_per_mtok == 1.5 and not changed.enabled
    assert audit_actions(db).count("settings.model.update") == 1
    assert any("Saved 1 model" in s.value for s in at.success)


def test_adding_an_endpoint_is_audited_and_refuses_a_pasted_key(app, db) -> None:
    at = app(page=PAGE)
    at.text_input(key="new_endpoint_name").input("OpenRouter")
    at.text_input(key="new_endpoint_base_url").input("https://openrouter.ai/api/v1")
    at.text_input(key="new_endpoint_key_env").input("sk-or-v1-abcdef0123456789")
    at.button(key="add_endpoint_submit").click().run()
    assert not at.exception
    assert any("not the key itself" in e.value for e in at.error)
    assert endpoints.find_endpoint(db, "OpenRouter") is None
    at.text_input(key="new_endpoint_name").input("OpenRouter")
    at.text_input(key="new_endpoint_base_url").input("https://openrouter.ai/api/v1")
    at.text_input(key="new_endpoint_key_env").input("OPENROUTER_API_KEY")
    at.number_input(key="new_endpoint_conc").set_value(4)
    at.button(key="add_endpoint_submit").click().run()
    assert not at.exception and not at.error
    created = endpoints.find_endpoint(db, "OpenRouter")
    assert created.api_key_env == "OPENROUTER_API_KEY" and created.max_concurrency == 4
    assert "settings.endpoint.create" in audit_actions(db)
    assert any("Added OpenRouter" in s.value for s in at.success)


def test_endpoint_connection_settings_can_be_changed_and_disabled(app, db) -> None:
    local = endpoints.find_endpoint(db, "Local fake server")
    at = app(page=PAGE)
    at.number_input(key=f"endpoint_conc_{local.id}").set_value(3)
    at.number_input(key=f"endpoint_retries_{local.id}").set_value(0)
    at.toggle(key=f"endpoint_enabled_{local.id}").set_value(False)
    at.button(key=f"save_endpoint_{local.id}").click().run()
    assert not at.exception
    changed = endpoints.get_endpoint(db, local.id)
    assert (changed.max_concurrency, changed.max_retries, changed.enabled) == (3, 0, False)
    assert "settings.endpoint.update" in audit_actions(db)
    assert any("(disabled)" in e.label for e in at.expander)
