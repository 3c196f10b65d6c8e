"""Settings widgets: the key table, one endpoint's editor (connection, test, models and prices),
and the "add an endpoint" form. Keys are only ever looked up and shown masked. With sign-in on,
every change needs a workbench admin (``settings.edit``; a project admin is not enough), and so
does confirming that an endpoint's key may go to a changed base URL. Testing a connection and
fetching a model list change nothing and stay open to all; until the key is confirmed they are
refused."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.models import catalog, endpoints
from workbench.models.providers.registry import PROVIDERS, is_configured, key_env_for, provider_class
from workbench.store.tables import Endpoint
from workbench.ui.shell import auth, state
from workbench.ui.shell.key_lookup import key_source, lookup_key, mask
from workbench.ui.shell.page import literal

PRICE_COLUMNS = {
    "model": st.column_config.TextColumn("Model", disabled=True),
    "display_name": st.column_config.TextColumn(
        "Display name", help="Shown in Compare; empty = endpoint · model"
    ),
    "price_input_per_mtok": st.column_config.NumberColumn(
        "Input $ / M tokens", min_value=0.0, format="$%.2f"
    ),
    "price_output_per_mtok": st.column_config.NumberColumn(
        "Output $ / M tokens", min_value=0.0, format="$%.2f"
    ),
    "enabled": st.column_config.CheckboxColumn("Enabled", help="Only enabled models are offered in Compare"),
}


FLASH = "settings_flash"


def flash() -> None:
    """A confirmation left by the previous run (forms rerun the page after a change)."""
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def actor() -> str:
    return state.user_name() or "anonymous"


def key_table(engine: Engine) -> pd.DataFrame:
    """One line per endpoint: which variable holds its key, where it was found, masked."""
    rows = []
    for endpoint in endpoints.list_endpoints(engine):
        config = endpoints.endpoint_config(endpoint)
        env = key_env_for(config)
        needs = provider_class(endpoint.provider).requires_key(config)
        source = key_source(env) if env else None
        rows.append(
            {
                "Endpoint": endpoint.name,
                "Provider": provider_class(endpoint.provider).label,
                "Key variable": env or "—",
                "Found in": source or ("not set" if needs else "no key needed"),
                "Key": mask(lookup_key(env)) if env else "",
                "Ready": is_configured(config, lookup_key),
            }
        )
    return pd.DataFrame(rows)


KEY_COLUMNS = {
    "Ready": st.column_config.CheckboxColumn("Ready", help="A call can be made: no key needed, or key found")
}


def limit_input(where: Any, name: str, value: float, key: str) -> Any:
    """A number box for an endpoint setting, with the core's own range (``ENDPOINT_RANGES``);
    a stored value from before the ranges were shared is shown at the nearest allowed one."""
    bounds = endpoints.ENDPOINT_RANGES[name]
    kind = int if name in endpoints.INTEGER_SETTINGS else float
    low, high, step = kind(bounds.low), kind(bounds.high), kind(bounds.step)
    shown = min(max(kind(value), low), high)
    return where.number_input(bounds.label, low, high, shown, step=step, help=bounds.help, key=key)


def _verdict(endpoint: Endpoint) -> None:
    verdict = st.session_state.get(f"settings_verdict_{endpoint.id}")
    if verdict:
        ok, message = verdict
        (st.success if ok else st.error)(
            message, icon=":material/check_circle:" if ok else ":material/error:"
        )


def _connection_form(engine: Engine, endpoint: Endpoint) -> None:
    with st.form(f"endpoint_form_{endpoint.id}", border=False):
        cols = st.columns([3, 2, 1, 1, 1])
        eid = endpoint.id
        base_url = cols[0].text_input(
            "Base URL",
            endpoint.base_url or "",
            disabled=endpoint.provider == "echo",
            placeholder=provider_class(endpoint.provider).default_base_url or "the provider's default",
            key=f"endpoint_base_url_{eid}",
        )
        key_env = cols[1].text_input(
            "Key variable (its name, not the key)",
            endpoint.api_key_env or "",
            disabled=endpoint.provider == "echo",
            help="The environment variable or secrets.toml entry that holds the key, e.g. OPENROUTER_API_KEY.",
            key=f"endpoint_key_env_{eid}",
        )
        concurrency = limit_input(
            cols[2], "max_concurrency", endpoint.max_concurrency, f"endpoint_conc_{eid}"
        )
        timeout = limit_input(cols[3], "timeout_s", endpoint.timeout_s, f"endpoint_timeout_{eid}")
        retries = limit_input(cols[4], "max_retries", endpoint.max_retries, f"endpoint_retries_{eid}")
        enabled = st.toggle("Enabled", endpoint.enabled, key=f"endpoint_enabled_{endpoint.id}")
        if st.form_submit_button("Save connection", key=f"save_endpoint_{endpoint.id}") and auth.allowed(
            "settings.edit"
        ):
            endpoints.update_endpoint(
                engine,
                endpoint.id,  # type: ignore[arg-type]
                actor=actor(),
                base_url=base_url,
                api_key_env=key_env,
                max_concurrency=concurrency,
                timeout_s=timeout,
                max_retries=retries,
                enabled=enabled,
            )
            st.session_state[FLASH] = f"Saved the connection settings of {endpoint.name}."
            st.rerun()


def _models(engine: Engine, endpoint: Endpoint) -> None:
    rows = endpoints.list_models(engine, endpoint.id)
    if rows:
        table = pd.DataFrame(
            [{k: getattr(m, k) for k in PRICE_COLUMNS} for m in rows], index=[m.id for m in rows]
        )
        edited = st.data_editor(
            table, key=f"prices_{endpoint.id}", column_config=PRICE_COLUMNS, hide_index=True, width="stretch"
        )
        if st.button("Save models and prices", key=f"save_models_{endpoint.id}") and auth.allowed(
            "settings.edit"
        ):
            changed = 0
            for model_id, row in edited.iterrows():
                values = {
                    "display_name": "" if pd.isna(row["display_name"]) else str(row["display_name"]),
                    "price_input_per_mtok": float(row["price_input_per_mtok"] or 0.0),
                    "price_output_per_mtok": float(row["price_output_per_mtok"] or 0.0),
                    "enabled": bool(row["enabled"]),
                }
                before = {k: getattr(next(m for m in rows if m.id == model_id), k) for k in values}
                if values != before:
                    endpoints.update_model(engine, int(model_id), actor=actor(), **values)  # type: ignore[arg-type]
                    changed += 1
            st.session_state[FLASH] = (
                f"Saved {changed} model{'s' if changed != 1 else ''} of {endpoint.name}."
            )
            st.rerun()
    else:
        st.info("No models listed yet: fetch them below, or type a model id.")
    fetched = st.session_state.get(f"settings_fetched_{endpoint.id}")
    listed = {m.model for m in rows}
    options = [
        m
        for m in (fetched[0] if fetched else provider_class(endpoint.provider).fallback_models)
        if m not in listed
    ]
    if fetched and fetched[2]:
        st.warning(fetched[2], icon=":material/cloud_off:")
    picked = st.multiselect(
        "Add models",
        options,
        key=f"add_models_{endpoint.id}",
        accept_new_options=True,
        placeholder="Pick from the endpoint's list, or type a model id",
    )
    if st.button("Add", key=f"add_models_button_{endpoint.id}", disabled=not picked) and auth.allowed(
        "settings.edit"
    ):
        added = endpoints.add_models(engine, actor=actor(), endpoint_id=endpoint.id, models=picked)  # type: ignore[arg-type]
        count = f"{len(added)} model{'s' if len(added) != 1 else ''}"
        st.session_state[FLASH] = f"Added {count} to {endpoint.name} with default prices."
        st.session_state.pop(f"add_models_{endpoint.id}", None)
        st.rerun()


def _key_trust(engine: Engine, endpoint: Endpoint) -> None:
    """After a change of base URL or key variable: say that the key is held back, and let a
    workbench admin confirm where it may go."""
    env = key_env_for(endpoints.endpoint_config(endpoint))
    if not env or endpoints.key_confirmed(endpoint):
        return
    where = endpoint.base_url or "the provider's default address"
    st.warning(
        f"The base URL or key variable changed: {literal(env)} is not sent to {literal(where)} until a "
        "workbench admin confirms it; calls, connection tests and model lists to it are refused meanwhile.",
        icon=":material/key_off:",
    )
    if st.button(
        f"Confirm: send {env} to {where}", key=f"confirm_key_{endpoint.id}", icon=":material/key:"
    ) and auth.allowed("settings.edit"):
        endpoints.confirm_key(engine, endpoint.id, actor=actor())  # type: ignore[arg-type]
        st.session_state[FLASH] = f"{endpoint.name}: {env} may now be sent to {where}."
        st.rerun()


def endpoint_editor(engine: Engine, endpoint: Endpoint) -> None:
    config = endpoints.endpoint_config(endpoint)
    ready = is_configured(config, lookup_key) and config.key_confirmed
    icon = ":material/check_circle:" if ready and endpoint.enabled else ":material/radio_button_unchecked:"
    off = "" if endpoint.enabled else " (disabled)"
    with st.expander(f"{endpoint.name} · {provider_class(endpoint.provider).label}{off}", icon=icon):
        _key_trust(engine, endpoint)
        _connection_form(engine, endpoint)
        left, right, _ = st.columns([1, 1, 3])
        if left.button("Test connection", key=f"test_{endpoint.id}", icon=":material/cable:"):
            with st.spinner("Asking the endpoint for its models…"):
                verdict = catalog.check_connection(engine, config, lookup_key, actor=state.user_name())
            st.session_state[f"settings_verdict_{endpoint.id}"] = (verdict.ok, verdict.message)
            if verdict.ok:
                st.session_state[f"settings_fetched_{endpoint.id}"] = (verdict.models, True, "")
        if right.button("Fetch models", key=f"fetch_{endpoint.id}", icon=":material/download:"):
            with st.spinner("Fetching the model list…"):
                found = catalog.fetch_models(engine, config, lookup_key, actor=state.user_name())
            st.session_state[f"settings_fetched_{endpoint.id}"] = (found.models, found.live, found.note)
        _verdict(endpoint)
        _models(engine, endpoint)


def add_endpoint_form(engine: Engine) -> None:
    kinds = [k for k in PROVIDERS if k != "echo"]
    with st.form("add_endpoint", clear_on_submit=True):
        cols = st.columns([2, 2, 3, 2])
        name = cols[0].text_input("Name", placeholder="e.g. OpenRouter", key="new_endpoint_name")
        kind = cols[1].selectbox(
            "Provider",
            kinds,
            format_func=lambda k: PROVIDERS[k].label,
            index=kinds.index("openai_compatible"),
            key="new_endpoint_provider",
        )
        base_url = cols[2].text_input(
            "Base URL", placeholder="e.g. https://openrouter.ai/api/v1", key="new_endpoint_base_url"
        )
        key_env = cols[3].text_input(
            "Key variable (its name)", placeholder="e.g. OPENROUTER_API_KEY", key="new_endpoint_key_env"
        )
        cols = st.columns(3)
        concurrency = limit_input(cols[0], "max_concurrency", 8, "new_endpoint_conc")
        timeout = limit_input(cols[1], "timeout_s", 60.0, "new_endpoint_timeout")
        retries = limit_input(cols[2], "max_retries", 2, "new_endpoint_retries")
        if st.form_submit_button("Add endpoint", key="add_endpoint_submit", type="primary") and auth.allowed(
            "settings.edit"
        ):
            endpoint = endpoints.add_endpoint(
                engine,
                actor=actor(),
                name=name,
                provider=kind,
                base_url=base_url,
                api_key_env=key_env,
                max_concurrency=concurrency,
                timeout_s=timeout,
                max_retries=retries,
            )
            st.session_state[FLASH] = f"Added {endpoint.name}. Open it above to test it and fetch its models."
            st.rerun()
