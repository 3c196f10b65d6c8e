"""Anthropic Messages API through the official ``anthropic`` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import anthropic
import httpx2

from workbench.errors import AuthError, StreamInterrupted
from workbench.providers.base import ChatRequest, Completion, Provider, StreamEvent, TextDelta
from workbench.providers.sdk_errors import translate


class AnthropicProvider(Provider):
    name = "anthropic"
    label = "Anthropic"
    default_key_env = "ANTHROPIC_API_KEY"
    fallback_models: ClassVar[tuple[str, ...]] = (
        "claude-opus-4-1",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
    )

    def _client(self) -> anthropic.AsyncAnthropic:
        client = getattr(self, "_client_instance", None)
        if client is None:
            if not self.api_key:
                raise AuthError(
                    f"{self.config.name}: no API key. Set {self.config.api_key_env or self.default_key_env} in your "
                    "environment or .streamlit/secrets.toml, then reload.",
                    provider=self.config.name,
                )
            client = anthropic.AsyncAnthropic(
                api_key=self.api_key,
                base_url=self.config.base_url or None,
                timeout=httpx2.Timeout(self.config.timeout_s, connect=min(5.0, self.config.timeout_s)),
                max_retries=self.config.max_retries,
            )
            self._client_instance = client
        return client

    def _params(self, request: ChatRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens,
            "messages": request.conversation,
        }
        if request.system:
            params["system"] = request.system
        # SDK 1.0 removed sampling keywords from the typed signature; the API still takes them
        # on models that support sampling, so they ride in extra_body, and only when set.
        sampling = {"temperature": request.temperature, "top_p": request.top_p}
        sampling = {k: v for k, v in sampling.items() if v is not None}
        if sampling:
            params["extra_body"] = sampling
        if request.stop:
            params["stop_sequences"] = list(request.stop)
        return params

    async def complete(self, request: ChatRequest) -> Completion:
        try:
            message = await self._client().messages.create(**self._params(request))
        except AuthError:
            raise
        except Exception as exc:
            raise translate(exc, self.config, self.api_key, request.model, anthropic) from None
        text = "".join(getattr(block, "text", "") for block in message.content)
        return Completion(
            text=text,
            tokens_in=message.usage.input_tokens,
            tokens_out=message.usage.output_tokens,
            finish_reason=message.stop_reason,
            model=message.model,
        )

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        parts: list[str] = []
        try:
            async with self._client().messages.stream(**self._params(request)) as stream:
                async for text in stream.text_stream:
                    parts.append(text)
                    yield TextDelta(text)
                message = await stream.get_final_message()
        except AuthError:
            raise
        except Exception as exc:
            raise translate(
                exc, self.config, self.api_key, request.model, anthropic, "".join(parts)
            ) from None
        if message.stop_reason is None:
            raise StreamInterrupted(
                f"{self.config.name}: the stream ended before the model finished. The partial text is kept; "
                "run again to get a full answer.",
                partial_text="".join(parts),
                provider=self.config.name,
                retryable=True,
            )
        yield Completion(
            text="".join(parts),
            tokens_in=message.usage.input_tokens,
            tokens_out=message.usage.output_tokens,
            finish_reason=message.stop_reason,
            model=message.model,
        )

    async def list_models(self) -> list[str]:
        try:
            page = await self._client().models.list(limit=100)
            return sorted(m.id for m in page.data)
        except AuthError:
            raise
        except Exception as exc:
            raise translate(exc, self.config, self.api_key, "", anthropic) from None

    async def aclose(self) -> None:
        client = getattr(self, "_client_instance", None)
        if client is not None:
            await client.close()
            self._client_instance = None
