"""Anthropic Messages API through the official ``anthropic`` SDK.

The SDK (about three seconds to import here) is imported when the first client is built, so the
class's metadata costs nothing to read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from workbench.errors import AuthError, StreamInterrupted
from workbench.models.providers.interface import (
    ChatRequest,
    Completion,
    Provider,
    StreamEvent,
    TextDelta,
    shared_tls_context,
)
from workbench.models.providers.sdk_errors import translate

if TYPE_CHECKING:
    import anthropic


class AnthropicProvider(Provider):
    name = "anthropic"
    label = "Anthropic"
    default_key_env = "ANTHROPIC_API_KEY"
    fallback_models: ClassVar[tuple[str, ...]] = (
        "claude-opus-4-1",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
    )
    max_temperature = 1.0
    base_url_hint = (
        "an Anthropic base URL has no /v1 at the end (the SDK adds it), e.g. https://api.anthropic.com"
    )

    sdk_module = "anthropic"
    # Built on first use and dropped by ``aclose`` (the annotation only: ``getattr`` reads it).
    _client_instance: anthropic.AsyncAnthropic | None

    @staticmethod
    def _sdk() -> Any:
        import anthropic

        return anthropic

    def _client(self) -> anthropic.AsyncAnthropic:
        client = getattr(self, "_client_instance", None)
        if client is None:
            import anthropic
            import httpx2

            if not self.api_key:
                raise AuthError(self.missing_key_message(), provider=self.config.name)
            client = anthropic.AsyncAnthropic(
                api_key=self.api_key,
                base_url=self.config.base_url or None,
                timeout=httpx2.Timeout(self.config.timeout_s, connect=min(5.0, self.config.timeout_s)),
                max_retries=self.config.max_retries,
                http_client=anthropic.DefaultAsyncHttpxClient(verify=shared_tls_context()),
            )
            self._client_instance = client
        return client

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        settings = request.settings
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": settings.max_tokens,
            "messages": request.conversation,
        }
        if request.system:
            params["system"] = request.system
        # SDK 1.0 removed sampling keywords from the typed signature; the API still takes them
        # on models that support sampling, so they ride in extra_body, and only when set.
        sampling = {"temperature": settings.temperature, "top_p": settings.top_p}
        sampling = {k: v for k, v in sampling.items() if v is not None}
        if sampling:
            params["extra_body"] = sampling
        if settings.stop:
            params["stop_sequences"] = list(settings.stop)
        return params

    async def complete(self, request: ChatRequest) -> Completion:
        try:
            message = await self._client().messages.create(**self._params(request))
        except AuthError:
            raise
        except Exception as exc:
            raise translate(exc, self, request.model, self._sdk()) from None
        text = "".join(getattr(block, "text", "") for block in message.content)
        return Completion(
            text=text,
            tokens_in=message.usage.input_tokens,
            tokens_out=message.usage.output_tokens,
            finish_reason=message.stop_reason,
            model=message.model,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Stream through the SDK's client (auth, retries, timeouts, SSE, error events) with events
        left as plain dicts, not the ``messages.stream()`` helper: the helper rebuilds a message
        snapshot on every event and typed events cost a third of a call's CPU, while only the
        text deltas, the stop reason and the usage are read."""
        parts: list[str] = []
        stop_reason: str | None = None
        tokens_in: int | None = None
        tokens_out: int | None = None
        model: str | None = None
        params = self._params(request)
        body = {**{k: v for k, v in params.items() if k != "extra_body"}, **params.get("extra_body", {})}
        try:
            response = await self._client().post(
                "/v1/messages",
                body={**body, "stream": True},
                cast_to=object,
                stream=True,
                stream_cls=self._sdk().AsyncStream[object],
            )
            async with response as events:
                async for event in events:
                    kind = event.get("type") if isinstance(event, dict) else None
                    if kind == "content_block_delta" and event["delta"].get("type") == "text_delta":
                        parts.append(event["delta"]["text"])
                        yield TextDelta(event["delta"]["text"])
                    elif kind == "message_start":
                        model = event["message"].get("model")
                        tokens_in = (event["message"].get("usage") or {}).get("input_tokens")
                    elif kind == "message_delta":
                        stop_reason = (event.get("delta") or {}).get("stop_reason") or stop_reason
                        tokens_out = (event.get("usage") or {}).get("output_tokens", tokens_out)
        except AuthError:
            raise
        except Exception as exc:
            raise translate(exc, self, request.model, self._sdk(), "".join(parts)) from None
        if stop_reason is None:
            raise StreamInterrupted(
                f"{self.config.name}: the stream ended before the model finished. The partial text is kept; "
                "run again to get a full answer.",
                partial_text="".join(parts),
                provider=self.config.name,
                retryable=True,
            )
        yield Completion(
            text="".join(parts),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            finish_reason=stop_reason,
            model=model,
        )

    async def list_models(self) -> list[str]:
        try:
            page = await self._client().models.list(limit=100)
            return sorted(m.id for m in page.data)
        except AuthError:
            raise
        except Exception as exc:
            raise translate(exc, self, "", self._sdk()) from None

    async def aclose(self) -> None:
        client = getattr(self, "_client_instance", None)
        if client is not None:
            await client.close()
            self._client_instance = None
