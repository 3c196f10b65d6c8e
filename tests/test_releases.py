"""Releases: a label carries the version with its model and settings; moving or rolling it back
moves all three, and ``get_prompt(...).complete()`` follows it through the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.fakes.server import FakeLLMServer
from tests.monitor_support import PROMPT, V1_USER, app, fake_endpoint, make_prompt, point, reporting
from workbench.errors import InvalidInput, NotFound, PolicyBlocked
from workbench.models import endpoints
from workbench.models.settings import CallSettings
from workbench.monitor import figures
from workbench.prompts import label_history, versions
from workbench.prompts.releases import ReleaseModel
from workbench.store.engine import session_scope
from workbench.store.release_tables import Release, ServedAnswer

ORDER = {"order_id": "A-1042"}


def last_request(server: FakeLLMServer) -> dict:
    body = server.chat_requests()[-1].body
    assert body is not None
    return body


def test_complete_follows_a_label_moved_to_another_model_and_back(
    engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    fake = fake_endpoint(engine, fake_server)
    v1, v2 = make_prompt(engine)
    point(engine, v1, (fake, "fake-small"))
    with reporting(engine, tmp_path / "spool") as reporter:
        first = app(engine)
        answer = first.complete(**ORDER)
        sent = last_request(fake_server)
        assert (
            sent["model"] == "fake-small" and "A-1042: say when it arrives" in sent["messages"][1]["content"]
        )
        assert answer.model == "Fake · fake-small" and answer.text and answer.tokens_out

        point(engine, v2, (fake, "fake-large"), temperature=0.5, max_tokens=120)
        swapped = app(engine).complete(**ORDER)
        sent = last_request(fake_server)
        assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("fake-large", 0.5, 120)
        assert "is late. Apologise" in sent["messages"][1]["content"]
        assert first.complete(**ORDER).model == "Fake · fake-small"  # a fetched release stays as fetched

        with session_scope(engine) as session:
            label_history.roll_back(
                session,
                prompt_id=first.prompt_id,
                name="production",
                to_release_id=first.release_id,
                actor="cy",
            )
        back = app(engine)
        assert (back.release_id, back.version, back.model) == (
            first.release_id,
            1,
            ReleaseModel(fake, "fake-small"),
        )
        back.complete(**ORDER)
        assert last_request(fake_server)["model"] == "fake-small"
        assert reporter.flush(30).complete

    served = figures.served_frame(engine, prompt_id=first.prompt_id)
    assert list(served["model_name"]) == ["fake-small", "fake-large", "fake-small", "fake-small"]
    assert list(served["uid"])[:2] == [answer.id, swapped.id]
    assert served["release_id"].nunique() == 2 and list(served["label"].unique()) == ["production"]
    moves = label_history.label_moves(engine, first.prompt_id)
    assert [(m.kind, m.model_change, m.from_number, m.to_number) for m in moves] == [
        ("rolled back", "Fake · fake-large → Fake · fake-small", 2, 1),
        ("moved", "Fake · fake-small → Fake · fake-large", 1, 2),
        ("set", "Fake · fake-small", None, 1),
    ]
    assert moves[1].settings_change == "max 1024 tokens → temperature 0.5 · max 120 tokens"


def test_a_swap_of_model_alone_is_a_move_of_the_same_version(
    engine: Engine, fake_server: FakeLLMServer
) -> None:
    fake = fake_endpoint(engine, fake_server)
    _v1, v2 = make_prompt(engine)
    point(engine, v2, (fake, "fake-large"))
    point(engine, v2, (fake, "fake-lazy"))
    [state] = label_history.label_states(engine, versions.get_version(engine, v2).prompt_id)
    assert (state.version_number, state.model, state.settings) == (
        2,
        "Fake · fake-lazy",
        "temperature 0.2 · max 200 tokens",
    )
    choices = label_history.rollback_choices(engine, versions.get_version(engine, v2).prompt_id, "production")
    assert [c.text for c in choices] == ["v2 · Fake · fake-large · temperature 0.2 · max 200 tokens"]
    with session_scope(engine) as session:
        label_history.roll_back(
            session, prompt_id=1, name="production", to_release_id=choices[0].release_id, actor="cy"
        )
        with pytest.raises(InvalidInput, match="puts back a release 'production' served before"):
            label_history.roll_back(session, prompt_id=1, name="production", to_release_id=999, actor="cy")
    assert label_history.label_states(engine, 1)[0].model == "Fake · fake-large"


def test_releases_are_shared_and_checked(engine: Engine, fake_server: FakeLLMServer) -> None:
    fake = fake_endpoint(engine, fake_server)
    v1, _v2 = make_prompt(engine)
    endpoints.ensure_builtin_endpoints(engine)
    point(engine, v1, (fake, "fake-large"), label="production")
    point(engine, v1, (fake, "fake-large"), label="staging")
    with session_scope(engine) as session:
        labels = {label.name: label.release_id for label in versions.labels_for_prompt(engine, 1)}
        assert labels["production"] == labels["staging"]  # the same version, model and settings
        assert len(list(session.exec(select(Release)))) == 1
    refusals = [
        (NotFound, "no endpoint named 'Nowhere'", ReleaseModel("Nowhere", "x"), None),
        (InvalidInput, "Name the model", ReleaseModel(fake, " "), None),
        (
            InvalidInput,
            "Anthropic accepts a temperature from 0 to 1",
            ReleaseModel("Anthropic", "claude-haiku-4-5"),
            CallSettings(temperature=1.5),
        ),
        (InvalidInput, "its version's own system message", None, CallSettings(system_override="Be rude.")),
    ]
    for error, message, model, settings in refusals:
        with pytest.raises(error, match=message), session_scope(engine) as session:
            versions.set_label(
                session, version_id=v1, name="production", actor="ann", model=model, settings=settings
            )
    assert len(label_history.label_moves(engine, 1)) == 2  # nothing partial was written


def test_a_release_without_a_model_leaves_the_choice_to_the_caller(
    engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    fake = fake_endpoint(engine, fake_server)
    v1, _v2 = make_prompt(engine)
    point(engine, v1, None)
    with reporting(engine, tmp_path / "spool") as reporter:
        prompt = app(engine)
        assert (
            prompt.model is None
            and prompt.render(**ORDER)[1]["content"] == "Order A-1042: say when it arrives."
        )
        with pytest.raises(InvalidInput, match="leaves the model to the caller"):
            prompt.complete(**ORDER)
        chosen = prompt.with_model(f"{fake}/fake-large").with_settings(temperature=0)
        answer = chosen.complete(**ORDER)
        assert (last_request(fake_server)["model"], last_request(fake_server)["temperature"]) == (
            "fake-large",
            0.0,
        )
        with pytest.raises(NotFound, match="No enabled model 'Fake/fake-gone'"):
            prompt.with_model(f"{fake}/fake-gone")
        assert reporter.flush(30).complete
    with session_scope(engine) as session:
        row = session.exec(select(ServedAnswer)).one()
    assert (row.uid, row.endpoint_name, row.model_name, row.release_id) == (
        answer.id,
        fake,
        "fake-large",
        prompt.release_id,
    )
    assert row.variables == ORDER and row.text == answer.text and row.cost_usd == answer.cost_usd


def test_a_call_the_data_policy_blocks_is_reported_as_an_error_and_raised(
    engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    fake = fake_endpoint(engine, fake_server)
    v1, _v2 = make_prompt(engine, sensitivity="confidential", allowed=[])
    point(engine, v1, (fake, "fake-large"))
    with reporting(engine, tmp_path / "spool") as reporter:
        with pytest.raises(PolicyBlocked, match="allows no endpoint outside this machine"):
            app(engine).complete(**ORDER)
        assert reporter.flush(30).complete
    assert fake_server.chat_requests() == []
    with session_scope(engine) as session:
        row = session.exec(select(ServedAnswer)).one()
    assert (row.status, row.error_kind) == ("error", "policy") and "Not sent" in (row.error_message or "")


def test_a_failed_call_is_reported_and_raised_with_its_kind(
    engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    from workbench.errors import ProviderUnavailable

    fake = fake_endpoint(engine, fake_server)
    endpoints.add_model(
        engine, actor="ann", endpoint_id=endpoints.find_endpoint(engine, fake).id, model="fake-500"
    )  # type: ignore[union-attr, arg-type]
    v1, _v2 = make_prompt(engine)
    point(engine, v1, (fake, "fake-500"))
    with reporting(engine, tmp_path / "spool") as reporter:
        with pytest.raises(ProviderUnavailable):
            app(engine).complete(**ORDER)
        assert reporter.flush(30).complete
    frame = figures.served_frame(engine, prompt_id=1)
    assert list(frame["status"]) == ["error"] and figures.summarise_answers(frame).error_share == 1.0


def test_get_prompt_by_version_has_no_release(engine: Engine, tmp_path: Path) -> None:
    make_prompt(engine)
    with reporting(engine, tmp_path / "spool"):
        from workbench.monitor import api

        prompt = api.app_prompt(engine, PROMPT, version=1)
    assert (prompt.release_id, prompt.label, prompt.user_template) == (None, None, V1_USER)


def test_a_change_of_data_policy_applies_to_the_next_call(
    engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    from workbench.projects import project_records

    fake = fake_endpoint(engine, fake_server)
    v1, _v2 = make_prompt(engine)
    point(engine, v1, (fake, "fake-large"))
    with reporting(engine, tmp_path / "spool") as reporter:
        prompt = app(engine)
        prompt.complete(**ORDER)
        with session_scope(engine) as session:
            project_records.update_project(
                session, prompt.project_id, actor="ann", sensitivity="confidential"
            )
        with pytest.raises(PolicyBlocked, match="confidential"):
            prompt.complete(**ORDER)
        assert reporter.flush(30).complete
    assert list(figures.served_frame(engine, prompt_id=prompt.prompt_id)["status"]) == ["ok", "error"]


def test_application_threads_call_at_once_through_one_gateway(
    engine: Engine, fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    import threading

    fake = fake_endpoint(engine, fake_server)
    v1, _v2 = make_prompt(engine)
    point(engine, v1, (fake, "fake-large"))
    fake_server.latency = 0.5  # long enough that eight customers asking at once overlap
    answers: list[str] = []
    with reporting(engine, tmp_path / "spool") as reporter:
        prompt = app(engine)

        def customer(n: int) -> None:
            for _ in range(3):
                answers.append(prompt.complete(order_id=str(n)).id)

        threads = [threading.Thread(target=customer, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert reporter.flush(30).complete
    assert len(answers) == 24 and fake_server.max_in_flight > 1  # the calls overlapped
    assert sorted(figures.served_frame(engine, prompt_id=prompt.prompt_id)["uid"]) == sorted(answers)
