"""Sign-in and roles in the running app (AppTest, with ``at.user`` standing in for st.login)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_SCRIPT, page_path, sqlite_engine_for
from workbench.governance import access
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.ui.shell.nav import PAGES

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-test-cookie-secret-0123456789",
    "client_id": "workbench",
    "client_secret": "secret",
    "server_metadata_url": "http://localhost:9/.well-known/openid-configuration",
}


@pytest.fixture
def db(app_env: Path):
    engine = sqlite_engine_for(app_env)
    yield engine
    engine.dispose()


@pytest.fixture
def team(db):
    """Sign-in on; Ada admin everywhere, Vic viewer and Eve editor of Customer service replies."""
    with session_scope(db) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="ada@example.com")
    cs = project_records.find_project(db, "Customer service replies")
    for email, role in (("vic@example.com", "viewer"), ("eve@example.com", "editor")):
        with session_scope(db) as session:
            access.set_member(session, actor="ada@example.com", project_id=cs.id, email=email, role=role)  # type: ignore[union-attr, arg-type]
    return db, cs


def visit(email: str | None, page: str | None = None, auth: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
    if auth is not None:
        at.secrets["auth"] = auth
    at.user = {"is_logged_in": True, "email": email} if email else {"is_logged_in": False}
    at.run()
    if page:
        at.switch_page(page_path(page)).run()
    assert not at.exception
    return at


def only_the_signin_screen(at: AppTest) -> None:
    assert [t.value for t in at.title] == ["Prompt Workbench"]
    assert len(at.sidebar) == 0  # no project picker, no menu content
    assert not at.subheader and not at.metric and not at.text_input and not at.text_area


def test_an_unauthenticated_visitor_sees_only_the_sign_in(team) -> None:
    at = visit(None, auth=AUTH)
    only_the_signin_screen(at)
    assert [b.label for b in at.button] == ["Sign in"]
    for page in PAGES:  # deep links show the same screen
        at.switch_page(page_path(page.path)).run()
        assert not at.exception
        only_the_signin_screen(at)


def test_sign_in_without_auth_settings_explains_what_to_configure(team) -> None:
    at = visit(None)
    only_the_signin_screen(at)
    assert "has no `[auth]` section" in at.error[0].value
    assert not at.button


def test_without_sign_in_the_app_runs_single_user_as_before(app) -> None:
    at = app(page="pages/project.py")
    assert not at.exception
    assert len(at.sidebar) > 0
    assert at.sidebar.text_input(key="rater_name")
    assert len(at.sidebar.selectbox[0].options) == 2


def test_a_viewer_sees_only_their_projects_and_cannot_edit(team) -> None:
    db, cs = team
    at = visit("vic@example.com", "pages/project.py")
    assert at.sidebar.selectbox[0].options == ["Customer service replies"]
    assert any(m.value == "Signed in as **vic@example.com**" for m in at.sidebar.markdown)
    at.text_input(key=f"uc:{cs.id}:persona").input("someone else")
    next(b for b in at.button if b.label == "Save use case").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "You are a viewer in this project; to edit the use case and KPIs you need to be an editor. "
        "Ask one of its admins to change your role."
    ]
    assert project_records.get_project(db, cs.id).persona == "customer service agent"
    assert audit.search(db, actions=["project.update"]) == []


def test_an_editor_can_edit_the_use_case_but_not_the_data_rules(team) -> None:
    db, cs = team
    at = visit("eve@example.com", "pages/project.py")
    at.text_input(key=f"uc:{cs.id}:persona").input("support lead")
    next(b for b in at.button if b.label == "Save use case").click().run()
    assert [s.value for s in at.success] == ["Use case saved."]
    at.radio(key=f"gov:{cs.id}:level").set_value("public")
    next(b for b in at.button if b.label == "Save data governance").click().run()
    assert "you need to be an admin" in at.warning[0].value
    saved = project_records.get_project(db, cs.id)
    assert (saved.persona, saved.sensitivity) == ("support lead", "internal")
    (event,) = audit.search(db, actions=["project.update"])
    assert event.actor == "eve@example.com"


def test_only_admins_read_the_audit_log(team) -> None:
    at = visit("vic@example.com", "pages/audit.py")
    assert "to read the audit log you need to be an admin" in at.warning[0].value
    assert not at.dataframe
    at = visit("ada@example.com", "pages/audit.py")
    assert not at.warning
    assert at.dataframe


def test_someone_signed_in_without_any_role_is_told_to_ask_an_admin(team) -> None:
    at = visit("zed@example.com")
    assert "have no role in any project yet" in at.info[0].value
    assert [b.label for b in at.button] == ["Sign out"]
    assert len(at.sidebar) == 0


def test_the_first_person_to_sign_in_becomes_admin_when_nobody_holds_a_role(db) -> None:
    from workbench.store.engine import session_scope
    from workbench.store.tables import AppSetting

    with session_scope(db) as session:  # switched on outside the app, nobody named
        session.merge(AppSetting(key=access.SIGNIN_SETTING, value=True))
    at = visit("first@example.com", "pages/team.py")
    assert set(access.roles_of(db, "first@example.com").values()) == {"admin"}
    assert at.dataframe[0].value["e-mail"].tolist() == ["first@example.com"]


def test_admins_give_roles_on_the_team_page_and_viewers_cannot(team) -> None:
    db, cs = team
    at = visit("vic@example.com", "pages/team.py")
    at.text_input(key="team:email").input("new@example.com")
    next(b for b in at.button if b.label == "Give role").click().run()
    assert "to manage who has which role you need to be an admin" in at.warning[0].value
    assert access.role_of(db, "new@example.com", cs.id) is None

    at = visit("ada@example.com", "pages/team.py")
    at.text_input(key="team:email").input("new@example.com")
    at.selectbox(key="team:role").set_value("editor")
    next(b for b in at.button if b.label == "Give role").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["new@example.com is now editor of Customer service replies."]
    assert access.role_of(db, "new@example.com", cs.id) == "editor"


def test_switching_sign_in_on_from_the_team_page(app, db) -> None:
    at = app(page="pages/team.py")
    assert at.button(key="team:on").disabled  # no [auth] settings: switching on would lock everyone out
    at.secrets["auth"] = AUTH
    at.run()
    at.text_input(key="team:first_admin").input("ada@example.com")
    at.button(key="team:on").click().run()
    assert not at.exception
    assert access.signin_enabled(db)
    assert set(access.roles_of(db, "ada@example.com").values()) == {"admin"}
    only_the_signin_screen(at)  # the visitor has not signed in yet
