"""What every provider speaks: a chat request in, text deltas and one completion out.

A provider adapter is one small file: it turns a ``ChatRequest`` into an SDK call and the SDK's
answer (or exception) into a ``Completion`` (or a ``ProviderError``). Everything else (limits,
timing, cost, cache, persistence) belongs to the runner, so adapters stay small and alike.
"""

from __future__ import annotations

import functools
import importlib
import re
import ssl
import sys
import threading
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
    # False while a workbench admin has not confirmed that the key may go to this base URL
    # (it changed since): then no key is looked up or sent (``registry.build_provider``).
    key_confirmed: bool = True


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
    # What a correct base URL looks like, for messages about a wrong one.
    base_url_hint: ClassVar[str] = (
        "OpenAI-compatible servers usually end in /v1, e.g. http://localhost:11434/v1"
    )
    # Shown when the endpoint's models API cannot be reached.
    fallback_models: ClassVar[tuple[str, ...]] = ()
    # The SDK module the adapter builds its client from, imported on first need (see ``preload``).
    sdk_module: ClassVar[str | None] = None
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
    def key_env(cls, config: EndpointConfig) -> str | None:
        """The variable that holds this endpoint's key: its own setting, else the provider default."""
        return config.api_key_env or cls.default_key_env

    @classmethod
    def sdk_loaded(cls) -> bool:
        return cls.sdk_module is None or cls.sdk_module in sys.modules

    @classmethod
    def load_sdk(cls) -> None:
        """Import the SDK (seconds for some) now rather than inside the first call, so building the
        first client costs nothing and a caller that times its calls (an application's
        monitoring) does not count it."""
        if cls.sdk_module is not None:
            importlib.import_module(cls.sdk_module)
            shared_tls_context()

    def preload(self) -> None:
        """Start importing the SDK in the background now that a call to it is coming: it then
        overlaps with the rest of the preparation (and with other endpoints' calls) instead of
        stalling the first call. Python's import lock makes a later import wait for this one."""
        if not self.sdk_loaded():
            threading.Thread(target=self.load_sdk, name=f"import-{self.sdk_module}", daemon=True).start()

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


# A variable's name as messages write it (OPENAI_API_KEY, COMPAT_TEST_TOKEN_KEY): never cut.
_VARIABLE_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """The TLS settings httpx2 builds for a client by default (the system's CA store, or
    SSL_CERT_FILE / SSL_CERT_DIR), built once per process and given to every SDK client: building
    them reads the CA store (25–35 ms here), which each client of each endpoint would do again,
    inside its first call. Only for HTTP/1.1 clients (the SDKs' default): an HTTP/2 client sets
    its protocols on the context it is given."""
    import httpx2

    return httpx2.create_ssl_context()


def redact(text: str, secret: str | None) -> str:
    """Remove ``secret`` (and any long fragment of it) from ``text`` before it is shown or stored.

    Servers often echo a key partially ("sk-abc...wxyz"), so any 8+ character run of it goes too,
    except inside the names of variables the message tells people to set: a key that happens to
    share a run of characters with its variable's name must not turn "COMPAT_TEST_TOKEN_KEY" into
    "COMPAT_***_KEY" (the whole key, wherever it appears, is always removed)."""
    if not secret or not text:
        return text
    out = text.replace(secret, "***")
    if len(secret) >= 12:
        kept = [m.span() for m in _VARIABLE_NAME.finditer(out)]
        for size in (12, 8):
            for i in range(0, len(secret) - size + 1):
                frag = secret[i : i + size]
                if frag in out:
                    out, kept = _drop_outside(out, frag, kept)
    return re.sub(r"\*{3,}(\*{3,})+", "***", out)


def _drop_outside(text: str, fragment: str, kept: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with each occurrence of ``fragment`` outside the ``kept`` spans replaced by "***",
    and the kept spans moved to where they are afterwards."""
    parts, last = [], 0
    for match in re.finditer(re.escape(fragment), text):
        start, end = match.span()
        if start < last or any(a <= start and end <= b for a, b in kept):
            continue
        parts.append(text[last:start] + "***")
        last = end
    parts.append(text[last:])
    out = "".join(parts)
    return out, [m.span() for m in _VARIABLE_NAME.finditer(out)]
