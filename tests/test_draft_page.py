"""The Draft page through AppTest: write, fill variables, preview, checklist, builder, save,
improve with the fake provider, and every bad input refused with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.factories import rate_outputs
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.tables import Label, Prompt, PromptVersion

PAGE = "pages/draft.py"
SEED_BAD = "Explain why a customer's order is late."


def diff_views(at):  # type: ignore[no-untyped-def]
    """The page's HTML elements but the script that keeps text being typed (the improver's diff)."""
    return [h for h in at.get("html") if "<script>" not in h.proto.body]


def written(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(t)).one() for t in (Prompt, PromptVersion, Label)
        )  # type: ignore[return-value]


def draft(app, name: str = "Ann"):  # type: ignore[no-untyped-def]
    at = app(page=PAGE)
    at.session_state["rater_name"] = name
    return at.run()


def texts(elements) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(e.value) for e in elements)


def test_opens_the_active_prompt_with_its_variables_and_preview(app) -> None:
    at = draft(app)
    assert not at.exception
    assert at.text_area(key="w_draft_user").value.startswith("Respond to a customer")
    assert [t.key for t in at.text_input if t.key.startswith("w_var_")] == [
        "w_var_order_id",
        "w_var_order_date",
        "w_var_status",
        "w_var_expected_delivery",
    ]
    assert "order #12345, placed on May 1, 2023" in texts(at.code)
    assert "No weaknesses found" in texts(at.success)
    assert "Editing from version 2" in texts(at.caption)


def test_writing_a_template_and_filling_variables_updates_the_preview(app) -> None:
    at = draft(app)
    at.text_area(key="w_draft_system").input("You write for {{ company }}.").run()
    at.text_area(key="w_draft_user").input("Thank {{ customer }} for order {{ order_id }}.").run()
    assert [t.key for t in at.text_input if t.key.startswith("w_var_")] == [
        "w_var_company",
        "w_var_customer",
        "w_var_order_id",
    ]
    at.text_input(key="w_var_company").input("Brightline").run()
    at.text_input(key="w_var_customer").input("{{ 7*7 }} Ana").run()
    assert not at.exception and not at.error
    assert [c.value for c in at.code] == ["You write for Brightline.", "Thank {{ 7*7 }} Ana for order 12345."]
    assert "unsaved changes" in texts(at.caption)


def test_checklist_findings_appear_with_why_and_fix(app) -> None:
    at = draft(app)
    at.text_area(key="w_draft_system").input("").run()
    at.text_area(key="w_draft_user").input(SEED_BAD).run()
    shown = texts(at.markdown)
    for title in ("The task is very short", "No context or details", "No output format or length"):
        assert title in shown
    assert shown.count("**Fix:**") >= 3
    assert "6 things to improve" in texts(at.caption)  # five on the wording, one on unused values
    assert "Values the template never uses" in shown


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("Hello\nReply about {{ order_id }", "User message, line 2:** Unbalanced braces"),
        ("Reply about {{ order_id | shout }}", "User message, line 1:** Unknown filter 'shout'"),
        (
            "Hi\n\nReply about {{ customer_name }}",
            "User message, line 3:** Variable 'customer_name' has no value",
        ),
        ("Reply {{ ''.__class__.__mro__ }}", "User message, line 1:** Blocked for safety"),
        ("Reply {{ 10**100000 }}", "User message, line 1:** 10\\*\\*100000 would be a number of about"),
        ('Reply {{ "ab" * 10000000 }}', "User message, line 1:** The template would make a repeated value"),
    ],
)
def test_bad_templates_show_line_and_message_and_save_writes_nothing(
    app, app_db: Engine, user: str, message: str
) -> None:
    at = draft(app)
    at.text_area(key="w_draft_user").input(user).run()
    assert message in texts(at.error)
    before = written(app_db)
    at.text_input(key="w_draft_note").input("try").run()
    at.button(key="draft_save").click().run()
    assert not at.exception
    assert texts(at.error).count(message.split(":** ")[1]) == 2  # preview and the refused save
    assert not any("Saved as version" in s.value for s in at.success)
    assert written(app_db) == before


@pytest.mark.parametrize(
    ("system", "user", "note", "name", "message"),
    [
        ("", "", "note", "Ann", "Both messages are empty"),
        (None, None, "", "Ann", "Write a change note"),
        (None, None, "note", "", "Type your name in the sidebar"),
    ],
)
def test_empty_saves_are_refused_with_a_message(
    app, app_db: Engine, system, user, note, name, message
) -> None:  # type: ignore[no-untyped-def]
    at = draft(app, name=name)
    if system is not None:
        at.text_area(key="w_draft_system").input(system).run()
        at.text_area(key="w_draft_user").input(user).run()
    at.text_input(key="w_draft_note").input(note).run()
    before = written(app_db)
    at.button(key="draft_save").click().run()
    assert not at.exception
    assert message in texts(at.error)
    assert written(app_db) == before


def test_saving_three_versions(app, app_db: Engine) -> None:
    at = draft(app)
    prompt_id = at.session_state["active_prompt_id"]
    for i in range(3):
        at.text_area(key="w_draft_user").input(
            f"Reply to order #{{{{ order_id }}}} in {i + 2} sentences."
        ).run()
        at.text_input(key="w_draft_note").input(f"change {i}").run()
        at.button(key="draft_save").click().run()
        assert not at.exception and f"Saved as version {i + 3}." in texts(at.success)
        assert at.text_input(key="w_draft_note").value == ""
    saved = versions.list_versions(app_db, prompt_id)
    assert [(v.number, v.change_note, v.author) for v in saved[:3]] == [
        (5, "change 2", "Ann"),
        (4, "change 1", "Ann"),
        (3, "change 0", "Ann"),
    ]
    assert saved[0].parent_id == saved[1].id and saved[0].sample_variables == {"order_id": "12345"}


def test_a_concurrent_save_is_kept_and_reported(app, app_db: Engine) -> None:
    at = draft(app)
    prompt_id = at.session_state["active_prompt_id"]
    with session_scope(app_db) as session:
        versions.save_version(
            session, prompt_id=prompt_id, system_template="", user_template="other", author="Bob"
        )
    at.text_area(key="w_draft_user").input("Mine: reply about {{ order_id }} in 3 sentences.").run()
    at.text_input(key="w_draft_note").input("mine").run()
    at.button(key="draft_save").click().run()
    assert "Saved as version 4. Someone else saved a version after you opened v2" in texts(at.success)
    assert [v.author for v in versions.list_versions(app_db, prompt_id)[:2]] == ["Ann", "Bob"]


def test_new_prompt_is_created_on_first_save(app, app_db: Engine) -> None:
    at = draft(app)
    at.selectbox(key="w_draft_prompt").set_value(-1).run()
    assert at.text_area(key="w_draft_user").value == ""
    at.text_input(key="w_draft_new_name").input("Refund reply").run()
    at.text_area(key="w_draft_user").input("Reply to {{ customer }} about the refund in 3 sentences.").run()
    at.text_input(key="w_var_customer").input("Ana").run()
    at.text_input(key="w_draft_note").input("first").run()
    at.button(key="draft_save").click().run()
    assert not at.exception and "Saved as version 1." in texts(at.success)
    prompt = next(p for p in versions.list_prompts(app_db) if p.name == "Refund reply")
    assert at.session_state["active_prompt_id"] == prompt.id
    assert at.selectbox(key="w_draft_prompt").value == prompt.id


def test_builder_puts_an_assembled_template_in_the_editor(app) -> None:
    at = draft(app)
    at.text_input(key="builder_role").input("an HR assistant")
    at.text_input(key="builder_task").input("Answer the employee's question: {{ question }}")
    at.text_area(key="builder_context").input("Handbook excerpt: {{ handbook }}")
    at.text_input(key="builder_output_format").input("At most three sentences.")
    at.text_area(key="builder_constraints").input("Quote the figure\nSay so if the excerpt does not answer")
    at.button(key="FormSubmitter:builder-Put it in the editor").click().run()
    assert not at.exception
    assert at.text_area(key="w_draft_system").value == "You are an HR assistant."
    user = at.text_area(key="w_draft_user").value
    assert user.startswith("Answer the employee's question: {{ question }}")
    assert "Rules:\n- Quote the figure\n- Say so if the excerpt does not answer" in user
    assert at.text_input(key="w_draft_note").value == "Rebuilt with the structured builder."
    assert "The builder's prompt is in the editor" in texts(at.success)
    assert {"w_var_question", "w_var_handbook"} <= {t.key for t in at.text_input}


def test_builder_without_a_task_explains(app) -> None:
    at = draft(app)
    at.text_input(key="builder_role").input("an editor")
    at.button(key="FormSubmitter:builder-Put it in the editor").click().run()
    assert "Describe the task" in texts(at.error)
    assert at.text_area(key="w_draft_user").value.startswith("Respond to a customer")


@pytest.fixture
def fake_model(app_db: Engine, fake_server: FakeLLMServer):  # type: ignore[no-untyped-def]
    local = endpoints.find_endpoint(app_db, "Local fake server")
    assert local is not None
    endpoints.update_endpoint(app_db, local.id, actor="test", base_url=fake_server.openai_base_url)  # type: ignore[arg-type]
    return {m.model: m.id for m in endpoints.list_models(app_db, local.id)}


def ask(at, model_id: int):  # type: ignore[no-untyped-def]
    at.text_area(key="w_draft_system").input("").run()
    at.text_area(key="w_draft_user").input(SEED_BAD).run()
    at.selectbox(key="improver_model").set_value(model_id).run()
    return at.button(key="improver_ask").click().run()


def test_improver_shows_a_diff_and_accept_saves_with_the_note(app, app_db: Engine, fake_model) -> None:  # type: ignore[no-untyped-def]
    prompt = next(p for p in versions.list_prompts(app_db) if p.name == "Late order reply")
    rate_outputs(
        app_db, versions.list_versions(app_db, prompt.id)[1].id, [(1.0, "says nothing", (), "Unforeseen.")]
    )
    at = draft(app)
    prompt_id = at.session_state["active_prompt_id"]
    before = written(app_db)
    ask(at, fake_model["fake-large"])
    assert not at.exception and not at.error
    assert "its 6 checklist findings and 1 rating of this prompt's outputs" in texts(at.caption)
    diff = "".join(h.proto.body for h in diff_views(at))
    assert "Your draft" in diff and "Proposed" in diff and "at most 120 words" in diff
    assert at.text_input(key="improver_note").value == "Added context, audience, format and length limits."
    assert written(app_db) == before
    at.button(key="improver_accept").click().run()
    assert not at.exception and "Saved as version 3." in texts(at.success)
    latest = versions.latest_version(app_db, prompt_id)
    assert latest is not None and latest.change_note == "Added context, audience, format and length limits."
    assert latest.user_template.startswith(SEED_BAD) and latest.system_template.startswith("You are")
    assert at.text_area(key="w_draft_user").value == latest.user_template
    assert not diff_views(at)


def test_improver_discard_writes_nothing(app, app_db: Engine, fake_model) -> None:  # type: ignore[no-untyped-def]
    at = draft(app)
    before = written(app_db)
    ask(at, fake_model["fake-small"])
    at.button(key="improver_discard").click().run()
    assert "Rewrite discarded. Nothing was saved." in texts(at.success)
    assert not diff_views(at) and written(app_db) == before
    assert at.text_area(key="w_draft_user").value == SEED_BAD


def test_improver_edit_loads_the_rewrite_without_saving(app, app_db: Engine, fake_model) -> None:  # type: ignore[no-untyped-def]
    at = draft(app)
    before = written(app_db)
    ask(at, fake_model["fake-large"])
    at.button(key="improver_edit").click().run()
    assert "at most 120 words" in at.text_area(key="w_draft_user").value
    assert at.text_input(key="w_draft_note").value == "Added context, audience, format and length limits."
    assert written(app_db) == before


def test_switching_prompt_drops_a_pending_rewrite(app, app_db: Engine, fake_model) -> None:  # type: ignore[no-untyped-def]
    at = draft(app)
    ask(at, fake_model["fake-large"])
    assert diff_views(at)
    at.selectbox(key="w_draft_prompt").set_value(-1).run()
    assert not diff_views(at) and "draft_proposal" not in at.session_state


def test_improver_garbage_answer_is_explained_and_nothing_written(app, app_db: Engine, fake_model) -> None:  # type: ignore[no-untyped-def]
    at = draft(app)
    before = written(app_db)
    ask(at, fake_model["fake-lazy"])
    assert not at.exception
    assert "fake-lazy did not answer with a rewritten prompt" in texts(at.error)
    assert not diff_views(at) and written(app_db) == before


def test_improver_names_personal_data_and_sends_it_redacted(
    app, app_db: Engine, fake_model, fake_server: FakeLLMServer
) -> None:  # type: ignore[no-untyped-def]
    at = draft(app)
    at.text_area(key="w_draft_user").input("Reply to dana@example.com about {{ order_id }}.").run()
    at.selectbox(key="improver_model").set_value(fake_model["fake-large"]).run()
    at.button(key="improver_ask").click().run()
    assert not at.exception
    assert "Found 1 e-mail address in what would be sent to Local fake server" in texts(at.warning)
    assert fake_server.chat_requests() == [] and not diff_views(at)
    at.button(key="improver_gate:redact").click().run()
    assert not at.exception and not at.warning
    (request,) = fake_server.chat_requests()
    sent = str(request.body["messages"])  # type: ignore[index]
    assert "[EMAIL_1]" in sent and "dana@example.com" not in sent
    assert "Your draft" in "".join(h.proto.body for h in diff_views(at))


def test_improver_follows_a_restricted_projects_policy(
    app, app_db: Engine, fake_model, fake_server: FakeLLMServer
) -> None:  # type: ignore[no-untyped-def]
    from workbench.projects import project_records

    cs = project_records.find_project(app_db, "Customer service replies")
    with session_scope(app_db) as session:
        project_records.update_project(
            session, cs.id, actor="admin", sensitivity="restricted", allowed_providers=["Local fake server"]
        )  # type: ignore[union-attr, arg-type]
    at = draft(app)
    assert all(label.startswith("Local fake server") for label in at.selectbox(key="improver_model").options)
    at.text_area(key="w_draft_user").input("Employee SSN 078-05-1121 asks about {{ order_id }}.").run()
    at.selectbox(key="improver_model").set_value(fake_model["fake-large"]).run()
    at.button(key="improver_ask").click().run()
    assert not at.exception
    (error,) = at.error
    assert "is restricted: personal data must be redacted before it is sent" in error.value
    assert fake_server.chat_requests() == []
    assert not any(b.key == "improver_gate:as_is" for b in at.button)  # sending unredacted is never offered
    at.button(key="improver_gate:redact").click().run()
    (request,) = fake_server.chat_requests()
    assert "[SSN_1]" in str(request.body["messages"]) and "078-05-1121" not in str(request.body["messages"])  # type: ignore[index]

    with session_scope(app_db) as session:
        project_records.update_project(session, cs.id, actor="admin", allowed_providers=["Echo"])  # type: ignore[union-attr, arg-type]
    assert "No model can rewrite prompts for this project yet" in texts(draft(app).info)
