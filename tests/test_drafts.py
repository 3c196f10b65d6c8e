"""Preview and save rules of the Draft page: a draft that does not render is never saved."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from workbench.errors import InvalidInput, TemplateError
from workbench.projects import project_records
from workbench.prompts import drafts, versions
from workbench.store.engine import session_scope
from workbench.store.tables import Prompt, PromptVersion

USER = "Reply about order #{{ order_id }}.\nStatus: {{ status }}."
VALUES = {"order_id": "12345", "status": "shipped"}


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        prompts = session.exec(select(func.count()).select_from(Prompt)).one()
        versions_ = session.exec(select(func.count()).select_from(PromptVersion)).one()
        return prompts, versions_


@pytest.fixture
def prompt_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="ann", name="Service")
        return versions.create_prompt(session, project_id=project.id, name="Reply", actor="ann").id


def test_preview_lists_variables_and_renders_messages() -> None:
    result = drafts.preview("You help {{ company }}.", USER, {**VALUES, "company": "Acme"})
    assert result.ok and result.variables == ["company", "order_id", "status"]
    assert result.messages == [
        {"role": "system", "content": "You help Acme."},
        {"role": "user", "content": "Reply about order #12345.\nStatus: shipped."},
    ]


def test_preview_keeps_the_variables_of_a_template_with_a_typo() -> None:
    result = drafts.preview("", "Hi {{ name }}, order {{ order_id }", {})
    assert not result.ok and result.variables == ["name", "order_id"]


def test_preview_treats_values_as_data() -> None:
    result = drafts.preview("", "Say {{ v }}", {"v": "{{ ''.__class__ }} {% if 1 %}x{% endif %}"})
    assert result.messages[0]["content"] == "Say {{ ''.__class__ }} {% if 1 %}x{% endif %}"


@pytest.mark.parametrize(
    ("user", "values", "line", "words"),
    [
        ("Hi\nReply about {{ order_id }", {}, 2, "Unbalanced braces"),
        ("Reply about {{ order_id | shout }}", {"order_id": "1"}, 1, "Unknown filter 'shout'"),
        ("Hi\n\nReply about {{ order_id }}", {"order_id": "  "}, 3, "Variable 'order_id' has no value"),
        ("Hi {{ ''.__class__.__mro__ }}", {}, 1, "Blocked for safety"),
    ],
)
def test_bad_templates_are_previewed_as_errors_and_never_saved(
    engine: Engine, prompt_id: int, user: str, values: dict, line: int, words: str
) -> None:
    result = drafts.preview("", user, values)
    assert not result.ok and result.error is not None
    assert result.error.line == line and words in result.error.message
    assert drafts.line_of("", user, result.error) == user.splitlines()[line - 1]
    before = counts(engine)
    with pytest.raises(TemplateError, match=words.split("'")[0]), session_scope(engine) as session:
        drafts.save_draft(
            session,
            prompt_id=prompt_id,
            system="",
            user=user,
            values=values,
            author="ann",
            change_note="x",
        )
    with pytest.raises(TemplateError), session_scope(engine) as session:
        drafts.save_new_prompt(
            session,
            project_id=1,
            name="Other",
            system="",
            user=user,
            values=values,
            author="ann",
            change_note="x",
        )
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("system", "user", "author", "note", "words"),
    [
        (" ", "\n", "ann", "x", "Both messages are empty"),
        ("", USER, " ", "x", "Type your name"),
        ("", USER, "ann", "  ", "Write a change note"),
    ],
)
def test_empty_saves_are_refused(
    engine: Engine, prompt_id: int, system: str, user: str, author: str, note: str, words: str
) -> None:
    before = counts(engine)
    with pytest.raises(InvalidInput, match=words), session_scope(engine) as session:
        drafts.save_draft(
            session,
            prompt_id=prompt_id,
            system=system,
            user=user,
            values=VALUES,
            author=author,
            change_note=note,
        )
    assert counts(engine) == before


def test_save_keeps_example_values_params_and_parent(engine: Engine, prompt_id: int) -> None:
    with session_scope(engine) as session:
        v1 = drafts.save_draft(
            session,
            prompt_id=prompt_id,
            system="",
            user=USER,
            values={**VALUES, "stale": "x"},
            author=" ann ",
            change_note="first",
            params={"temperature": 0.3},
        )
        v2 = drafts.save_draft(
            session,
            prompt_id=prompt_id,
            system="Be kind.",
            user=USER,
            values=VALUES,
            author="bob",
            change_note="tone",
            parent_id=v1.id,
        )
    assert (v1.number, v2.number, v2.parent_id) == (1, 2, v1.id)
    stored = versions.get_version(engine, v1.id)
    assert stored.sample_variables == VALUES and stored.params == {"temperature": 0.3}
    assert stored.author == "ann"


def test_new_prompt_is_created_with_its_first_version(engine: Engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="ann", name="Marketing")
        v1 = drafts.save_new_prompt(
            session,
            project_id=project.id,
            name="Launch e-mail",
            system="",
            user=USER,
            values=VALUES,
            author="ann",
            change_note="Started from the gallery",
        )
    [prompt] = versions.list_prompts(engine, project.id)
    assert prompt.name == "Launch e-mail" and v1.prompt_id == prompt.id and v1.number == 1
    for name, refusal in (
        ("Launch e-mail", "already has a prompt named"),
        (" ", "Give the new prompt a name"),
    ):
        with pytest.raises(InvalidInput, match=refusal), session_scope(engine) as session:
            drafts.save_new_prompt(
                session,
                project_id=project.id,
                name=name,
                system="",
                user=USER,
                values=VALUES,
                author="ann",
                change_note="again",
            )
    assert counts(engine) == (1, 1)


def test_free_prompt_name_avoids_names_in_use(engine: Engine, prompt_id: int) -> None:
    assert drafts.free_prompt_name(engine, 1, "Other") == "Other"
    assert drafts.free_prompt_name(engine, 1, "Reply") == "Reply (2)"
    with session_scope(engine) as session:
        versions.create_prompt(session, project_id=1, name="Reply (2)", actor="ann")
    assert drafts.free_prompt_name(engine, 1, "Reply") == "Reply (3)"
