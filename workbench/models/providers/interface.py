"""What every provider speaks: a chat request in, text deltas and one completion out.

A provider adapter is one small file: it turns a ``ChatRequest`` into an SDK call and the SDK's
answer (or exception) into a ``Completion`` (or a ``ProviderError``). Everything else (limits,
timing, cost, cache, persistence) belongs to the runner, so adapters stay small and alike.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from workbench.models.settings import DEFAULTS, CallSettings

Message = dict[str, str]
KeyLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class EndpointConfig:
    """Connection settings for one endpoint; the key itself is resolved at call time."""

    name: str
    provider: str
    base_url: str | None = None
    api_key_env: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 2
    max_concurrency: int = 8


@dataclass(frozen=True)
class ChatRequest:
    """What an adapter sends: the model, the messages and the call's settings (the one
    definition in ``workbench.models.settings``; adapters translate it for their SDK)."""

    model: str
    messages: Sequence[Message]
    settings: CallSettings = DEFAULTS

    @property
    def system(self) -> str:
        return "\n\n".join(m["content"] for m in self.messages if m["role"] == "system")

    @property
    def conversation(self) -> list[Message]:
        return [dict(m) for m in self.messages if m["role"] != "system"]


@dataclass
class Completion:
    text: str
    tokens_in: int | None = None
    tokens_out: int | None = None
    finish_reason: str | None = None
    model: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TextDelta:
    text: str


StreamEvent = TextDelta | Completion


class Provider(ABC):
    """One provider kind. Subclasses set the class attributes and two coroutines."""

    name: ClassVar[str]  # registry key stored on Endpoint.provider
    label: ClassVar[str]  # shown to people
    needs_key: ClassVar[bool] = True
    default_key_env: ClassVar[str | None] = None
    default_base_url: ClassVar[str | None] = None
    base_url_editable: ClassVar[bool] = False
    # Shown when the endpoint's models API cannot be reached.
    fallback_models: ClassVar[tuple[str, ...]] = ()
    # What the provider's API accepts of the call settings (``unsupported`` says it plainly).
    max_temperature: ClassVar[float] = 2.0
    supports_seed: ClassVar[bool] = False
    supports_json_mode: ClassVar[bool] = False

    def __init__(self, config: EndpointConfig, api_key: str | None) -> None:
        self.config = config
        self.api_key = api_key

    @classmethod
    def requires_key(cls, config: EndpointConfig) -> bool:
        """Whether a call to ``config`` must carry a key (so a missing one fails before any request)."""
        return cls.needs_key

    @classmethod
    def load_sdk(cls) -> None:
        """Import the provider's SDK now (seconds, once per process) rather than inside the first
        call, so a caller that times its calls (an application's monitoring) does not count it.
        Providers with an SDK have a static ``_sdk()`` that imports it; the others need nothing."""
        sdk = getattr(cls, "_sdk", None)
        if sdk is not None:
            sdk()

    @classmethod
    def key_env(cls, config: EndpointConfig) -> str | None:
        """The variable that holds this endpoint's key: its own setting, else the provider default."""
        return config.api_key_env or cls.default_key_env

    @classmethod
    def unsupported(cls, settings: CallSettings) -> str | None:
        """Why these settings cannot be sent to this provider (``None`` when they can), so a
        call is refused with the fix before anything is sent rather than with a 400 after."""
        if settings.temperature is not None and settings.temperature > cls.max_temperature:
            return (
                f"{cls.label} accepts a temperature from 0 to {cls.max_temperature:g}; "
                f"{settings.temperature:g} was asked. Lower it."
            )
        if settings.seed is not None and not cls.supports_seed:
            return f"{cls.label} has no seed setting: clear the seed."
        if settings.response_format == "json" and not cls.supports_json_mode:
            return (
                f"{cls.label} has no JSON mode: ask for JSON in the prompt instead, and add an "
                "'is JSON' check on the bench."
            )
        return None

    def missing_key_message(self) -> str:
        return (
            f"{self.config.name}: no API key. Set {self.key_env(self.config)} in your environment or "
            ".streamlit/secrets.toml, then reload."
        )

    @abstractmethod
    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Yield ``TextDelta``s as they arrive, then exactly one ``Completion``."""

    async def complete(self, request: ChatRequest) -> Completion:
        """One answer without streaming; adapters override it with the SDK's non-stream call."""
        final: Completion | None = None
        async for event in self.stream(request):
            if isinstance(event, Completion):
                final = event
        assert final is not None
        return final

    async def list_models(self) -> list[str]:
        return list(self.fallback_models)

    async def aclose(self) -> None:
        """Release HTTP connections; called once the caller is done with this instance."""
        return None

    async def __aenter__(self) -> Provider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def redact(text: str, secret: str | None) -> str:
    """Remove ``secret`` (and any long fragment of it) from ``text`` before it is shown or stored."""
    if not secret or not text:
        return text
    out = text.replace(secret, "***")
    # Servers often echo a key partially ("sk-abc...wxyz"); drop any 8+ char run of it.
    if len(secret) >= 12:
        for size in (12, 8):
            for i in range(0, len(secret) - size + 1):
                frag = secret[i : i + size]
                if frag in out:
                    out = out.replace(frag, "***")
    return re.sub(r"\*{3,}(\*{3,})+", "***", out)
