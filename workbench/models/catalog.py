"""What an endpoint offers: its model list (from its models API, or an offline fallback) and a
plain verdict on whether it can be reached with the key at hand.

Verdicts are sentences for a business user ("Connected: 12 models", "Key refused: set
OPENAI_API_KEY ..."), built from the same error kinds the runner stores, so Settings and a failed
cell in Compare say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from workbench.aio import run_sync
from workbench.errors import ProviderError, WorkbenchError
from workbench.models.gateway import Gateway
from workbench.models.providers.interface import EndpointConfig, KeyLookup
from workbench.models.providers.registry import (
    env_lookup,
    key_env_for,
    provider_class,
    resolve_key,
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelList:
    models: tuple[str, ...]
    live: bool  # False: the provider's offline fallback list
    note: str = ""


async def _list(engine: Engine, config: EndpointConfig, lookup: KeyLookup, actor: str) -> list[str]:
    """The models API through the gateway (so the connection test is on record too)."""
    async with Gateway(engine, lookup=lookup) as gateway:
        return await gateway.list_models(config, actor=actor)


def _verdict_for(config: EndpointConfig, exc: WorkbenchError, has_key: bool) -> str:
    env = key_env_for(config)
    kind = getattr(exc, "kind", "")
    where = config.base_url or "the provider's default address"
    if kind == "auth" and not has_key:
        return f"No key: set {env} in your environment or .streamlit/secrets.toml, then reload."
    if kind == "auth":
        return f"Key refused: set {env} to a valid key (environment or .streamlit/secrets.toml), then reload."
    if kind in ("unavailable", "timeout"):
        return f"Cannot reach {where}: check the base URL and that the server is running."
    hint = provider_class(config.provider).base_url_hint
    if kind == "bad_response":
        return f"Not an API: {where} answered with something that is not JSON. Check the base URL ({hint})."
    if kind == "bad_request":
        return f"No models API at {where}: check the base URL ({hint})."
    if kind == "rate_limited":
        return "Rate limited: the key works but the provider asks to slow down. Try again in a minute."
    return f"Failed: {exc}"


def check_connection(
    engine: Engine, config: EndpointConfig, lookup: KeyLookup = env_lookup, *, actor: str = ""
) -> Verdict:
    """Call the endpoint's models API once (no tokens spent) and say plainly what happened."""
    has_key = bool(resolve_key(config, lookup))
    if provider_class(config.provider).requires_key(config) and not has_key:
        return Verdict(
            False,
            f"No key: set {key_env_for(config)} in your environment or .streamlit/secrets.toml, then reload.",
        )
    try:
        models = run_sync(_list(engine, config, lookup, actor))
    except WorkbenchError as exc:
        return Verdict(False, _verdict_for(config, exc, has_key))
    count = len(models)
    return Verdict(True, f"Connected: {count} model{'s' if count != 1 else ''}", tuple(models))


def fetch_models(
    engine: Engine, config: EndpointConfig, lookup: KeyLookup = env_lookup, *, actor: str = ""
) -> ModelList:
    """The endpoint's models; when its API cannot be asked, the provider's offline list and why."""
    fallback = tuple(provider_class(config.provider).fallback_models)
    try:
        models = run_sync(_list(engine, config, lookup, actor))
    except ProviderError as exc:
        has_key = bool(resolve_key(config, lookup))
        return ModelList(
            fallback,
            live=False,
            note=f"{_verdict_for(config, exc, has_key)} Showing the usual models instead.",
        )
    return ModelList(tuple(models), live=True)
