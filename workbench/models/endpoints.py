"""Endpoints (where models live) and their models with prices.

No key is ever stored: an endpoint names the environment variable (or secrets.toml entry)
that holds its key, and the key is looked up only when a call is made.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.models.gateway import ModelTarget
from workbench.models.pricing import default_price
from workbench.models.providers.interface import EndpointConfig
from workbench.models.providers.registry import provider_class
from workbench.models.settings import Range
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import Endpoint, ModelEntry

BUILTIN_ENDPOINTS: tuple[dict[str, Any], ...] = (
    {"name": "Echo", "provider": "echo", "models": ["echo"]},
    {
        "name": "OpenAI",
        "provider": "openai",
        "api_key_env": "OPENAI_API_KEY",
        "models": ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"],
    },
    {
        "name": "Anthropic",
        "provider": "anthropic",
        "api_key_env": "ANTHROPIC_API_KEY",
        "models": ["claude-haiku-4-5", "claude-sonnet-4-5"],
    },
)


# An environment variable's name, as people write them. Anything else (a pasted key, with
# lower-case letters, dashes or dots) is refused so that no key ever reaches the database.
KEY_ENV_PATTERN = re.compile(r"[A-Z_][A-Z0-9_]{0,99}")
MAX_RETRIES_LIMIT = 10
# One range per numeric endpoint setting: the checks below and the Settings page's inputs both
# read them, so the page accepts every value the core accepts (and shows every stored one).
ENDPOINT_RANGES: dict[str, Range] = {
    "max_concurrency": Range(1, 256, 1, "Concurrency", "Calls at once to this endpoint."),
    "timeout_s": Range(
        0.1, 3600, 1, "Timeout (s)", "How long one call may take before it fails, in seconds (retries aside)."
    ),
    "max_retries": Range(
        0, MAX_RETRIES_LIMIT, 1, "Retries", "How often the SDK tries again after a rate limit or an outage."
    ),
}
INTEGER_SETTINGS = ("max_concurrency", "max_retries")


def _validate_endpoint_values(values: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check endpoint fields; raises ``InvalidInput`` naming the field to fix."""
    out = dict(values)
    if "name" in out:
        out["name"] = str(out["name"] or "").strip()
        if not out["name"]:
            raise InvalidInput("An endpoint needs a name.", field="name")
    if "base_url" in out:
        out["base_url"] = str(out["base_url"] or "").strip() or None
        if out["base_url"] and not out["base_url"].startswith(("http://", "https://")):
            raise InvalidInput(
                "The base URL must start with http:// or https://, e.g. http://localhost:11434/v1.",
                field="base_url",
            )
    if "api_key_env" in out:
        out["api_key_env"] = str(out["api_key_env"] or "").strip() or None
        if out["api_key_env"] and not KEY_ENV_PATTERN.fullmatch(out["api_key_env"]):
            raise InvalidInput(
                "Give the *name* of the environment variable holding the key (capitals, digits and "
                "underscores, e.g. OPENROUTER_API_KEY), not the key itself.",
                field="api_key_env",
            )
    for name, bounds in ENDPOINT_RANGES.items():
        if name in out:
            try:
                out[name] = (int if name in INTEGER_SETTINGS else float)(out[name])
            except (TypeError, ValueError):
                raise InvalidInput(
                    f"{bounds.label} must be a number, not {out[name]!r}.", field=name
                ) from None
            bounds.check(name, out[name])
    return out


def key_target(endpoint: Endpoint) -> str:
    """What trust in an endpoint's key is about: which variable's key goes to which base URL."""
    return f"{endpoint.api_key_env or ''}@{endpoint.base_url or ''}"


def key_confirmed(endpoint: Endpoint) -> bool:
    """Whether a workbench admin confirmed the endpoint's current key variable and base URL."""
    return endpoint.key_confirmed_for == key_target(endpoint)


def endpoint_config(endpoint: Endpoint) -> EndpointConfig:
    return EndpointConfig(
        name=endpoint.name,
        provider=endpoint.provider,
        base_url=endpoint.base_url or None,
        api_key_env=endpoint.api_key_env or None,
        timeout_s=endpoint.timeout_s,
        max_retries=endpoint.max_retries,
        max_concurrency=endpoint.max_concurrency,
        key_confirmed=key_confirmed(endpoint),
    )


def list_endpoints(engine: Engine, include_disabled: bool = True) -> list[Endpoint]:
    with session_scope(engine) as session:
        query = select(Endpoint).order_by(col(Endpoint.id))
        if not include_disabled:
            query = query.where(col(Endpoint.enabled).is_(True))
        return list(session.exec(query))


def get_endpoint(engine: Engine, endpoint_id: int) -> Endpoint:
    with session_scope(engine) as session:
        endpoint = fetch(session, Endpoint, endpoint_id)
        return endpoint


def list_models(
    engine: Engine, endpoint_id: int | None = None, enabled_only: bool = False
) -> list[ModelEntry]:
    with session_scope(engine) as session:
        query = select(ModelEntry).order_by(col(ModelEntry.endpoint_id), col(ModelEntry.model))
        if endpoint_id is not None:
            query = query.where(ModelEntry.endpoint_id == endpoint_id)
        if enabled_only:
            query = query.where(col(ModelEntry.enabled).is_(True))
        return list(session.exec(query))


def add_endpoint(
    engine: Engine,
    *,
    actor: str,
    name: str,
    provider: str,
    base_url: str | None = None,
    api_key_env: str | None = None,
    max_concurrency: int = 8,
    timeout_s: float = 60.0,
    max_retries: int = 2,
) -> Endpoint:
    provider_class(provider)  # raises ConfigError for an unknown provider
    values = _validate_endpoint_values(
        {
            "name": name,
            "base_url": base_url,
            "api_key_env": api_key_env,
            "max_concurrency": max_concurrency,
            "timeout_s": timeout_s,
            "max_retries": max_retries,
        }
    )
    name = values["name"]
    try:
        with session_scope(engine) as session:
            # Adding an endpoint is a workbench admin's act, so its key and address are trusted.
            endpoint = Endpoint(provider=provider, **values)
            endpoint.key_confirmed_for = key_target(endpoint)
            session.add(endpoint)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="settings.endpoint.create",
                entity_type="endpoint",
                entity_id=endpoint.id,
                after=endpoint.model_dump(exclude={"created_at"}),
            )
            return endpoint
    except IntegrityError:
        raise InvalidInput(f"An endpoint named '{name}' already exists.", field="name") from None


def add_model(
    engine: Engine,
    *,
    actor: str,
    endpoint_id: int,
    model: str,
    display_name: str = "",
    price_input_per_mtok: float | None = None,
    price_output_per_mtok: float | None = None,
) -> ModelEntry:
    model = model.strip()
    if not model:
        raise InvalidInput("A model needs its id, e.g. gpt-4o-mini.", field="model")
    default_in, default_out = default_price(model)
    try:
        with session_scope(engine) as session:
            fetch(session, Endpoint, endpoint_id)
            entry = ModelEntry(
                endpoint_id=endpoint_id,
                model=model,
                display_name=display_name.strip(),
                price_input_per_mtok=default_in if price_input_per_mtok is None else price_input_per_mtok,
                price_output_per_mtok=default_out if price_output_per_mtok is None else price_output_per_mtok,
            )
            session.add(entry)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="settings.model.create",
                entity_type="model",
                entity_id=entry.id,
                after=entry.model_dump(),
            )
            return entry
    except IntegrityError:
        raise InvalidInput(f"Model '{model}' is already listed for this endpoint.", field="model") from None


def model_target(entry: ModelEntry, endpoint: Endpoint) -> ModelTarget:
    """Where a call to ``entry`` goes, with its prices (for the gateway)."""
    return ModelTarget(
        endpoint_config(endpoint), entry.model, entry.price_input_per_mtok, entry.price_output_per_mtok
    )


def target_of_model(engine: Engine, model_id: int) -> tuple[ModelTarget, str]:
    """The target of an enabled model and its label ("Endpoint · model"); ``NotFound`` with what
    to do when the model or its endpoint is gone or switched off."""
    with session_scope(engine) as session:
        entry = session.get(ModelEntry, model_id)
        endpoint = session.get(Endpoint, entry.endpoint_id) if entry else None
    if entry is None or endpoint is None or not (entry.enabled and endpoint.enabled):
        raise NotFound("That model is not available any more; pick another one.")
    return model_target(entry, endpoint), model_label(entry, endpoint)


def target_named(engine: Engine, endpoint_name: str, model: str) -> ModelTarget:
    """The target for a model named by its endpoint's name and its id (an evaluation's judge).
    The model need not be listed in Settings: then it costs nothing on the record."""
    endpoint = find_endpoint(engine, endpoint_name)
    if endpoint is None:
        raise NotFound(f"The endpoint '{endpoint_name}' does not exist any more.")
    with session_scope(engine) as session:
        entry = session.exec(
            select(ModelEntry).where(ModelEntry.endpoint_id == endpoint.id, ModelEntry.model == model)
        ).first()
    if entry is not None:
        return model_target(entry, endpoint)
    return ModelTarget(endpoint_config(endpoint), model)


def model_label(entry: ModelEntry, endpoint: Endpoint) -> str:
    return entry.display_name or f"{endpoint.name} · {entry.model}"


def ensure_builtin_endpoints(engine: Engine) -> None:
    """Create the Echo, OpenAI and Anthropic endpoints once; never touches edited rows."""
    with session_scope(engine) as session:
        existing = {e.name for e in session.exec(select(Endpoint))}
    for spec in BUILTIN_ENDPOINTS:
        if spec["name"] in existing:
            continue
        try:
            endpoint = add_endpoint(
                engine,
                actor="system",
                name=spec["name"],
                provider=spec["provider"],
                api_key_env=spec.get("api_key_env"),
            )
        except InvalidInput:  # created concurrently by another process
            continue
        for model in spec["models"]:
            add_model(engine, actor="system", endpoint_id=id_of(endpoint), model=model)


UPDATABLE = ("name", "base_url", "api_key_env", "max_concurrency", "timeout_s", "max_retries", "enabled")


def _check_updatable(values: dict[str, Any], updatable: tuple[str, ...], what: str) -> None:
    unknown = set(values) - set(updatable)
    if unknown:
        raise InvalidInput(f"{what} have no field(s) {', '.join(sorted(unknown))}.")


def _apply_edit(
    session: Session,
    row: Endpoint | ModelEntry,
    values: dict[str, Any],
    *,
    actor: str,
    action: str,
    entity_type: str,
    detail: str = "",
) -> None:
    """Set ``values`` on ``row`` and audit them; an edit that changes nothing writes nothing, so
    saving an untouched settings form leaves no audit noise."""
    before = {k: getattr(row, k) for k in values}
    if before == values:
        return
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=row.id,
        before=before,
        after=dict(values),
        detail=detail,
    )


def update_endpoint(
    engine: Engine, endpoint_id: int, *, actor: str, confirm_key: bool = False, **values: Any
) -> Endpoint:
    """Change an endpoint's settings (audited). A new base URL or key variable leaves its key
    unconfirmed (``key_confirmed``): no key is sent until a workbench admin confirms, here with
    ``confirm_key=True`` (a script or a workbench admin who means it) or with ``confirm_key``."""
    _check_updatable(values, UPDATABLE, "Endpoints")
    values = _validate_endpoint_values(values)
    try:
        with session_scope(engine) as session:
            endpoint = fetch(session, Endpoint, endpoint_id)
            if confirm_key:
                target = Endpoint(**{**endpoint.model_dump(), **values})
                values["key_confirmed_for"] = key_target(target)
            _apply_edit(
                session,
                endpoint,
                values,
                actor=actor,
                action="settings.endpoint.update",
                entity_type="endpoint",
            )
            return endpoint
    except IntegrityError:
        raise InvalidInput(
            f"An endpoint named '{values.get('name')}' already exists.", field="name"
        ) from None


def confirm_key(session: Session, endpoint_id: int, *, actor: str) -> Endpoint:
    """Record that the endpoint's key may be sent to its current base URL (a workbench admin's
    decision, checked by the caller); audited with the variable and the URL."""
    endpoint = fetch(session, Endpoint, endpoint_id)
    _apply_edit(
        session,
        endpoint,
        {"key_confirmed_for": key_target(endpoint)},
        actor=actor,
        action="settings.endpoint.key_confirmed",
        entity_type="endpoint",
        detail=f"{endpoint.api_key_env or 'the default key variable'} may be sent to "
        f"{endpoint.base_url or 'the provider default'}",
    )
    return endpoint


def find_endpoint_in(session: Session, name: str) -> Endpoint | None:
    """The endpoint named ``name`` (names are unique), read in the caller's transaction."""
    return session.exec(select(Endpoint).where(Endpoint.name == name)).first()


def find_endpoint(engine: Engine, name: str) -> Endpoint | None:
    with session_scope(engine) as session:
        return find_endpoint_in(session, name)


MODEL_UPDATABLE = ("display_name", "price_input_per_mtok", "price_output_per_mtok", "enabled")


def update_model(session: Session, model_id: int, *, actor: str, **values: Any) -> ModelEntry:
    """Edit a model's display name, prices or enabled flag; an actual change is audited."""
    _check_updatable(values, MODEL_UPDATABLE, "Models")
    for price in ("price_input_per_mtok", "price_output_per_mtok"):
        if price in values:
            values[price] = float(values[price])
            if values[price] < 0:
                raise InvalidInput("A price cannot be negative.", field=price)
    if "display_name" in values:
        values["display_name"] = str(values["display_name"] or "").strip()
    entry = fetch(session, ModelEntry, model_id)
    _apply_edit(
        session,
        entry,
        values,
        actor=actor,
        action="settings.model.update",
        entity_type="model",
        detail=entry.model,
    )
    return entry


def add_models(engine: Engine, *, actor: str, endpoint_id: int, models: list[str]) -> list[ModelEntry]:
    """Add the models not yet listed for the endpoint, with default prices; returns the new rows."""
    known = {m.model for m in list_models(engine, endpoint_id)}
    added = []
    for model in dict.fromkeys(m.strip() for m in models):
        if model and model not in known:
            added.append(add_model(engine, actor=actor, endpoint_id=endpoint_id, model=model))
    return added
