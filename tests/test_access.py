"""Roles per project: the matrix, the sign-in switch, bootstrap, members and guarded saves."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidInput, PermissionDenied
from workbench.governance import access
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope

VIEWER = {"project.view", "output.rate", "output.vote"}
EXPECTED = {
    "viewer": VIEWER,
    "editor": {
        *VIEWER,
        "project.edit",
        "tags.edit",
        "prompt.create",
        "version.save",
        "prompt.improve",
        "prompt.optimize",
        "run.start",
        "evaluation.run",
        "testcase.edit",
        "documents.read",  # documents may hold personal data: editors and admins only
        "documents.edit",
        "documents.export",
    },
    "admin": set(access.ACTIONS),
}


@pytest.fixture
def team(seeded_engine):
    """Sign-in on, Ada admin of every project; Vic viewer and Eve editor of the CS project."""
    with session_scope(seeded_engine) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="Ada@Example.com")
    cs = project_records.find_project(seeded_engine, "Customer service replies")
    assert cs is not None
    with session_scope(seeded_engine) as session:
        access.set_member(
            session, actor="ada@example.com", project_id=cs.id, email="vic@example.com", role="viewer"
        )  # type: ignore[arg-type]
        access.set_member(
            session, actor="ada@example.com", project_id=cs.id, email="eve@example.com", role="editor"
        )  # type: ignore[arg-type]
    return seeded_engine, cs.id


@pytest.mark.parametrize("role", ["viewer", "editor", "admin"])
def test_the_role_matrix(team, role: str) -> None:
    engine, project_id = team
    email = {"viewer": "vic@example.com", "editor": "eve@example.com", "admin": "ada@example.com"}[role]
    allowed = {a for a in access.ACTIONS if access.can(engine, email, project_id, a)}
    assert allowed == EXPECTED[role]


def test_without_sign_in_everything_is_allowed_even_without_a_name(seeded_engine) -> None:
    assert not access.signin_enabled(seeded_engine)
    assert all(access.can(seeded_engine, None, None, a) for a in access.ACTIONS)
    assert access.readable_projects(seeded_engine, None) is None


def test_denials_say_what_is_needed_and_what_to_do(team) -> None:
    engine, project_id = team
    assert access.denial_reason(engine, "vic@example.com", project_id, "version.save") == (
        "You are a viewer in this project; to save a prompt version you need to be an editor. "
        "Ask one of its admins to change your role."
    )
    assert "have no role in this project" in access.denial_reason(
        engine, "zed@example.com", project_id, "project.view"
    )  # type: ignore[operator]
    assert access.denial_reason(engine, None, project_id, "project.view") == "Sign in to open this project."
    with pytest.raises(ValueError, match="Unknown guarded action"):
        access.can(engine, "ada@example.com", project_id, "version.sav")


def test_a_viewer_cannot_save_a_version_but_an_editor_can(team) -> None:
    engine, project_id = team
    prompt = versions.list_prompts(engine, project_id)[0]
    before = len(versions.list_versions(engine, prompt.id))  # type: ignore[arg-type]
    fields = {"system_template": "Be brief.", "user_template": "Hi {{ name }}", "change_note": "x"}
    with pytest.raises(PermissionDenied, match="you need to be an editor"):
        access.require_for_prompt(engine, "vic@example.com", prompt.id, "version.save")  # type: ignore[arg-type]
    assert len(versions.list_versions(engine, prompt.id)) == before  # type: ignore[arg-type]
    access.require_for_prompt(engine, "eve@example.com", prompt.id, "version.save")  # type: ignore[arg-type]
    with session_scope(engine) as session:
        saved = versions.save_version(session, prompt_id=prompt.id, author="eve@example.com", **fields)  # type: ignore[arg-type]
    assert saved.number == before + 1
    with pytest.raises(PermissionDenied):
        access.require_for_version(engine, "eve@example.com", saved.id, "label.move")  # type: ignore[arg-type]
    access.require_for_version(engine, "ada@example.com", saved.id, "label.move")  # type: ignore[arg-type]


def test_switching_sign_in_on_needs_a_first_admin_and_is_audited(seeded_engine) -> None:
    with pytest.raises(InvalidInput, match="Name the first admin"), session_scope(seeded_engine) as session:
        access.set_signin(session, enabled=True, actor="me")
    with pytest.raises(InvalidInput, match="not an e-mail"), session_scope(seeded_engine) as session:
        access.set_signin(session, enabled=True, actor="me", first_admin="ada")
    with session_scope(seeded_engine) as session:
        access.set_signin(session, enabled=True, actor="me", first_admin="ada@example.com")
    assert set(access.roles_of(seeded_engine, "ADA@example.com").values()) == {"admin"}
    assert len(access.roles_of(seeded_engine, "ada@example.com")) == 2
    with session_scope(seeded_engine) as session:
        access.set_signin(session, enabled=False, actor="ada@example.com")
    switches = audit.search(seeded_engine, actions=["settings.signin"])
    assert [(e.before, e.after) for e in switches] == [
        ({"enabled": True}, {"enabled": False}),
        ({"enabled": False}, {"enabled": True, "first_admin": "ada@example.com"}),
    ]


def test_the_first_sign_in_becomes_admin_when_nobody_holds_a_role(engine) -> None:
    with session_scope(engine) as session:
        project_records.create_project(session, actor="t", name="Solo")
        access.set_signin(session, enabled=False, actor="t")
    assert not access.bootstrap(engine, "first@example.com")  # sign-in is off: nothing happens
    from workbench.store.tables import AppSetting

    with session_scope(engine) as session:  # switched on outside the app, nobody named
        session.merge(AppSetting(key=access.SIGNIN_SETTING, value=True))
    assert access.bootstrap(engine, "First@example.com")
    assert not access.bootstrap(engine, "second@example.com")
    assert list(access.roles_of(engine, "first@example.com").values()) == ["admin"]
    assert access.roles_of(engine, "second@example.com") == {}
    assert [e.actor for e in audit.search(engine, actions=["member.bootstrap"])] == ["first@example.com"]


def test_a_project_keeps_at_least_one_admin(team) -> None:
    engine, project_id = team
    with pytest.raises(InvalidInput, match="only admin"), session_scope(engine) as session:
        access.set_member(
            session,
            actor="ada@example.com",
            project_id=project_id,
            email="ada@example.com",
            role="viewer",
        )
    with pytest.raises(InvalidInput, match="only admin"), session_scope(engine) as session:
        access.remove_member(session, actor="ada@example.com", project_id=project_id, email="ada@example.com")
    with session_scope(engine) as session:
        access.set_member(
            session, actor="ada@example.com", project_id=project_id, email="eve@example.com", role="admin"
        )
        access.remove_member(session, actor="eve@example.com", project_id=project_id, email="ada@example.com")
    assert [(m.email, m.role) for m in access.members(engine, project_id)] == [
        ("eve@example.com", "admin"),
        ("vic@example.com", "viewer"),
    ]
    moves = audit.search(
        engine, project_ids=[project_id], include_workspace=False, actions=["member.role", "member.remove"]
    )
    assert [(e.action, e.entity_id, e.before, e.after) for e in moves] == [
        ("member.remove", "ada@example.com", {"role": "admin"}, None),
        ("member.role", "eve@example.com", {"role": "editor"}, {"role": "admin"}),
    ]


def test_creating_a_project_while_signed_in_makes_the_creator_its_admin(team) -> None:
    engine, _ = team
    with pytest.raises(PermissionDenied, match="Only admins"), session_scope(engine) as session:
        access.create_project_as(session, "vic@example.com", actor="vic@example.com", name="Vic's")
    with session_scope(engine) as session:
        created = access.create_project_as(session, "ada@example.com", actor="ada@example.com", name="Ada's")
    assert access.role_of(engine, "ada@example.com", created.id) == "admin"  # type: ignore[arg-type]
    assert access.readable_projects(engine, "vic@example.com") == {
        p.id for p in project_records.list_projects(engine) if p.name == "Customer service replies"
    }
