"""Settings widgets: one endpoint's editor (connection, test, models and prices) and the "add an
endpoint" form (keys: ``key_panel``). With sign-in on, every change needs a workbench admin
(``settings.edit``; a project admin is not enough), and so does confirming that an endpoint's
key may go to a changed base URL. Testing a connection and fetching a model list change nothing
and stay open to all; until the key is confirmed they are refused."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.models import catalog, endpoints
from workbench.models.availability import Availability
from workbench.models.providers.registry import PROVIDERS, key_env_for, provider_class
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import Endpoint
from workbench.ui.shell import auth, model_menu, state
from workbench.ui.shell.key_lookup import lookup_key
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


def flash(endpoint_id: int | None = None) -> None:
    """A confirmation left by the previous run (forms rerun the page after a change), shown
    where the action was: inside its endpoint's panel, or at the top for a new endpoint."""
    left = st.session_state.get(FLASH)
    if left and left[0] == endpoint_id:
        del st.session_state[FLASH]
        st.success(left[1], icon=":material/check_circle:")


def _done(endpoint_id: int | None, message: str) -> None:
    """After a change: say so in the same place, list endpoints and models afresh, rerun."""
    st.session_state[FLASH] = (endpoint_id, message)
    model_menu.changed()
    st.rerun()


def actor() -> str:
    return state.user_name() or "anonymous"


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
                id_of(endpoint),
                actor=actor(),
                base_url=base_url,
                api_key_env=key_env,
                max_concurrency=concurrency,
                timeout_s=timeout,
                max_retries=retries,
                enabled=enabled,
            )
            _done(endpoint.id, f"Saved the connection settings of {endpoint.name}.")


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
            with session_scope(engine) as session:  # every row of the table, or none
                for model_id, row in edited.iterrows():
                    values = {
                        "display_name": "" if pd.isna(row["display_name"]) else str(row["display_name"]),
                        "price_input_per_mtok": float(row["price_input_per_mtok"] or 0.0),
                        "price_output_per_mtok": float(row["price_output_per_mtok"] or 0.0),
                        "enabled": bool(row["enabled"]),
                    }
                    before = {k: getattr(next(m for m in rows if m.id == model_id), k) for k in values}
                    if values != before:
                        endpoints.update_model(session, int(model_id), actor=actor(), **values)
                        changed += 1
            _done(endpoint.id, f"Saved {changed} model{'s' if changed != 1 else ''} of {endpoint.name}.")
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
        added = endpoints.add_models(engine, actor=actor(), endpoint_id=id_of(endpoint), models=picked)
        count = f"{len(added)} model{'s' if len(added) != 1 else ''}"
        st.session_state.pop(f"add_models_{endpoint.id}", None)
        _done(endpoint.id, f"Added {count} to {endpoint.name} with default prices.")


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
        with session_scope(engine) as session:
            endpoints.confirm_key(session, id_of(endpoint), actor=actor())
        _done(endpoint.id, f"{endpoint.name}: {env} may now be sent to {where}.")


def endpoint_editor(engine: Engine, endpoint: Endpoint, verdict: Availability | None) -> None:
    """One endpoint's panel. It has a key, so it stays open across the reruns its own buttons
    cause, and every action's result is shown inside it."""
    config = endpoints.endpoint_config(endpoint)
    answers = endpoint.enabled and verdict is not None and verdict.ready and config.key_confirmed
    icon = ":material/check_circle:" if answers else ":material/radio_button_unchecked:"
    off = "" if endpoint.enabled else " (disabled)"
    with st.expander(
        f"{endpoint.name} · {provider_class(endpoint.provider).label}{off}",
        icon=icon,
        key=f"settings_endpoint_{endpoint.id}",
    ):
        flash(endpoint.id)
        _key_trust(engine, endpoint)
        _connection_form(engine, endpoint)
        left, right, _ = st.columns([1, 1, 3])
        if left.button("Test connection", key=f"test_{endpoint.id}", icon=":material/cable:"):
            with st.spinner("Asking the endpoint for its models…"):
                found = catalog.check_connection(engine, config, lookup_key, actor=state.user_name())
            st.session_state[f"settings_verdict_{endpoint.id}"] = (found.ok, found.message)
            if found.ok:
                st.session_state[f"settings_fetched_{endpoint.id}"] = (found.models, True, "")
        if right.button("Fetch models", key=f"fetch_{endpoint.id}", icon=":material/download:"):
            with st.spinner("Fetching the model list…"):
                fetched = catalog.fetch_models(engine, config, lookup_key, actor=state.user_name())
            st.session_state[f"settings_fetched_{endpoint.id}"] = (fetched.models, fetched.live, fetched.note)
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
        limits = st.columns(3)
        concurrency = limit_input(limits[0], "max_concurrency", 8, "new_endpoint_conc")
        timeout = limit_input(limits[1], "timeout_s", 60.0, "new_endpoint_timeout")
        retries = limit_input(limits[2], "max_retries", 2, "new_endpoint_retries")
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
            _done(None, f"Added {endpoint.name}. Open it above to test it and fetch its models.")
