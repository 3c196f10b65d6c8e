"""Translate the official SDKs' exceptions into the workbench's error kinds.

The OpenAI and Anthropic SDKs share one exception layout (connection, timeout, status errors
by code), so one function serves both. Messages name the fix, and never carry the key.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamInterrupted,
    UnknownModel,
)
from workbench.models.providers.interface import Provider, redact


def _status_message(exc: Exception) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return str(getattr(exc, "message", "") or exc)


def translate(
    exc: BaseException,
    provider: Provider,
    model: str,
    sdk: Any,
    partial_text: str = "",
) -> ProviderError:
    """Map ``exc`` (raised by module ``sdk``: ``openai`` or ``anthropic``) to a ``ProviderError``."""
    import httpx2  # both SDKs' transport; loaded with them, so this costs nothing more

    config, api_key = provider.config, provider.api_key
    where = f"{config.name}"
    key_env = provider.key_env(config)
    key_fix = (
        f"Check {key_env} in your environment or .streamlit/secrets.toml."
        if key_env
        else "This endpoint needs a key: name the variable that holds it in Settings."
    )

    def make(
        cls: type[ProviderError], message: str, *, retryable: bool = False, status: int | None = None
    ) -> ProviderError:
        return cls(redact(message, api_key), provider=config.name, retryable=retryable, status=status)

    if partial_text and isinstance(exc, (httpx2.HTTPError, sdk.APIConnectionError)):
        err = StreamInterrupted(
            redact(
                f"{where}: the stream was cut off after {len(partial_text)} characters "
                f"({type(exc).__name__}). The partial text is kept; run again to get a full answer.",
                api_key,
            ),
            partial_text=partial_text,
            provider=config.name,
            retryable=True,
        )
        return err
    if isinstance(exc, sdk.APITimeoutError):
        return make(
            ProviderTimeout,
            f"{where}: no answer within {config.timeout_s:g} s (after {config.max_retries} retries). "
            "Try again, raise the endpoint's timeout in Settings, or lower max tokens.",
            retryable=True,
        )
    if isinstance(exc, sdk.APIConnectionError):
        return make(
            ProviderUnavailable,
            f"{where}: cannot reach {config.base_url or 'the provider'}. Check the base URL in Settings "
            "and that the server is running.",
            retryable=True,
        )
    if isinstance(exc, sdk.APIStatusError):
        status = getattr(exc, "status_code", None)
        detail = _status_message(exc)
        if status in (401, 403):
            return make(
                AuthError,
                f"{where}: the API key was refused ({status}: {detail}). {key_fix}",
                status=status,
            )
        if status == 404 and not model:
            return make(
                BadRequest,
                f"{where}: there is no models API at {config.base_url or 'the default address'} (404). "
                f"Check the base URL in Settings ({type(provider).base_url_hint}).",
                status=status,
            )
        if status == 404:
            return make(
                UnknownModel,
                f"{where}: model '{model}' was not found ({detail}). Pick a model from the endpoint's "
                "list in Settings.",
                status=status,
            )
        if status == 429:
            return make(
                RateLimited,
                f"{where}: rate limit still hit after {config.max_retries} retries ({detail}). Wait a "
                "minute, lower the endpoint's concurrency in Settings, or raise your provider quota.",
                retryable=True,
                status=status,
            )
        if status is not None and status >= 500:
            return make(
                ProviderUnavailable,
                f"{where}: the provider failed ({status}: {detail}) after {config.max_retries} retries. "
                "Try again later.",
                retryable=True,
                status=status,
            )
        return make(
            BadRequest,
            f"{where}: the request was refused ({status}: {detail}). Check the model's "
            "parameters (temperature, max tokens).",
            status=status,
        )
    if isinstance(exc, (json.JSONDecodeError, sdk.APIResponseValidationError)):
        return make(
            BadResponse,
            f"{where}: the provider answered with something that is not valid JSON. Check that the base "
            f"URL points at {'an' if type(provider).label[0] in 'AEIOU' else 'a'} {type(provider).label} API "
            f"({type(provider).base_url_hint}).",
        )
    if isinstance(exc, httpx2.HTTPError):
        return make(
            ProviderUnavailable,
            f"{where}: connection problem ({type(exc).__name__}: {exc}). Try again.",
            retryable=True,
        )
    return make(ProviderError, f"{where}: unexpected failure ({type(exc).__name__}: {exc}).")
