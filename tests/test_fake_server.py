"""The fake provider server speaks both wire protocols well enough for the official SDKs."""

from __future__ import annotations

import time

import anthropic
import httpx2
import openai
import pytest

from tests.fakes.server import Behaviour, FakeLLMServer

HANDBOOK = "Employees get 25 days of paid time off per year. Sick leave is 10 days."


def oa(server: FakeLLMServer, key: str = "test-key", retries: int = 0) -> openai.OpenAI:
    return openai.OpenAI(api_key=key, base_url=server.openai_base_url, max_retries=retries, timeout=5)


def an(server: FakeLLMServer, key: str = "test-key", retries: int = 0) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        api_key=key, base_url=server.anthropic_base_url, max_retries=retries, timeout=5
    )


def test_openai_non_stream_has_text_usage_and_finish(fake_server: FakeLLMServer) -> None:
    r = oa(fake_server).chat.completions.create(
        model="fake-large",
        messages=[
            {"role": "system", "content": HANDBOOK},
            {"role": "user", "content": "How much paid time off?"},
        ],
    )
    assert "25 days" in r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop"
    assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens > 0
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_openai_stream_sends_deltas_then_usage_then_done(fake_server: FakeLLMServer) -> None:
    stream = oa(fake_server).chat.completions.create(
        model="fake-small",
        messages=[{"role": "user", "content": "Sick leave is 10 days. How much sick leave?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "10 days" in text
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_max_tokens_truncates_with_length_finish(fake_server: FakeLLMServer) -> None:
    r = oa(fake_server).chat.completions.create(
        model="fake-large",
        messages=[{"role": "user", "content": "Tell me everything about it"}],
        max_tokens=3,
    )
    assert r.choices[0].finish_reason == "length"
    assert r.usage.completion_tokens <= 3
    m = an(fake_server).messages.create(
        model="fake-large",
        max_tokens=3,
        messages=[{"role": "user", "content": "Tell me everything about it"}],
    )
    assert m.stop_reason == "max_tokens"


def test_anthropic_non_stream_and_stream(fake_server: FakeLLMServer) -> None:
    client = an(fake_server)
    m = client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=100,
        system=HANDBOOK,
        messages=[{"role": "user", "content": "How much sick leave?"}],
    )
    assert "10 days" in m.content[0].text and m.stop_reason == "end_turn"
    assert m.usage.input_tokens > 0 and m.usage.output_tokens > 0
    with client.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=100,
        system=HANDBOOK,
        messages=[{"role": "user", "content": "How much sick leave?"}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text and final.usage.output_tokens > 0


def test_anthropic_stream_uses_the_real_event_sequence(fake_server: FakeLLMServer) -> None:
    with httpx2.Client() as http:
        response = http.post(
            f"{fake_server.url}/v1/messages",
            headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
            json={
                "model": "fake-small",
                "max_tokens": 50,
                "stream": True,
                "messages": [{"role": "user", "content": "hi there"}],
            },
        )
    events = [line.split(": ", 1)[1] for line in response.text.splitlines() if line.startswith("event: ")]
    assert events[0] == "message_start" and events[1] == "content_block_start"
    assert "content_block_delta" in events
    assert events[-3:] == ["content_block_stop", "message_delta", "message_stop"]


def test_models_endpoint_in_both_dialects(fake_server: FakeLLMServer) -> None:
    assert "fake-large" in [m.id for m in oa(fake_server).models.list()]
    assert "fake-large" in [m.id for m in an(fake_server).models.list()]


@pytest.mark.parametrize("header", ["Authorization", "x-api-key"])
def test_key_accepted_in_either_header(fake_server: FakeLLMServer, header: str) -> None:
    fake_server.keys = {"sekret"}
    value = "Bearer sekret" if header == "Authorization" else "sekret"
    with httpx2.Client() as http:
        ok = http.get(f"{fake_server.url}/v1/models", headers={header: value})
        bad = http.get(f"{fake_server.url}/v1/models", headers={header: value.replace("sekret", "wrong")})
    assert ok.status_code == 200 and bad.status_code == 401


def test_bad_or_missing_key_is_401(fake_server: FakeLLMServer) -> None:
    with pytest.raises(openai.AuthenticationError):
        oa(fake_server, key="bad-key").models.list()
    with pytest.raises(anthropic.AuthenticationError):
        an(fake_server, key="invalid").messages.create(
            model="fake-small", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )


def test_unknown_model_is_404(fake_server: FakeLLMServer) -> None:
    with pytest.raises(openai.NotFoundError):
        oa(fake_server).chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )


def test_429_with_retry_after_is_honoured_by_sdk_retries(fake_server: FakeLLMServer) -> None:
    fake_server.enqueue(Behaviour(status=429, retry_after=0.3))
    start = time.monotonic()
    r = oa(fake_server, retries=2).chat.completions.create(
        model="fake-small", messages=[{"role": "user", "content": "x"}]
    )
    assert r.choices[0].message.content
    assert time.monotonic() - start >= 0.3
    assert [q.headers.get("x-stainless-retry-count") for q in fake_server.chat_requests()] == ["0", "1"]


def test_500_and_rate_limit_models(fake_server: FakeLLMServer) -> None:
    with pytest.raises(openai.InternalServerError):
        oa(fake_server).chat.completions.create(model="fake-500", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.RateLimitError):
        an(fake_server).messages.create(
            model="fake-429", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )


def test_garbage_body_is_not_json(fake_server: FakeLLMServer) -> None:
    with pytest.raises(ValueError):
        oa(fake_server).chat.completions.create(
            model="fake-garbage", messages=[{"role": "user", "content": "x"}]
        )


def test_timeout_knob_holds_the_request(fake_server: FakeLLMServer) -> None:
    fake_server.hang_seconds = 2.0
    client = openai.OpenAI(api_key="k", base_url=fake_server.openai_base_url, max_retries=0, timeout=0.3)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="fake-timeout", messages=[{"role": "user", "content": "x"}])


def test_drop_cuts_the_stream_midway(fake_server: FakeLLMServer) -> None:
    received: list[str] = []
    with pytest.raises((openai.APIConnectionError, httpx2.HTTPError)):
        stream = oa(fake_server).chat.completions.create(
            model="fake-drop",
            messages=[{"role": "user", "content": "one two three four five six"}],
            stream=True,
        )
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert 0 < len(received) <= 3


def test_latency_and_slow_stream_knobs(fake_server: FakeLLMServer) -> None:
    fake_server.latency = 0.2
    start = time.monotonic()
    oa(fake_server).chat.completions.create(model="fake-small", messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - start >= 0.2
    fake_server.latency = 0.0
    fake_server.enqueue(Behaviour(text="a b c d", token_delay=0.1))
    start = time.monotonic()
    stream = oa(fake_server).chat.completions.create(
        model="fake-small", messages=[{"role": "user", "content": "x"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "a b c d"
    assert time.monotonic() - start >= 0.4
