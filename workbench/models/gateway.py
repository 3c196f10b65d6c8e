"""The one path to a model: every call the workbench makes goes through ``Gateway.call``.

Compare and Evaluate (through the runner), the LLM judge, the improver, connection tests, and
whatever later capabilities add all call a model here, so four things hold for every call:

1. **The data policy is checked** on the exact messages, against the project's policy, before
   anything is sent (the offline Echo is never checked). A blocked call is a stored failure of
   kind ``policy`` whose message is the reason; its provider is never called.
2. **The provider is called** through its adapter, with the SDK's own retries and timeouts (set
   per endpoint); nothing here retries again.
3. **Latency, time to first token, tokens and cost** are measured the same way for every call.
4. **What was sent and what came back is stored**, with the call's purpose. A ``Recorder``
   decides where: the runner stores a run's answers as ``Output`` rows (purpose = the run's kind),
   every other call is a ``ModelCall`` row (``CallLog``).

A failed call is data, never an exception: ``CallResult.status`` is ``error``, ``incomplete``
(a stream cut short, partial text kept) or ``cancelled``, with an error kind and a message that
names the fix and never carries the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict

from sqlalchemy import Engine

from workbench.aio import run_sync
from workbench.errors import (
    ConfigError,
    PolicyBlocked,
    ProviderError,
    StreamInterrupted,
    TemplateError,
    WorkbenchError,
    error_of_kind,
)
from workbench.governance import data_policy
from workbench.models.pricing import cost_usd
from workbench.models.providers.interface import (
    ChatRequest,
    Completion,
    EndpointConfig,
    KeyLookup,
    Message,
    Provider,
    TextDelta,
    redact,
)
from workbench.models.providers.registry import build_provider, env_lookup
from workbench.models.settings import CallSettings
from workbench.store.engine import session_scope
from workbench.store.tables import ModelCall, Project

log = logging.getLogger(__name__)

PURPOSES = (
    "compare",
    "eval",
    "generate",
    "judge",
    "improve",
    "optimize",
    "connection_test",
)


@dataclass(frozen=True)
class ModelTarget:
    """Where a call goes: an endpoint, a model id at it, and its prices per million tokens."""

    endpoint: EndpointConfig
    model: str
    price_in: float = 0.0
    price_out: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.endpoint.name} · {self.model}"


@dataclass(frozen=True)
class CallRequest:
    """One call: what is sent, where, with which settings, for what, on whose behalf."""

    target: ModelTarget
    messages: tuple[Message, ...]
    settings: CallSettings = field(default_factory=CallSettings)
    purpose: str = "compare"
    project_id: int | None = None
    actor: str = ""
    evaluation_id: int | None = None

    def chat(self) -> ChatRequest:
        return ChatRequest(model=self.target.model, messages=self.messages, settings=self.settings)


@dataclass
class CallResult:
    """What came back, or why nothing did; ``record`` is what the recorder stored (a row)."""

    status: str = "ok"  # ok | error | incomplete | cancelled
    text: str = ""
    error_kind: str | None = None
    error_message: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    record: Any = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def raise_for_failure(self) -> None:
        """Raise the error this call ended in (for callers that need an answer or nothing)."""
        if not self.ok:
            raise error_of_kind(self.error_kind, self.error_message or f"The call ended '{self.status}'.")

    def figures(self) -> dict[str, Any]:
        """The measured fields, as stored on an ``Output`` or a ``ModelCall`` row."""
        return {
            "latency_ms": self.latency_ms,
            "ttft_ms": self.ttft_ms,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": self.cost_usd,
            "finish_reason": self.finish_reason,
        }


def error_kind(error: WorkbenchError) -> str:
    if isinstance(error, TemplateError):
        return "template"
    return str(getattr(error, "kind", "config"))


def failed(error: WorkbenchError, secret: str | None = None, **figures: Any) -> CallResult:
    """A call that ended in ``error`` (its message stored with any key removed)."""
    return CallResult(
        status="error", error_kind=error_kind(error), error_message=redact(str(error), secret), **figures
    )


class Recorder(Protocol):
    """Stores one call and what came of it; returns the stored row (kept on the result)."""

    async def __call__(self, request: CallRequest, result: CallResult) -> Any: ...


class CallLog:
    """The default recorder: one ``ModelCall`` row per call, in its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def row(self, request: CallRequest, result: CallResult) -> ModelCall:
        return ModelCall(
            purpose=request.purpose,
            project_id=request.project_id,
            evaluation_id=request.evaluation_id,
            actor=request.actor,
            endpoint_name=request.target.endpoint.name,
            provider=request.target.endpoint.provider,
            model_name=request.target.model,
            messages=[dict(m) for m in request.messages],
            params=request.settings.to_dict(),
            text=result.text,
            status=result.status,
            error_kind=result.error_kind,
            error_message=result.error_message,
            **result.figures(),
        )

    def save(self, request: CallRequest, result: CallResult) -> ModelCall:
        with session_scope(self.engine) as session:
            row = self.row(request, result)
            session.add(row)
        return row

    async def __call__(self, request: CallRequest, result: CallResult) -> ModelCall:
        return await asyncio.to_thread(self.save, request, result)


class Gateway:
    """The one path to a model. One gateway serves any number of calls (a run, an evaluation's
    judge, one improver request); it builds one provider per endpoint, with the key looked up
    when the provider is first needed, and closes them in ``aclose``.

    ``lookup`` finds keys by variable name (environment, or the page's secrets); ``recorder``
    stores each call (``CallLog`` by default).
    """

    def __init__(
        self, engine: Engine, *, lookup: KeyLookup = env_lookup, recorder: Recorder | None = None
    ) -> None:
        self.engine = engine
        self.lookup = lookup
        self.recorder: Recorder = recorder or CallLog(engine)
        self._providers: dict[str, Provider] = {}
        self._broken: dict[str, WorkbenchError] = {}
        self._policies: dict[int, data_policy.ProjectPolicy] = {}

    # ---- providers ------------------------------------------------------------------------------

    def provider(self, endpoint: EndpointConfig) -> Provider:
        """The provider for ``endpoint``, built once (its key looked up now, in this thread)."""
        if endpoint.name in self._broken:
            raise self._broken[endpoint.name]
        if endpoint.name not in self._providers:
            try:
                provider = build_provider(endpoint, self.lookup)
            except WorkbenchError as exc:
                self._broken[endpoint.name] = exc
                raise
            provider.preload()
            self._providers[endpoint.name] = provider
        return self._providers[endpoint.name]

    def adopt(self, providers: Mapping[str, Provider]) -> None:
        """Use providers built elsewhere (a run prepares them in the page's thread)."""
        self._providers.update(providers)

    async def aclose(self) -> None:
        """Close the providers' HTTP clients. The providers stay (with the keys looked up when
        they were built), so the gateway can be used again, on another event loop too."""
        for provider in self._providers.values():
            try:
                await provider.aclose()
            except Exception:
                log.warning("closing %s failed", provider.config.name)

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- the data policy ------------------------------------------------------------------------

    def policy_for(self, project_id: int) -> data_policy.ProjectPolicy:
        """The project's data policy, read once per gateway."""
        if project_id not in self._policies:
            with session_scope(self.engine) as session:
                project = session.get(Project, project_id)
            if project is None:
                raise ConfigError(
                    f"Project {project_id} does not exist, so its data policy cannot be checked."
                )
            self._policies[project_id] = project
        return self._policies[project_id]

    def use_policy(self, project_id: int, policy: data_policy.ProjectPolicy) -> None:
        """Check calls for ``project_id`` against ``policy`` instead of the stored one."""
        self._policies[project_id] = policy

    def blocked(self, request: CallRequest) -> PolicyBlocked | None:
        """Why the project's data policy refuses this call (``None`` when it may go)."""
        endpoint = request.target.endpoint
        if request.project_id is None or data_policy.is_offline(endpoint):
            return None
        decision = data_policy.check_outbound(
            self.policy_for(request.project_id), endpoint, [request.messages]
        )
        return PolicyBlocked(f"Not sent: {decision.reason}") if decision.blocked else None

    # ---- calls --------------------------------------------------------------------------------

    async def call(
        self,
        request: CallRequest,
        *,
        stream: bool = False,
        limit: contextlib.AbstractAsyncContextManager[Any] | None = None,
        on_start: Callable[[], None] | None = None,
        on_delta: Callable[[str], None] | None = None,
    ) -> CallResult:
        """Check, send, measure and store one call. ``limit`` is held only while the provider
        works (a run's concurrency slots); ``on_start`` fires once it is held, ``on_delta`` with
        each piece of streamed text. Cancelling the task stores and returns a ``cancelled``
        result with whatever text had streamed, instead of raising."""
        result = await self._outcome(
            request, stream=stream, limit=limit, on_start=on_start, on_delta=on_delta
        )
        store = asyncio.ensure_future(self.recorder(request, result))
        try:
            result.record = await asyncio.shield(store)
        except asyncio.CancelledError:  # cancelled while storing: the write still completes
            result.record = await store
        return result

    def call_sync(self, request: CallRequest) -> CallResult:
        """``call`` from synchronous code (a page, the CLI); closes the providers afterwards."""

        async def once() -> CallResult:
            try:
                return await self.call(request)
            finally:
                await self.aclose()

        return run_sync(once())

    async def _outcome(
        self,
        request: CallRequest,
        *,
        stream: bool,
        limit: contextlib.AbstractAsyncContextManager[Any] | None,
        on_start: Callable[[], None] | None,
        on_delta: Callable[[str], None] | None,
    ) -> CallResult:
        try:
            refusal = self.blocked(request)
            if refusal is not None:
                return failed(refusal)
            provider = self.provider(request.target.endpoint)
            problem = type(provider).unsupported(request.settings)
            if problem:
                return failed(ConfigError(f"{request.target.endpoint.name}: {problem}"))
        except WorkbenchError as exc:
            return failed(exc)
        timer = _Timer()
        try:
            if not provider.sdk_loaded():  # wait for its import off the event loop: other calls go on
                await asyncio.to_thread(provider.load_sdk)
            async with limit or contextlib.nullcontext():
                if on_start is not None:
                    on_start()
                timer.start()
                if stream:
                    final = await _streamed(provider.stream(request.chat()), timer, on_delta)
                else:
                    final = await provider.complete(request.chat())
                timer.stop()
            return CallResult(
                text=final.text,
                tokens_in=final.tokens_in,
                tokens_out=final.tokens_out,
                finish_reason=final.finish_reason,
                cost_usd=cost_usd(
                    final.tokens_in, final.tokens_out, request.target.price_in, request.target.price_out
                ),
                **timer.figures(),
            )
        except asyncio.CancelledError:
            where = f"after {len(timer.text)} characters" if timer.started else "before it started"
            return CallResult(
                status="cancelled",
                text=timer.text,
                error_kind="cancelled",
                error_message=f"Cancelled {where}. Run again to get this answer.",
                **timer.figures(),
            )
        except StreamInterrupted as exc:
            return CallResult(
                status="incomplete",
                text=exc.partial_text or timer.text,
                error_kind=error_kind(exc),
                error_message=redact(str(exc), provider.api_key),
                **timer.figures(),
            )
        except ProviderError as exc:
            return failed(exc, provider.api_key, **timer.figures())
        except Exception as exc:  # a provider bug must not take other calls down
            log.warning("%s: unexpected %s", request.target.label, type(exc).__name__)
            return CallResult(
                status="error",
                error_kind="internal",
                error_message=redact(
                    f"{request.target.label}: unexpected failure ({type(exc).__name__}: {exc}). Try again; "
                    "if it persists, report it with this message.",
                    provider.api_key,
                ),
                **timer.figures(),
            )

    async def list_models(self, endpoint: EndpointConfig, *, actor: str = "") -> list[str]:
        """The endpoint's models API, asked once (no tokens spent); recorded as a
        ``connection_test`` call. Raises the provider's error, for the caller to word."""
        request = CallRequest(ModelTarget(endpoint, ""), (), purpose="connection_test", actor=actor)
        timer = _Timer()
        timer.start()
        try:
            models = await self.provider(endpoint).list_models()
        except WorkbenchError as exc:
            timer.stop()
            secret = self._providers[endpoint.name].api_key if endpoint.name in self._providers else None
            await self.recorder(request, failed(exc, secret, **timer.figures()))
            raise
        timer.stop()
        text = f"{len(models)} models: {', '.join(models[:50])}"
        await self.recorder(request, CallResult(text=text, **timer.figures()))
        return models


class Timing(TypedDict, total=False):
    """The call's timing fields of a ``CallResult`` (none before the call started)."""

    latency_ms: float | None
    ttft_ms: float | None


class _Timer:
    """When a call started, its first token, its end, and the text streamed so far."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.first_token: float | None = None
        self.ended: float | None = None
        self.parts: list[str] = []

    def start(self) -> None:
        self.started = time.perf_counter()

    def stop(self) -> None:
        self.ended = time.perf_counter()

    def token(self, text: str) -> None:
        self.first_token = self.first_token or time.perf_counter()
        self.parts.append(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def figures(self) -> Timing:
        if self.started is None:
            return {}
        end = self.ended or time.perf_counter()
        return {
            "latency_ms": (end - self.started) * 1000,
            "ttft_ms": (self.first_token - self.started) * 1000 if self.first_token else None,
        }


async def _streamed(
    events: AsyncIterator[TextDelta | Completion], timer: _Timer, on_delta: Callable[[str], None] | None
) -> Completion:
    final: Completion | None = None
    async for event in events:
        if isinstance(event, TextDelta):
            timer.token(event.text)
            if on_delta is not None:
                on_delta(event.text)
        else:
            final = event
    if final is None:
        raise StreamInterrupted("The stream ended without an answer.", partial_text=timer.text)
    return final


def messages_tuple(messages: Sequence[Mapping[str, str]]) -> tuple[Message, ...]:
    return tuple(dict(m) for m in messages)
