"""Provider kinds by name. Adding a provider: one new file, one line in ``PROVIDERS``.

A provider's module is imported the first time its kind is asked for, not when the registry is:
the official SDKs take over a second to import (``anthropic`` alone about one), and a command
such as ``workbench eval`` against one endpoint should not pay for the SDKs it does not use.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping

from workbench.errors import ConfigError
from workbench.models.providers.interface import EndpointConfig, KeyLookup, Provider


class _LazyProviders(Mapping[str, type[Provider]]):
    """Kind name -> provider class, read-only; a class is imported when it is first looked up
    (Python keeps the module, so later look-ups cost a dictionary read)."""

    def __init__(self, paths: Mapping[str, str]) -> None:
        self._paths = dict(paths)

    def __getitem__(self, name: str) -> type[Provider]:
        module, _, attribute = self._paths[name].partition(":")
        cls: type[Provider] = getattr(importlib.import_module(module), attribute)
        return cls

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


PROVIDERS: Mapping[str, type[Provider]] = _LazyProviders(
    {
        "echo": "workbench.models.providers.echo_provider:EchoProvider",
        "openai": "workbench.models.providers.openai_provider:OpenAIProvider",
        "anthropic": "workbench.models.providers.anthropic_provider:AnthropicProvider",
        "openai_compatible": "workbench.models.providers.openai_compatible_provider:OpenAICompatibleProvider",
    }
)


def provider_class(name: str) -> type[Provider]:
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"Unknown provider '{name}'. Known providers: {known}.") from None


def env_lookup(name: str) -> str | None:
    return os.environ.get(name) or None


def key_env_for(config: EndpointConfig) -> str | None:
    return provider_class(config.provider).key_env(config)


def resolve_key(config: EndpointConfig, lookup: KeyLookup = env_lookup) -> str | None:
    env = key_env_for(config)
    return lookup(env) if env else None


def is_configured(config: EndpointConfig, lookup: KeyLookup = env_lookup) -> bool:
    """True when a call could be attempted: no key needed, or the key is present."""
    return not provider_class(config.provider).requires_key(config) or bool(resolve_key(config, lookup))


def build_provider(config: EndpointConfig, lookup: KeyLookup = env_lookup) -> Provider:
    """A ready provider for ``config``; the key is looked up now and kept only in memory.

    An endpoint whose base URL or key variable changed since a workbench admin last confirmed
    them gets no provider (``ConfigError``): its key is never sent to an address nobody with
    the right to choose where keys go has approved."""
    env = key_env_for(config)
    if env and not config.key_confirmed:
        where = config.base_url or "the provider's default address"
        raise ConfigError(
            f"{config.name}: its base URL or key variable changed, so {env} is not sent to {where} until "
            "a workbench admin confirms it in Settings."
        )
    return provider_class(config.provider)(config, resolve_key(config, lookup))


ProviderFactory = Callable[[EndpointConfig], Provider]
