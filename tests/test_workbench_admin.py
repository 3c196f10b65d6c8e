"""The workbench admin: global settings need it (a project admin is refused, and the refusal is
audited); sign-in cannot be switched off by anyone else; a changed base URL holds the key back
until a workbench admin confirms it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.conftest import sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from tests.test_auth_pages import AUTH
from tests.test_auth_pages import visit as signed_in
from workbench.errors import PermissionDenied
from workbench.governance import access, workbench_admins
from workbench.models import catalog, endpoints
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.engine import make_engine, migrate, session_scope

KEY = "sk-workbench-admin-test-key-0123456789"
ADA, PAT = "ada@example.com", "pat@example.com"


@pytest.fixture
def db(app_env: Path) -> Iterator[Engine]:
    engine = sqlite_engine_for(app_env)
    yield engine
    engine.dispose()


@pytest.fixture
def team(db: Engine) -> tuple[Engine, int]:
    """Sign-in on with Ada as first admin (workbench admin); Pat is admin of one project only."""
    with session_scope(db) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin=ADA)
    cs = project_records.find_project(db, "Customer service replies")
    assert cs is not None and cs.id is not None
    with session_scope(db) as session:
        access.set_member(session, actor=ADA, project_id=cs.id, email=PAT, role="admin")
    return db, cs.id


def visit(email: str, page: str) -> AppTest:
    return signed_in(email, page, auth=AUTH)


def refusals(engine: Engine) -> list[tuple[str, str]]:
    return [(e.actor, e.entity_id) for e in audit.search(engine, actions=[workbench_admins.ACTION_DENIED])]


def test_global_settings_need_a_workbench_admin_not_a_project_admin(team) -> None:
    engine, cs = team
    assert workbench_admins.is_workbench_admin(engine, ADA)
    assert not workbench_admins.is_workbench_admin(engine, PAT)
    for action in workbench_admins.GLOBAL_ACTIONS:
        assert access.can(engine, ADA, None, action)
        reason = access.denial_reason(engine, PAT, cs, action)
        assert reason is not None and "Only a workbench admin" in reason
    assert access.can(engine, PAT, cs, "members.manage")  # their project stays theirs


def test_a_project_admin_cannot_change_an_endpoint_and_the_attempt_is_audited(
    team, fake_server: FakeLLMServer
) -> None:
    engine, _ = team
    openai = endpoints.find_endpoint(engine, "OpenAI")
    assert openai is not None
    at = visit(PAT, "pages/settings.py")
    at.text_input(key=f"endpoint_base_url_{openai.id}").input(fake_server.openai_base_url)
    at.button(key=f"save_endpoint_{openai.id}").click().run()
    assert not at.exception
    assert any("Only a workbench admin" in w.value for w in at.warning)
    assert endpoints.find_endpoint(engine, "OpenAI").base_url is None  # type: ignore[union-attr]
    assert (PAT, "settings.edit") in refusals(engine)


def test_a_project_admin_cannot_switch_sign_in_off(team) -> None:
    engine, _ = team
    at = visit(PAT, "pages/team.py")
    at.button(key="team:off").click().run()
    assert not at.exception
    assert any("Only a workbench admin can switch sign-in on or off" in w.value for w in at.warning)
    assert access.signin_enabled(engine)
    with pytest.raises(PermissionDenied, match="Only a workbench admin"), session_scope(engine) as session:
        access.set_signin(session, enabled=False, actor=PAT)
    assert access.signin_enabled(engine)
    assert refusals(engine).count((PAT, "signin.switch")) == 2  # the page's and the core's


def test_the_workbench_admin_switches_sign_in_off_on_the_team_page(team) -> None:
    engine, _ = team
    at = visit(ADA, "pages/team.py")
    assert "Workbench admins" in [s.value for s in at.subheader]
    at.button(key="team:off").click().run()
    assert not at.exception and not access.signin_enabled(engine)
    (switch,) = audit.search(engine, actions=["settings.signin"], limit=1)
    assert switch.actor == ADA and switch.after == {"enabled": False}


def test_workbench_admins_are_managed_by_workbench_admins_only(team) -> None:
    engine, _ = team
    at = visit(PAT, "pages/team.py")
    at.text_input(key="team:admin_email").input("mallory@example.com")
    at.button(key="FormSubmitter:team:admin_add-Make workbench admin").click().run()
    assert not workbench_admins.is_workbench_admin(engine, "mallory@example.com")
    at = visit(ADA, "pages/team.py")
    at.text_input(key="team:admin_email").input("dana@example.com")
    at.button(key="FormSubmitter:team:admin_add-Make workbench admin").click().run()
    assert not at.exception and workbench_admins.is_workbench_admin(engine, "dana@example.com")
    assert [e.entity_id for e in audit.search(engine, actions=["admin.add"], limit=1)] == ["dana@example.com"]


def test_a_workbench_admin_can_be_named_in_the_environment(team, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, _ = team
    monkeypatch.setenv("WORKBENCH_ADMINS", "Ops@Example.com, other@example.com")
    assert workbench_admins.is_workbench_admin(engine, "ops@example.com")
    assert access.can(engine, "ops@example.com", None, "settings.edit")
    assert "ops@example.com" in workbench_admins.admins(engine)


def test_the_first_sign_in_becomes_workbench_admin(engine: Engine) -> None:
    from workbench.store.tables import AppSetting

    with session_scope(engine) as session:
        project_records.create_project(session, actor="t", name="Solo")
        session.merge(AppSetting(key=access.SIGNIN_SETTING, value=True))  # switched on outside the app
    assert access.bootstrap(engine, "First@example.com")
    assert workbench_admins.is_workbench_admin(engine, "first@example.com")
    assert not access.bootstrap(engine, "second@example.com")
    assert not workbench_admins.is_workbench_admin(engine, "second@example.com")


def test_a_changed_base_url_holds_the_key_back_until_confirmed(
    engine: Engine, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    endpoints.ensure_builtin_endpoints(engine)
    openai = endpoints.find_endpoint(engine, "OpenAI")
    assert openai is not None and endpoints.key_confirmed(openai)
    moved = endpoints.update_endpoint(
        engine, openai.id, actor=PAT, base_url=fake_server.openai_base_url, max_retries=0
    )  # type: ignore[arg-type]
    assert not endpoints.key_confirmed(moved)
    verdict = catalog.check_connection(engine, endpoints.endpoint_config(moved))
    assert not verdict.ok and "OPENAI_API_KEY is not sent to" in verdict.message
    assert "workbench admin confirms it in Settings" in verdict.message
    assert fake_server.requests == []  # nothing, and so no key, left the machine
    with session_scope(engine) as session:
        confirmed = endpoints.confirm_key(session, openai.id, actor=ADA)  # type: ignore[arg-type]
    assert endpoints.key_confirmed(confirmed)
    assert catalog.check_connection(engine, endpoints.endpoint_config(confirmed)).ok
    assert fake_server.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    (event,) = audit.search(engine, actions=["settings.endpoint.key_confirmed"])
    assert event.actor == ADA and fake_server.openai_base_url in event.detail


def test_the_settings_page_asks_a_workbench_admin_to_confirm(team, fake_server: FakeLLMServer) -> None:
    engine, _ = team
    openai = endpoints.find_endpoint(engine, "OpenAI")
    endpoints.update_endpoint(engine, openai.id, actor="t", base_url=fake_server.openai_base_url)  # type: ignore[union-attr, arg-type]
    at = visit(PAT, "pages/settings.py")
    assert any("OPENAI_API_KEY is not sent to" in w.value for w in at.warning)
    at.button(key=f"confirm_key_{openai.id}").click().run()  # type: ignore[union-attr]
    assert not endpoints.key_confirmed(endpoints.find_endpoint(engine, "OpenAI"))  # type: ignore[arg-type]
    at = visit(ADA, "pages/settings.py")
    at.button(key=f"confirm_key_{openai.id}").click().run()  # type: ignore[union-attr]
    assert not at.exception
    assert endpoints.key_confirmed(endpoints.find_endpoint(engine, "OpenAI"))  # type: ignore[arg-type]


def test_the_migration_keeps_the_first_admin_and_the_trust_in_existing_keys(storage_url: str) -> None:
    engine = make_engine(storage_url)
    migrate(engine, "0003_model_call")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO app_setting (key, value, updated_by, updated_at) "
                "VALUES ('signin_bootstrapped_by', :v, 'x', CURRENT_TIMESTAMP)"
            ),
            {"v": '"Ada@Example.com"'},
        )
        conn.execute(
            sa.text(
                "INSERT INTO endpoint (name, provider, base_url, api_key_env, max_concurrency, timeout_s, "
                "max_retries, enabled, created_at) VALUES ('Proxy', 'openai', 'http://proxy/v1', 'PROXY_KEY', "
                "8, 60, 2, true, CURRENT_TIMESTAMP)"
            )
        )
    migrate(engine)
    assert workbench_admins.admins(engine) == [ADA]
    proxy = endpoints.find_endpoint(engine, "Proxy")
    assert proxy is not None and endpoints.key_confirmed(proxy)
    engine.dispose()


def test_on_each_backend_a_project_admin_is_refused_global_actions_and_the_sign_in_switch(
    storage_engine: Engine,
) -> None:
    """The core's rules and their audit trail, on SQLite and PostgreSQL alike (the page tests
    above run the app on SQLite)."""
    with session_scope(storage_engine) as session:
        project = project_records.create_project(session, actor="setup", name="Shop replies")
        access.set_signin(session, enabled=True, actor="setup", first_admin=ADA)
    with session_scope(storage_engine) as session:
        access.set_member(session, actor=ADA, project_id=project.id, email=PAT, role="admin")  # type: ignore[arg-type]
    assert workbench_admins.is_workbench_admin(storage_engine, ADA)
    assert not workbench_admins.is_workbench_admin(storage_engine, PAT)
    for action in workbench_admins.GLOBAL_ACTIONS:
        reason = access.denial_reason(storage_engine, PAT, project.id, action)
        assert reason is not None and "Only a workbench admin" in reason
    with (
        pytest.raises(PermissionDenied, match="Only a workbench admin"),
        session_scope(storage_engine) as session,
    ):
        access.set_signin(session, enabled=False, actor=PAT)
    assert access.signin_enabled(storage_engine)
    assert refusals(storage_engine) == [(PAT, "signin.switch")]
    with session_scope(storage_engine) as session:
        access.set_signin(session, enabled=False, actor=ADA)
    assert not access.signin_enabled(storage_engine)
