"""Provider adapters through the official SDKs against the local fake server (no mocks)."""

from __future__ import annotations

import socket
from collections.abc import Coroutine
from typing import Any

import pytest

from tests.fakes.server import Behaviour, FakeLLMServer
from workbench.aio import run_sync
from workbench.errors import (
    AuthError,
    BadResponse,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamInterrupted,
    UnknownModel,
)
from workbench.models.providers import ChatRequest, Completion, EndpointConfig, TextDelta, build_provider
from workbench.models.providers.interface import redact
from workbench.models.settings import CallSettings

SENTINEL = "sk-SENTINEL-0123456789abcdef"
HANDBOOK = "Employees get 25 days of paid time off per year."
MESSAGES = [{"role": "system", "content": HANDBOOK}, {"role": "user", "content": "How much paid time off?"}]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return run_sync(coro)


def config(server: FakeLLMServer, provider: str, **overrides: Any) -> EndpointConfig:
    base = server.anthropic_base_url if provider == "anthropic" else server.openai_base_url
    values: dict[str, Any] = {
        "name": f"test-{provider}",
        "provider": provider,
        "base_url": base,
        "api_key_env": "WB_TEST_KEY",
        "timeout_s": 5,
        "max_retries": 0,
    }
    values.update(overrides)
    return EndpointConfig(**values)


def lookup(value: str | None = SENTINEL):
    return lambda name: value if name == "WB_TEST_KEY" else None


async def collect(provider, request: ChatRequest) -> tuple[list[str], Completion]:
    deltas: list[str] = []
    final = None
    async with provider:
        async for event in provider.stream(request):
            if isinstance(event, TextDelta):
                deltas.append(event.text)
            else:
                final = event
    assert final is not None
    return deltas, final


async def complete(provider, request: ChatRequest) -> Completion:
    async with provider:
        return await provider.complete(request)


PROVIDERS = ["openai", "anthropic", "openai_compatible"]


@pytest.mark.parametrize("kind", PROVIDERS)
def test_stream_yields_deltas_and_a_completion_with_usage(fake_server: FakeLLMServer, kind: str) -> None:
    provider = build_provider(config(fake_server, kind), lookup())
    deltas, final = run(
        collect(
            provider,
            ChatRequest(model="fake-large", messages=MESSAGES, settings=CallSettings(max_tokens=200)),
        )
    )
    assert len(deltas) > 3 and "".join(deltas) == final.text
    assert "25 days" in final.text
    assert final.tokens_in and final.tokens_out and final.finish_reason in {"stop", "end_turn"}


@pytest.mark.parametrize("kind", PROVIDERS)
def test_complete_without_streaming(fake_server: FakeLLMServer, kind: str) -> None:
    provider = build_provider(config(fake_server, kind), lookup())
    final = run(
        complete(
            provider,
            ChatRequest(model="fake-large", messages=MESSAGES, settings=CallSettings(temperature=0.1)),
        )
    )
    assert "25 days" in final.text and final.tokens_out
    body = fake_server.chat_requests()[-1].body
    assert body["temperature"] == 0.1 and not body.get("stream")


def test_system_message_goes_to_anthropic_system_field(fake_server: FakeLLMServer) -> None:
    run(
        complete(
            build_provider(config(fake_server, "anthropic"), lookup()), ChatRequest("fake-small", MESSAGES)
        )
    )
    body = fake_server.chat_requests()[-1].body
    assert body["system"] == HANDBOOK and all(m["role"] != "system" for m in body["messages"])


def test_openai_uses_max_completion_tokens_compatible_uses_max_tokens(fake_server: FakeLLMServer) -> None:
    run(
        complete(
            build_provider(config(fake_server, "openai"), lookup()),
            ChatRequest("fake-small", MESSAGES, CallSettings(max_tokens=77)),
        )
    )
    assert fake_server.chat_requests()[-1].body["max_completion_tokens"] == 77
    run(
        complete(
            build_provider(config(fake_server, "openai_compatible"), lookup()),
            ChatRequest("fake-small", MESSAGES, CallSettings(max_tokens=66)),
        )
    )
    assert fake_server.chat_requests()[-1].body["max_tokens"] == 66


def test_key_is_sent_as_bearer_and_never_stored_on_the_config(fake_server: FakeLLMServer) -> None:
    cfg = config(fake_server, "openai")
    run(complete(build_provider(cfg, lookup()), ChatRequest("fake-small", MESSAGES)))
    assert fake_server.chat_requests()[-1].headers.get("authorization") == f"Bearer {SENTINEL}"
    assert SENTINEL not in repr(cfg)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_missing_key_names_the_variable_to_set(fake_server: FakeLLMServer, kind: str) -> None:
    provider = build_provider(config(fake_server, kind), lookup(None))
    with pytest.raises(AuthError, match="Set WB_TEST_KEY"):
        run(complete(provider, ChatRequest("fake-small", MESSAGES)))
    assert fake_server.chat_requests() == []


def test_compatible_endpoint_without_key_variable_needs_no_key(fake_server: FakeLLMServer) -> None:
    provider = build_provider(config(fake_server, "openai_compatible", api_key_env=None), lookup(None))
    assert run(complete(provider, ChatRequest("fake-small", MESSAGES))).text


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_refused_key_is_an_auth_error_without_the_key(
    fake_server: FakeLLMServer, kind: str, stream: bool
) -> None:
    fake_server.keys = {"the-right-key"}
    provider = build_provider(config(fake_server, kind), lookup())
    call = collect if stream else complete
    with pytest.raises(AuthError) as info:
        run(call(provider, ChatRequest("fake-small", MESSAGES)))
    assert "WB_TEST_KEY" in str(info.value) and SENTINEL not in str(info.value)
    assert SENTINEL[:8] not in str(info.value)  # the server echoed a masked fragment of it


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_unknown_model(fake_server: FakeLLMServer, kind: str, stream: bool) -> None:
    call = collect if stream else complete
    with pytest.raises(UnknownModel, match="no-such-model") as info:
        run(call(build_provider(config(fake_server, kind), lookup()), ChatRequest("no-such-model", MESSAGES)))
    assert "Pick a model" in str(info.value)


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_rate_limit_outlasting_retries(fake_server: FakeLLMServer, kind: str, stream: bool) -> None:
    provider = build_provider(config(fake_server, kind, max_retries=1), lookup())
    call = collect if stream else complete
    with pytest.raises(RateLimited, match="after 1 retries") as info:
        run(call(provider, ChatRequest("fake-429", MESSAGES)))
    assert "lower the endpoint's concurrency" in str(info.value)
    assert len(fake_server.chat_requests()) == 2  # the SDK's own retry, no extra ones of ours


def test_rate_limit_recovered_by_sdk_retry(fake_server: FakeLLMServer) -> None:
    fake_server.enqueue(Behaviour(status=429, retry_after=0))
    provider = build_provider(config(fake_server, "anthropic", max_retries=2), lookup())
    _, final = run(collect(provider, ChatRequest("fake-large", MESSAGES)))
    assert "25 days" in final.text


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_server_error(fake_server: FakeLLMServer, kind: str, stream: bool) -> None:
    call = collect if stream else complete
    with pytest.raises(ProviderUnavailable, match="500"):
        run(call(build_provider(config(fake_server, kind), lookup()), ChatRequest("fake-500", MESSAGES)))


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_timeout(fake_server: FakeLLMServer, kind: str, stream: bool) -> None:
    fake_server.hang_seconds = 1
    provider = build_provider(config(fake_server, kind, timeout_s=0.3), lookup())
    call = collect if stream else complete
    with pytest.raises(ProviderTimeout, match=r"no answer within 0\.3 s") as info:
        run(call(provider, ChatRequest("fake-timeout", MESSAGES)))
    assert "raise the endpoint's timeout in Settings" in str(info.value)


@pytest.mark.parametrize("kind", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_malformed_body(fake_server: FakeLLMServer, kind: str, stream: bool) -> None:
    call = collect if stream else complete
    with pytest.raises(BadResponse, match="not valid JSON"):
        run(call(build_provider(config(fake_server, kind), lookup()), ChatRequest("fake-garbage", MESSAGES)))


@pytest.mark.parametrize("kind", PROVIDERS)
def test_stream_cut_midway_keeps_partial_text(fake_server: FakeLLMServer, kind: str) -> None:
    provider = build_provider(config(fake_server, kind), lookup())
    with pytest.raises(StreamInterrupted) as info:
        run(collect(provider, ChatRequest("fake-drop", MESSAGES)))
    assert info.value.partial_text and len(info.value.partial_text.split()) <= 3
    assert "partial text is kept" in str(info.value)


@pytest.mark.parametrize("kind", PROVIDERS)
def test_unreachable_server(kind: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = EndpointConfig(
        name="gone",
        provider=kind,
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key_env="WB_TEST_KEY",
        timeout_s=2,
        max_retries=0,
    )
    with pytest.raises(ProviderUnavailable, match="cannot reach"):
        run(complete(build_provider(cfg, lookup()), ChatRequest("fake-small", MESSAGES)))


@pytest.mark.parametrize("kind", PROVIDERS)
def test_list_models_from_the_models_api(fake_server: FakeLLMServer, kind: str) -> None:
    async def models() -> list[str]:
        async with build_provider(config(fake_server, kind), lookup()) as provider:
            return await provider.list_models()

    assert "fake-large" in run(models())


def test_echo_returns_the_rendered_prompt_with_figures() -> None:
    provider = build_provider(EndpointConfig(name="Echo", provider="echo"))
    deltas, final = run(collect(provider, ChatRequest("echo", MESSAGES)))
    assert HANDBOOK in final.text and "How much paid time off?" in final.text
    assert len(deltas) > 3 and final.finish_reason == "stop" and final.tokens_in and final.tokens_out
    short = run(
        collect(
            build_provider(EndpointConfig(name="Echo", provider="echo")),
            ChatRequest("echo", MESSAGES, CallSettings(max_tokens=3)),
        )
    )[1]
    assert short.finish_reason == "length" and short.tokens_out <= 3


def test_redact_removes_whole_and_partial_keys() -> None:
    assert redact(f"bad key {SENTINEL}!", SENTINEL) == "bad key ***!"
    assert SENTINEL[:12] not in redact(f"Incorrect API key provided: {SENTINEL[:12]}...", SENTINEL)


@pytest.mark.parametrize("kind", PROVIDERS)
def test_stream_sends_the_same_parameters_as_complete(fake_server: FakeLLMServer, kind: str) -> None:
    request = ChatRequest("fake-small", MESSAGES, CallSettings(temperature=0.3, max_tokens=55))
    run(complete(build_provider(config(fake_server, kind), lookup()), request))
    run(collect(build_provider(config(fake_server, kind), lookup()), request))
    plain, streamed = (r.body for r in fake_server.chat_requests())
    assert streamed.pop("stream") is True and not plain.get("stream")
    streamed.pop("stream_options", None)
    assert streamed == plain
