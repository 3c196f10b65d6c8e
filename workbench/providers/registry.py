"""Provider kinds by name. Adding a provider: one new file, one line in ``PROVIDERS``."""

from __future__ import annotations

import os
from collections.abc import Callable

from workbench.errors import ConfigError
from workbench.providers.anthropic_provider import AnthropicProvider
from workbench.providers.base import EndpointConfig, KeyLookup, Provider
from workbench.providers.echo_provider import EchoProvider
from workbench.providers.openai_compatible_provider import OpenAICompatibleProvider
from workbench.providers.openai_provider import OpenAIProvider

PROVIDERS: dict[str, type[Provider]] = {
    EchoProvider.name: EchoProvider,
    OpenAIProvider.name: OpenAIProvider,
    AnthropicProvider.name: AnthropicProvider,
    OpenAICompatibleProvider.name: OpenAICompatibleProvider,
}


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
    """A ready provider for ``config``; the key is looked up now and kept only in memory."""
    return provider_class(config.provider)(config, resolve_key(config, lookup))


ProviderFactory = Callable[[EndpointConfig], Provider]
