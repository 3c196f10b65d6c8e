"""A local fake LLM provider speaking the OpenAI and Anthropic wire protocols over real HTTP.

It binds 127.0.0.1 on a free port. The official SDKs are pointed at it by base URL:
``OpenAI(base_url=server.openai_base_url)`` and ``Anthropic(base_url=server.anthropic_base_url)``.

Endpoints: ``POST /v1/chat/completions`` (OpenAI, JSON or SSE stream with usage chunk and
``[DONE]``), ``POST /v1/messages`` (Anthropic, JSON or the real SSE event sequence),
``GET /v1/models`` (answers in the caller's dialect), ``GET /health``.

Failure modes, chosen per request by model name so that a person in the browser can pick
them too, or queued with ``server.enqueue(...)`` for the next requests:

==================  ======================================================================
model name          behaviour
==================  ======================================================================
``fake-429``        429 with ``Retry-After`` (``retry_after`` knob, default 0)
``fake-500``        500 internal error
``fake-timeout``    holds the request ``hang_seconds`` (default 30) before answering
``fake-slow``       streams one token every 0.2 s
``fake-garbage``    200 with a body that is not JSON (or not JSON events when streaming)
``fake-drop``       streams a few tokens, then drops the connection mid-stream
``fake-lazy``       answers, but with a generic unhelpful reply
(not in ``models``) 404 model not found
==================  ======================================================================

Keys: ``Authorization: Bearer <key>`` or ``x-api-key: <key>``. A missing key, or one starting
with ``bad`` or ``invalid``, gets 401; with ``keys={...}`` only those keys pass. Like OpenAI, the
401 message echoes the refused key partly masked, so tests can prove it is never stored.

Concurrency: ``server.max_in_flight`` (and ``max_in_flight_by_model``) is the most chat requests
that were being answered at the same moment since the last ``reset()``.

Run it by hand for a manual session: ``python -m tests.fakes.server --port 8787``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.replies import answer, count_tokens

BEHAVIOUR_MODELS = ("fake-429", "fake-500", "fake-timeout", "fake-slow", "fake-garbage", "fake-drop")
DEFAULT_MODELS = (
    "fake-large",
    "fake-small",
    "fake-lazy",
    *BEHAVIOUR_MODELS,
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
    "llama3.1",
)


@dataclass
class RecordedRequest:
    """One request as received; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


@dataclass
class Behaviour:
    """A scripted answer for one request (see ``FakeLLMServer.enqueue``)."""

    status: int = 200
    retry_after: float | None = None
    garbage: bool = False
    drop_after_tokens: int | None = None
    hang_seconds: float = 0.0
    text: str | None = None
    token_delay: float | None = None


@dataclass
class _Knobs:
    latency: float = 0.0
    token_delay: float = 0.0
    retry_after: float = 0.0
    hang_seconds: float = 30.0
    models: tuple[str, ...] = DEFAULT_MODELS
    keys: frozenset[str] | None = None
    script: deque[Behaviour] = field(default_factory=deque)


def _tokens(text: str) -> list[str]:
    """Split a reply into stream chunks that rejoin to exactly ``text``."""
    out: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch == " ":
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out or [""]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as production HTTP servers set it: a response goes out in several small writes
    # (headers, then each chunk), and with Nagle's algorithm each write after the first waited
    # for the client's delayed ACK, about 40 ms per call, which the benchmarks counted as ours.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        pass

    # ---- plumbing -------------------------------------------------------------------------
    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return {"_unparsed": raw.decode("utf-8", "replace")}

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._send_raw(status, data, "application/json", headers)

    def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Cut the connection without finishing the chunked body."""
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def _sleep(self, seconds: float) -> None:
        self.server.stopping.wait(seconds)

    # ---- routing --------------------------------------------------------------------------
    def do_GET(self) -> None:
        self.server.record(RecordedRequest("GET", self.path, self._headers(), None))
        path = self.path.split("?")[0].rstrip("/")
        if path.startswith("/health"):
            self._send_json(200, {"ok": True})
            return
        if path.endswith("/v1/models"):
            if not self._authorised(anthropic=self._is_anthropic()):
                return
            self._models()
            return
        self._send_json(404, {"error": {"message": f"No route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        body = self._read_body()
        self.server.record(RecordedRequest("POST", self.path, self._headers(), body))
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/v1/chat/completions"):
            self._chat(body or {}, anthropic=False)
        elif path.endswith("/v1/messages"):
            self._chat(body or {}, anthropic=True)
        else:
            self._send_json(404, {"error": {"message": f"No route {self.path}", "type": "not_found"}})

    def _chat(self, body: dict[str, Any], anthropic: bool) -> None:
        model = str(body.get("model", ""))
        self.server.entered(model)
        try:
            self._answer(body, anthropic)
        finally:
            self.server.left(model)

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _is_anthropic(self) -> bool:
        return "anthropic-version" in {k.lower() for k in self.headers}

    def _key(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        if auth.lower().startswith("bearer "):
            return auth[7:].strip() or None
        return self.headers.get("x-api-key") or None

    def _error(
        self, anthropic: bool, status: int, etype: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        if anthropic:
            payload: dict[str, Any] = {"type": "error", "error": {"type": etype, "message": message}}
        else:
            payload = {"error": {"message": message, "type": etype, "code": etype, "param": None}}
        self._send_json(status, payload, headers)

    def _authorised(self, anthropic: bool) -> bool:
        key = self._key()
        knobs = self.server.knobs
        ok = key is not None and not key.startswith(("bad", "invalid"))
        if ok and knobs.keys is not None:
            ok = key in knobs.keys
        if not ok:
            etype = "authentication_error" if anthropic else "invalid_api_key"
            shown = f": {key[:8]}{'*' * 20}{key[-4:]}" if key and len(key) > 12 else ""
            self._error(anthropic, 401, etype, f"Incorrect API key provided{shown}.")
        return ok

    def _models(self) -> None:
        models = self.server.knobs.models
        if self._is_anthropic():
            data = [
                {"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                for m in models
            ]
            self._send_json(
                200, {"data": data, "has_more": False, "first_id": models[0], "last_id": models[-1]}
            )
        else:
            data = [{"id": m, "object": "model", "created": 1735689600, "owned_by": "fake"} for m in models]
            self._send_json(200, {"object": "list", "data": data})

    # ---- chat -----------------------------------------------------------------------------
    def _behaviour(self, model: str) -> Behaviour:
        scripted = self.server.next_scripted()
        if scripted is not None:
            return scripted
        knobs = self.server.knobs
        if model == "fake-429":
            return Behaviour(status=429, retry_after=knobs.retry_after)
        if model == "fake-500":
            return Behaviour(status=500)
        if model == "fake-timeout":
            return Behaviour(hang_seconds=knobs.hang_seconds)
        if model == "fake-slow":
            return Behaviour(token_delay=0.2)
        if model == "fake-garbage":
            return Behaviour(garbage=True)
        if model == "fake-drop":
            return Behaviour(drop_after_tokens=3)
        return Behaviour()

    def _answer(self, body: dict[str, Any], anthropic: bool) -> None:
        if not self._authorised(anthropic):
            return
        knobs = self.server.knobs
        model = str(body.get("model", ""))
        messages = list(body.get("messages") or [])
        if anthropic and body.get("system"):
            system = body["system"]
            if isinstance(system, list):
                system = "".join(block.get("text", "") for block in system)
            messages.insert(0, {"role": "system", "content": system})
        messages = [
            {"role": m.get("role", "user"), "content": _content_text(m.get("content"))} for m in messages
        ]
        if model not in knobs.models:
            etype = "not_found_error" if anthropic else "model_not_found"
            self._error(
                anthropic, 404, etype, f"The model '{model}' does not exist or you do not have access to it."
            )
            return
        behaviour = self._behaviour(model)
        if behaviour.hang_seconds:
            self._sleep(behaviour.hang_seconds)
        if behaviour.status == 429:
            headers = {}
            if behaviour.retry_after is not None:
                headers["Retry-After"] = f"{behaviour.retry_after:g}"
            etype = "rate_limit_error" if anthropic else "rate_limit_exceeded"
            self._error(anthropic, 429, etype, "Rate limit reached. Please slow down.", headers)
            return
        if behaviour.status >= 400:
            etype = "api_error" if anthropic else "server_error"
            self._error(
                anthropic, behaviour.status, etype, "The server had an error while processing your request."
            )
            return
        self._sleep(knobs.latency)
        text = behaviour.text if behaviour.text is not None else answer(model, messages)
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        pieces = _tokens(text)
        finish = "stop"
        if isinstance(limit, int) and limit > 0 and count_tokens(text) > limit:
            # Truncate to roughly ``limit`` tokens and say so, like a real model would.
            kept: list[str] = []
            for piece in pieces:
                if count_tokens("".join([*kept, piece])) > limit:
                    break
                kept.append(piece)
            pieces = kept or pieces[:1]
            text = "".join(pieces)
            finish = "length"
        tokens_in = sum(count_tokens(m["content"]) for m in messages)
        tokens_out = count_tokens(text)
        delay = behaviour.token_delay if behaviour.token_delay is not None else knobs.token_delay
        if body.get("stream"):
            stream = self._anthropic_stream if anthropic else self._openai_stream
            stream(model, pieces, finish, tokens_in, tokens_out, delay, behaviour, body)
            return
        if behaviour.garbage:
            self._send_raw(200, b"<html><body>502 Bad Gateway (upstream proxy)</body>", "application/json")
            return
        if anthropic:
            self._send_json(200, _anthropic_message(model, text, finish, tokens_in, tokens_out))
        else:
            self._send_json(200, _openai_completion(model, text, finish, tokens_in, tokens_out))

    def _openai_stream(self, model, pieces, finish, tokens_in, tokens_out, delay, behaviour, body) -> None:  # type: ignore[no-untyped-def]
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def event(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
            payload = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": choices,
            }
            if usage is not None:
                payload["usage"] = usage
            return f"data: {json.dumps(payload)}\n\n".encode()

        self._start_stream()
        if behaviour.garbage:
            self._chunk(b"data: {this is not json\n\n")
            self._chunk(b"data: [DONE]\n\n")
            self._end_chunks()
            return
        self._chunk(
            event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        )
        for i, piece in enumerate(pieces):
            if behaviour.drop_after_tokens is not None and i >= behaviour.drop_after_tokens:
                self._drop()
                return
            if delay:
                self._sleep(delay)
            self._chunk(event([{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
        self._chunk(event([{"index": 0, "delta": {}, "finish_reason": finish}]))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            }
            self._chunk(event([], usage))
        self._chunk(b"data: [DONE]\n\n")
        self._end_chunks()

    def _anthropic_stream(self, model, pieces, finish, tokens_in, tokens_out, delay, behaviour, body) -> None:  # type: ignore[no-untyped-def]
        def event(name: str, payload: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()

        self._start_stream()
        if behaviour.garbage:
            self._chunk(b"event: message_start\ndata: {not json at all\n\n")
            self._end_chunks()
            return
        start = _anthropic_message(model, "", None, tokens_in, 1)
        start["content"] = []
        self._chunk(event("message_start", {"type": "message_start", "message": start}))
        self._chunk(
            event(
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            )
        )
        self._chunk(event("ping", {"type": "ping"}))
        for i, piece in enumerate(pieces):
            if behaviour.drop_after_tokens is not None and i >= behaviour.drop_after_tokens:
                self._drop()
                return
            if delay:
                self._sleep(delay)
            self._chunk(
                event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "text_delta", "text": piece},
                    },
                )
            )
        self._chunk(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        stop_reason = "max_tokens" if finish == "length" else "end_turn"
        self._chunk(
            event(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                    "usage": {"output_tokens": tokens_out},
                },
            )
        )
        self._chunk(event("message_stop", {"type": "message_stop"}))
        self._end_chunks()


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _openai_completion(model: str, text: str, finish: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


def _anthropic_message(
    model: str, text: str, finish: str | None, tokens_in: int, tokens_out: int
) -> dict[str, Any]:
    stop = None if finish is None else ("max_tokens" if finish == "length" else "end_turn")
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], knobs: _Knobs) -> None:
        super().__init__(address, _Handler)
        self.knobs = knobs
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight = 0
        self.max_in_flight_by_model: dict[str, int] = {}

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (timeouts, cancelled streams) is expected here, not an error.
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def entered(self, model: str) -> None:
        with self._lock:
            self.in_flight[model] = self.in_flight.get(model, 0) + 1
            by_model = self.max_in_flight_by_model
            by_model[model] = max(by_model.get(model, 0), self.in_flight[model])
            self.max_in_flight = max(self.max_in_flight, sum(self.in_flight.values()))

    def left(self, model: str) -> None:
        with self._lock:
            self.in_flight[model] -= 1

    def next_scripted(self) -> Behaviour | None:
        with self._lock:
            return self.knobs.script.popleft() if self.knobs.script else None


class FakeLLMServer:
    """Start with ``with FakeLLMServer(latency=0.2) as server: ...`` or ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        token_delay: float = 0.0,
        retry_after: float = 0.0,
        hang_seconds: float = 30.0,
        models: tuple[str, ...] = DEFAULT_MODELS,
        keys: set[str] | None = None,
    ) -> None:
        self.knobs = _Knobs(
            latency=latency,
            token_delay=token_delay,
            retry_after=retry_after,
            hang_seconds=hang_seconds,
            models=tuple(models),
            keys=frozenset(keys) if keys is not None else None,
        )
        self._server = _Server((host, port), self.knobs)
        self._thread: threading.Thread | None = None

    # Knobs are plain attributes so a test can change them between calls.
    def __getattr__(self, name: str) -> Any:
        knobs = self.__dict__.get("knobs")
        if knobs is not None and hasattr(knobs, name):
            return getattr(knobs, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        knobs = self.__dict__.get("knobs")
        if knobs is not None and name in _Knobs.__dataclass_fields__:
            setattr(knobs, name, value)
        else:
            super().__setattr__(name, value)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._server.requests

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    def enqueue(self, *behaviours: Behaviour) -> None:
        """Script the next requests' answers, in order, whatever their model."""
        with self._server._lock:
            self.knobs.script.extend(behaviours)

    @property
    def max_in_flight(self) -> int:
        """Most chat requests answered at the same moment since the last ``reset()``."""
        return self._server.max_in_flight

    @property
    def max_in_flight_by_model(self) -> dict[str, int]:
        return dict(self._server.max_in_flight_by_model)

    def reset(self) -> None:
        with self._server._lock:
            self.knobs.script.clear()
            self._server.requests.clear()
            self._server.max_in_flight = 0
            self._server.max_in_flight_by_model.clear()

    def start(self) -> FakeLLMServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-llm-server",
            daemon=True,
        )
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Started and not stopped: its thread still serves."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake OpenAI/Anthropic server for manual sessions.")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds before the first token")
    parser.add_argument("--token-delay", type=float, default=0.03, help="seconds between streamed tokens")
    args = parser.parse_args()
    server = FakeLLMServer(port=args.port, latency=args.latency, token_delay=args.token_delay).start()
    print(
        f"Fake provider server on {server.url}  (OpenAI base URL {server.openai_base_url}, "
        f"Anthropic base URL {server.anthropic_base_url}). Ctrl+C stops it.",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
