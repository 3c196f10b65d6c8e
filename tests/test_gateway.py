"""The one path to a model: every call is checked against the data policy, measured, priced and
stored with its purpose, through the real SDKs against the local fake server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.fakes.server import Behaviour, FakeLLMServer
from workbench.errors import PolicyBlocked
from workbench.models import catalog, endpoints
from workbench.models.gateway import CallRequest, Gateway, ModelTarget
from workbench.models.providers.interface import EndpointConfig
from workbench.models.settings import CallSettings
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs.plan import Cell
from workbench.runs.runner import RunOptions, run_cells
from workbench.store.engine import session_scope
from workbench.store.tables import ModelCall, Output, Run

KEY = "sk-gateway-test-0123456789"
MESSAGES = ({"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."})


def lookup(name: str) -> str | None:
    return KEY if name == "WB_KEY" else None


def target(
    server: FakeLLMServer, provider: str = "openai_compatible", model: str = "fake-large"
) -> ModelTarget:
    base = server.anthropic_base_url if provider == "anthropic" else server.openai_base_url
    config = EndpointConfig(
        name="Fake", provider=provider, base_url=base, api_key_env="WB_KEY", max_retries=0, timeout_s=5
    )
    return ModelTarget(config, model, price_in=3.0, price_out=15.0)


def calls(engine: Engine) -> list[ModelCall]:
    with session_scope(engine) as session:
        return list(session.exec(select(ModelCall).order_by(ModelCall.id)))  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ["openai_compatible", "anthropic"])
def test_a_call_is_measured_priced_and_stored_with_its_purpose(
    engine: Engine, fake_server: FakeLLMServer, provider: str
) -> None:
    request = CallRequest(
        target(fake_server, provider), MESSAGES, CallSettings(temperature=0.1, max_tokens=40), purpose="judge"
    )
    result = Gateway(engine, lookup=lookup).call_sync(request)
    assert result.ok and result.text and result.tokens_in and result.tokens_out
    assert result.cost_usd == pytest.approx((result.tokens_in * 3.0 + result.tokens_out * 15.0) / 1e6)
    assert result.latency_ms is not None and result.latency_ms > 0
    (row,) = calls(engine)
    assert (row.purpose, row.model_name, row.status, row.text) == ("judge", "fake-large", "ok", result.text)
    assert row.messages == [dict(m) for m in MESSAGES] and row.params == {
        "temperature": 0.1,
        "max_tokens": 40,
    }
    body = fake_server.chat_requests()[-1].body
    assert body is not None and body["temperature"] == 0.1


def test_a_call_the_policy_blocks_never_reaches_the_provider_and_is_stored(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    hr = next(p for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    with session_scope(seeded_engine) as session:
        project_records.update_project(session, hr.project_id, actor="t", sensitivity="restricted")
    outside = target(fake_server)  # "Fake" is not on the HR project's allowed endpoints
    request = CallRequest(outside, MESSAGES, purpose="improve", project_id=hr.project_id, actor="ann")
    result = Gateway(seeded_engine, lookup=lookup).call_sync(request)
    assert result.status == "error" and result.error_kind == "policy"
    assert "not on its allowed endpoints" in (result.error_message or "")
    assert fake_server.chat_requests() == []
    with pytest.raises(PolicyBlocked):
        result.raise_for_failure()
    (row,) = calls(seeded_engine)
    assert (row.purpose, row.actor, row.project_id, row.error_kind) == (
        "improve",
        "ann",
        hr.project_id,
        "policy",
    )


def test_settings_a_provider_refuses_fail_before_sending(engine: Engine, fake_server: FakeLLMServer) -> None:
    hot = CallRequest(target(fake_server, "anthropic"), MESSAGES, CallSettings(temperature=1.5))
    result = Gateway(engine, lookup=lookup).call_sync(hot)
    assert result.error_kind == "config" and "0 to 1" in (result.error_message or "")
    assert fake_server.chat_requests() == []


def test_failures_are_stored_without_the_key(engine: Engine, fake_server: FakeLLMServer) -> None:
    fake_server.keys = frozenset({"another-key"})
    result = Gateway(engine, lookup=lookup).call_sync(CallRequest(target(fake_server), MESSAGES))
    assert result.error_kind == "auth" and KEY not in (result.error_message or "")
    (row,) = calls(engine)
    assert row.status == "error" and KEY not in json.dumps(row.model_dump(mode="json"))


def test_a_connection_test_is_a_recorded_call(engine: Engine, fake_server: FakeLLMServer) -> None:
    verdict = catalog.check_connection(engine, target(fake_server).endpoint, lookup, actor="ann")
    assert verdict.ok and "fake-large" in verdict.models
    (row,) = calls(engine)
    assert (row.purpose, row.actor, row.status) == ("connection_test", "ann", "ok")


def test_cells_with_their_own_messages_run_without_a_version(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    endpoint = endpoints.add_endpoint(
        seeded_engine,
        actor="t",
        name="Fake",
        provider="openai_compatible",
        base_url=fake_server.openai_base_url,
        api_key_env="WB_KEY",
        max_retries=0,
    )
    model = endpoints.add_model(seeded_engine, actor="t", endpoint_id=endpoint.id, model="fake-large")  # type: ignore[arg-type]
    project = project_records.list_projects(seeded_engine)[0]
    with session_scope(seeded_engine) as session:
        project_records.update_project(session, project.id, actor="t", sensitivity="public")  # type: ignore[arg-type]
    cells = [
        Cell(None, model.id, {}, messages=MESSAGES, row_index=i)  # type: ignore[arg-type]
        for i in range(3)
    ]
    report = run_cells(
        seeded_engine,
        cells,
        RunOptions(project_id=project.id, actor="t", kind="generate"),
        lookup=lookup,  # type: ignore[arg-type]
    )
    assert [o.status for o in report.outputs] == ["ok"] * 3
    with session_scope(seeded_engine) as session:
        run = session.get(Run, report.run_id)
        stored: list[Any] = list(session.exec(select(Output).where(Output.run_id == report.run_id)))
    assert run is not None and run.kind == "generate" and run.prompt_version_id is None
    assert all(o.prompt_version_id is None and o.messages == [dict(m) for m in MESSAGES] for o in stored)


def test_a_cell_with_neither_version_nor_messages_is_stored_as_a_problem(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    echo = next(m for m in endpoints.list_models(seeded_engine) if m.model == "echo")
    project = project_records.list_projects(seeded_engine)[0]
    report = run_cells(
        seeded_engine,
        [Cell(None, echo.id, {})],
        RunOptions(project_id=project.id, actor="t"),
        lookup=lookup,  # type: ignore[arg-type]
    )
    assert report.outputs[0].status == "error" and "does not exist" in (report.outputs[0].error_message or "")


def test_a_streamed_call_reports_its_deltas_and_first_token(
    engine: Engine, fake_server: FakeLLMServer
) -> None:
    fake_server.enqueue(Behaviour(text="one two three four"))
    seen: list[str] = []

    async def go() -> Any:
        async with Gateway(engine, lookup=lookup) as gateway:
            return await gateway.call(
                CallRequest(target(fake_server), MESSAGES), stream=True, on_delta=seen.append
            )

    from workbench.aio import run_sync

    result = run_sync(go())
    assert result.ok and "".join(seen) == result.text == "one two three four"
    assert result.ttft_ms is not None and result.ttft_ms <= result.latency_ms
