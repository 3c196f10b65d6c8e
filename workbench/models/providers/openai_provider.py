"""OpenAI chat completions through the official ``openai`` SDK.

The SDK is imported when the first client is built, not with this module: the class's metadata
(name, label, key variable, fallback models) is read by the sidebar, Settings and the CLI's key
check, which must not pay a second of import for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, ClassVar

from workbench.errors import AuthError, BadResponse, StreamInterrupted
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
    import openai


class OpenAIProvider(Provider):
    name = "openai"
    label = "OpenAI"
    default_key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    fallback_models: ClassVar[tuple[str, ...]] = (
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4o",
        "gpt-4o-mini",
        "o4-mini",
    )
    # OpenAI's newer models take max_completion_tokens; many compatible servers only max_tokens.
    max_tokens_param: ClassVar[str] = "max_completion_tokens"
    supports_seed = True
    supports_json_mode = True
    base_url_hint = "an OpenAI base URL ends in /v1, e.g. https://api.openai.com/v1"

    sdk_module = "openai"
    # Built on first use and dropped by ``aclose`` (the annotation only: ``getattr`` reads it).
    _client_instance: openai.AsyncOpenAI | None

    @staticmethod
    def _sdk() -> Any:
        import openai

        return openai

    def _client(self) -> openai.AsyncOpenAI:
        client = getattr(self, "_client_instance", None)
        if client is None:
            import httpx2
            import openai

            if self.requires_key(self.config) and not self.api_key:
                raise AuthError(self.missing_key_message(), provider=self.config.name)
            client = openai.AsyncOpenAI(
                api_key=self.api_key or "not-needed",
                base_url=self.config.base_url or self.default_base_url,
                timeout=httpx2.Timeout(self.config.timeout_s, connect=min(5.0, self.config.timeout_s)),
                max_retries=self.config.max_retries,
                http_client=openai.DefaultAsyncHttpxClient(verify=shared_tls_context()),
            )
            self._client_instance = client
        return client

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        settings = request.settings
        params: dict[str, Any] = {
            "model": request.model,
            "messages": [dict(m) for m in request.messages],
            self.max_tokens_param: settings.max_tokens,
        }
        if settings.temperature is not None:
            params["temperature"] = settings.temperature
        if settings.top_p is not None:
            params["top_p"] = settings.top_p
        if settings.stop:
            params["stop"] = list(settings.stop)
        if settings.seed is not None:
            params["seed"] = settings.seed
        if settings.response_format == "json":
            params["response_format"] = {"type": "json_object"}
        return params

    async def complete(self, request: ChatRequest) -> Completion:
        try:
            response = await self._client().chat.completions.create(**self._params(request))
        except AuthError:
            raise
        except Exception as exc:
            raise translate(exc, self, request.model, self._sdk()) from None
        if not response.choices:
            raise BadResponse(f"{self.config.name}: the answer had no choices.", provider=self.config.name)
        choice = response.choices[0]
        usage = response.usage
        return Completion(
            text=choice.message.content or "",
            tokens_in=usage.prompt_tokens if usage else None,
            tokens_out=usage.completion_tokens if usage else None,
            finish_reason=choice.finish_reason,
            model=response.model,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Stream through the SDK's client (auth, retries, timeouts, SSE, error events) with chunks
        left as plain dicts: building a typed chunk object per token costs about a third of a
        streamed call's CPU, and only three fields of it are read."""
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] = {}
        model_seen: str | None = None
        body = {**self._params(request), "stream": True, "stream_options": {"include_usage": True}}
        try:
            response = await self._client().post(
                "/chat/completions",
                body=body,
                cast_to=object,
                stream=True,
                stream_cls=self._sdk().AsyncStream[object],
            )
            # The context closes the HTTP response when the caller stops early or is cancelled.
            async with response as stream:
                async for chunk in stream:
                    if not isinstance(chunk, dict):
                        raise BadResponse(
                            f"{self.config.name}: the stream sent something that is not a chat chunk. Check "
                            "that the base URL points at an OpenAI-compatible API.",
                            provider=self.config.name,
                        )
                    model_seen = chunk.get("model") or model_seen
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            parts.append(text)
                            yield TextDelta(text)
                        finish = choice.get("finish_reason") or finish
        except (AuthError, BadResponse):
            raise
        except Exception as exc:
            raise translate(exc, self, request.model, self._sdk(), "".join(parts)) from None
        if finish is None:
            raise StreamInterrupted(
                f"{self.config.name}: the stream ended without a finish reason. The partial text is kept; "
                "run again to get a full answer.",
                partial_text="".join(parts),
                provider=self.config.name,
                retryable=True,
            )
        yield Completion(
            text="".join(parts),
            tokens_in=usage.get("prompt_tokens"),
            tokens_out=usage.get("completion_tokens"),
            finish_reason=finish,
            model=model_seen,
        )

    async def list_models(self) -> list[str]:
        try:
            page = await self._client().models.list()
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
