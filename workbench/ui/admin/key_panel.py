"""Settings → API keys: where each endpoint's key comes from (masked), whether the endpoint
answers, and a form to paste a key from the browser.

A pasted key is kept in the server's memory for as long as it runs, or also written to
``.streamlit/secrets.toml`` when the person chooses so (``ui.shell.key_lookup``). It is never
written to the database, a log or an export, and only ever shown masked; the audit log records
that a key was set for a variable and where it is kept, never the key. Once pasted, every
endpoint is asked again whether it answers, so the sidebar and the pickers follow at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.errors import WorkbenchError
from workbench.models import endpoints
from workbench.models.providers.registry import key_env_for, provider_class
from workbench.store import audit
from workbench.store.lookup import id_of
from workbench.ui.shell import auth, model_menu, state
from workbench.ui.shell.key_lookup import (
    forget_key,
    key_source,
    lookup_key,
    mask,
    remember_key,
    write_to_secrets_file,
)
from workbench.ui.shell.page import literal

MEMORY, FILE = "memory", "file"
KEEP_LABELS = {
    MEMORY: "Only while the server runs (kept in its memory)",
    FILE: "Also in .streamlit/secrets.toml on the server (kept after a restart)",
}
FLASH = "settings_key_flash"
ROUND = "settings_key_round"  # bumped on every submit, so the key box starts empty again
ANSWER_COLUMN = "Answers"


def key_table(engine: Engine) -> pd.DataFrame:
    """One line per endpoint: which variable holds its key, where it was found (masked), and
    whether the endpoint answered when last asked."""
    verdicts = model_menu.endpoint_verdicts(engine)
    rows = []
    for endpoint in endpoints.list_endpoints(engine):
        config = endpoints.endpoint_config(endpoint)
        env = key_env_for(config)
        needs = provider_class(endpoint.provider).requires_key(config)
        verdict = verdicts.get(id_of(endpoint), (endpoint.name, None))[1]
        if not endpoint.enabled:
            answers = "disabled"
        elif verdict is None:
            answers = model_menu.CHECKING
        else:
            answers = "yes" if verdict.ready else verdict.problem
        rows.append(
            {
                "Endpoint": endpoint.name,
                "Provider": provider_class(endpoint.provider).label,
                "Key variable": env or "—",
                "Found in": (key_source(env) if env else None) or ("not set" if needs else "no key needed"),
                "Key": mask(lookup_key(env)) if env else "",
                ANSWER_COLUMN: answers,
            }
        )
    return pd.DataFrame(rows)


def _variables(engine: Engine) -> list[str]:
    names = {key_env_for(endpoints.endpoint_config(e)) for e in endpoints.list_endpoints(engine)}
    return sorted(n for n in names if n)


def _use(engine: Engine, name: str, value: str, where: str) -> None:
    if where == FILE:
        write_to_secrets_file(name, value)
        key = lookup_key(name)
    else:
        key = remember_key(name, value)
    audit.record_now(
        engine,
        actor=state.user_name() or "anonymous",
        action="settings.key",
        entity_type="key",
        entity_id=name,
        after={"kept": "secrets.toml" if where == FILE else "memory"},
    )
    model_menu.changed()  # ask every endpoint again, with the new key
    kept_where = (
        "and in .streamlit/secrets.toml" if where == FILE else "in the server's memory until it stops"
    )
    st.session_state[FLASH] = (
        True,
        f"{name} is now {mask(key)}, kept {kept_where}. Every endpoint that uses it is being asked again; "
        "Test connection below shows the answer.",
    )


def paste_form(engine: Engine) -> None:
    """Paste a key for one variable and choose where it is kept; forget a pasted one."""
    left = st.session_state.pop(FLASH, None)
    if left:
        ok, message = left
        (st.success if ok else st.error)(
            literal(message), icon=":material/key:" if ok else ":material/error:"
        )
    names = _variables(engine)
    if not names:
        return
    with st.form("paste_key", clear_on_submit=True, border=True):
        st.markdown("**Paste a key**")
        left, right = st.columns([2, 3])
        name = left.selectbox("For the variable", names, key="paste_key_name")
        value = right.text_input(
            "Key",
            type="password",
            key=f"paste_key_value_{st.session_state.get(ROUND, 0)}",
            placeholder="sk-…",
            autocomplete="off",
        )
        where = st.radio(
            "Keep it", list(KEEP_LABELS), format_func=KEEP_LABELS.get, horizontal=True, key="paste_key_where"
        )
        submitted = st.form_submit_button(
            "Use this key", type="primary", icon=":material/key:", key="paste_key_save"
        )
    if submitted and auth.allowed("settings.edit"):
        try:
            _use(engine, name, value, where)
        except WorkbenchError as exc:  # said after the rerun, next to a fresh, empty box
            st.session_state[FLASH] = (False, str(exc))
        st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1  # the key is held nowhere in the page
        st.rerun()
    pasted = [n for n in names if key_source(n) == "pasted in Settings"]
    for n in pasted:
        if st.button(f"Forget the key pasted for {n}", key=f"forget_key_{n}", icon=":material/key_off:") and (
            auth.allowed("settings.edit")
        ):
            forget_key(n)
            model_menu.changed()
            st.session_state[FLASH] = (True, f"The key pasted for {n} is forgotten.")
            st.rerun()
