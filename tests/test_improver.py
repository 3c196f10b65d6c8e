"""Improve with a model: the request carries the prompt, its findings and its ratings; the
fake provider's rewrite is parsed; garbage answers are refused; nothing is ever written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.factories import rate_outputs
from tests.fakes.server import Behaviour, FakeLLMServer
from workbench.errors import BadResponse, PolicyBlocked, TemplateError
from workbench.improve import rewrite as improver
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.prompts.templates import PromptTemplate
from workbench.store.tables import AuditEvent, Output, PromptVersion, Run

BAD = "Explain why a customer's order is late."


def model_id(engine: Engine, server: FakeLLMServer, model: str = "fake-large") -> int:
    local = endpoints.find_endpoint(engine, "Local fake server")
    assert local is not None
    endpoints.update_endpoint(engine, local.id, actor="test", base_url=server.openai_base_url)  # type: ignore[arg-type]
    return next(m.id for m in endpoints.list_models(engine, local.id) if m.model == model)  # type: ignore[misc]


def written(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return tuple(
            s.exec(select(func.count()).select_from(t)).one()
            for t in (PromptVersion, Run, Output, AuditEvent)
        )  # type: ignore[return-value]


def late_order(engine: Engine):
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")
    return prompt, versions.list_versions(engine, prompt.id)


def test_rewrite_from_the_fake_model_uses_findings_and_ratings(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    prompt, (_v2, v1) = late_order(seeded_engine)
    rate_outputs(
        seeded_engine,
        v1.id,
        [(1.0, "Says nothing about the order", ("off-topic",), "Unforeseen circumstances.")],
    )
    mid = model_id(seeded_engine, fake_server)
    before = written(seeded_engine)
    proposal = improver.request_improvement(
        seeded_engine,
        model_id=mid,
        system="",
        user=BAD,
        values={},
        prompt_id=prompt.id,
        project_id=prompt.project_id,
    )
    assert proposal.user.startswith(BAD) and "at most 120 words" in proposal.user
    assert proposal.system.startswith("You are")
    assert proposal.change_note == "Added context, audience, format and length limits."
    assert proposal.model == "Local fake server · fake-large"
    body = fake_server.chat_requests()[-1].body
    assert body is not None and body["model"] == "fake-large"
    sent = json.dumps(body["messages"])
    assert "<user_template>\\nExplain why" in sent
    assert "The task is very short" in sent and "Asks for facts without giving a source" in sent
    assert (
        "Says nothing about the order" in sent and "Unforeseen circumstances." in sent and "off-topic" in sent
    )
    assert written(seeded_engine) == before


def test_feedback_summarises_ratings_comments_and_low_rated_outputs(seeded_engine: Engine) -> None:
    prompt, (v2, v1) = late_order(seeded_engine)
    assert improver.collect_feedback(seeded_engine, prompt.id) == improver.Feedback()
    rate_outputs(seeded_engine, v2.id, [(5.0, "", (), "great"), (4.0, "warm", ("accurate",), "good")])
    rate_outputs(seeded_engine, v1.id, [(1.0, "", (), "vague text")])
    feedback = improver.collect_feedback(seeded_engine, prompt.id)
    assert (feedback.ratings, feedback.average) == (3, pytest.approx(3.33))
    assert [c.comment for c in feedback.comments] == ["warm"] and feedback.comments[0].tags == ("accurate",)
    assert [(o.version, o.output) for o in feedback.low_rated] == [(1, "vague text")]


@pytest.mark.parametrize(
    "answer",
    [
        "I think your prompt is fine, maybe add more detail.",
        "<system_template>x</system_template>",
        "<user_template> </user_template>",
    ],
)
def test_garbage_answers_are_refused_with_a_clear_message(
    seeded_engine: Engine, fake_server: FakeLLMServer, answer: str
) -> None:
    mid = model_id(seeded_engine, fake_server)
    fake_server.enqueue(Behaviour(text=answer))
    before = written(seeded_engine)
    with pytest.raises(BadResponse, match="did not answer with a rewritten prompt"):
        improver.request_improvement(seeded_engine, model_id=mid, system="", user=BAD)
    assert written(seeded_engine) == before


def test_lazy_fake_model_answers_without_tags(seeded_engine: Engine, fake_server: FakeLLMServer) -> None:
    mid = model_id(seeded_engine, fake_server, "fake-lazy")
    with pytest.raises(BadResponse, match="fake-lazy did not answer"):
        improver.request_improvement(seeded_engine, model_id=mid, system="", user=BAD)


def test_rewrite_that_is_not_a_template_is_refused() -> None:
    with pytest.raises(TemplateError, match="not a valid template"):
        improver.parse_proposal(
            "<user_template>Hi {{ name }</user_template>", current=PromptTemplate("", "Hi"), model="m"
        )


def test_parse_keeps_old_system_reports_variables_and_strips_fences() -> None:
    text = "Sure.\n<user_template>\n```\nHi {{ name }}, order {{ order }}\n```\n</user_template>"
    proposal = improver.parse_proposal(
        text, current=PromptTemplate("Sys {{ tone }}", "Hi {{ name }}"), model="m"
    )
    assert proposal.system == "Sys {{ tone }}" and proposal.user == "Hi {{ name }}, order {{ order }}"
    assert proposal.added_variables == ("order",) and proposal.dropped_variables == ()
    assert proposal.change_note == "Rewritten by m."
    dropped = improver.parse_proposal(
        "<system_template>Sys</system_template><user_template>Hi</user_template><change_note>\n a\n b </change_note>",
        current=PromptTemplate("Sys {{ tone }}", "Hi {{ name }}"),
        model="m",
    )
    assert dropped.dropped_variables == ("tone", "name") and dropped.change_note == "a b"


def test_provider_errors_surface_as_workbench_errors(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    mid = model_id(seeded_engine, fake_server)
    fake_server.enqueue(Behaviour(garbage=True))
    with pytest.raises(BadResponse):
        improver.request_improvement(seeded_engine, model_id=mid, system="", user=BAD)


def test_model_list_skips_echo_and_respects_project_policy(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    labels = [label for _id, label in improver.improver_models(seeded_engine)]
    assert "Local fake server · fake-large" in labels and not any("Echo" in label for label in labels)
    hr = next(p for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    allowed = [label for _id, label in improver.improver_models(seeded_engine, hr.project_id)]
    assert allowed and all(label.startswith("Local fake server") for label in allowed)
    openai_model = next(
        mid for mid, label in improver.improver_models(seeded_engine) if label.startswith("OpenAI")
    )
    with pytest.raises(PolicyBlocked, match="is confidential: 'OpenAI' is not on its allowed endpoints"):
        improver.request_improvement(
            seeded_engine, model_id=openai_model, system="", user=BAD, project_id=hr.project_id
        )
