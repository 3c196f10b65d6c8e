"""Compare's inputs: which prompt version, which models with which settings, which values.

Each returns plain values (ids, ``ModelChoice``s, dicts); the page turns them into a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.documents.context import filled_variables
from workbench.governance import data_policy
from workbench.models import endpoints
from workbench.models.providers.registry import is_configured, provider_class
from workbench.models.settings import CallSettings
from workbench.prompts import versions
from workbench.prompts.templates import PromptTemplate
from workbench.runs import outputs
from workbench.runs.plan import ModelChoice
from workbench.store.tables import PromptVersion
from workbench.ui.shell import state
from workbench.ui.shell.call_settings_inputs import call_settings_inputs
from workbench.ui.shell.key_lookup import lookup_key

MAX_MODELS = 6
MIN_MODELS = 2
PREFERRED_LABEL = "production"


def pick_version(engine: Engine, project_id: int) -> PromptVersion | None:
    """Prompt and version pickers; the version defaults to production, else the latest."""
    prompts = versions.list_prompts(engine, project_id)
    if not prompts:
        return None
    ids = [p.id for p in prompts]
    names = {p.id: p.name for p in prompts}
    current = state.active_prompt_id()
    left, right = st.columns([3, 2])
    prompt_id = left.selectbox(
        "Prompt", ids, index=ids.index(current) if current in ids else 0, format_func=lambda i: names[i]
    )
    state.set_active_prompt(prompt_id)
    rows = versions.list_versions(engine, prompt_id)  # type: ignore[arg-type]
    labels: dict[int, list[str]] = {}
    for label in versions.labels_for_prompt(engine, prompt_id):  # type: ignore[arg-type]
        labels.setdefault(label.version_id, []).append(label.name)
    default = next((v.id for v in rows if PREFERRED_LABEL in labels.get(v.id, [])), rows[0].id)
    by_id = {v.id: v for v in rows}

    def describe(version_id: int) -> str:
        v = by_id[version_id]
        tags = f" [{', '.join(sorted(labels[version_id]))}]" if version_id in labels else ""
        note = f" — {v.change_note[:60]}" if v.change_note else ""
        return f"v{v.number}{tags}{note}"

    version_ids = [v.id for v in rows]
    version_id = right.selectbox(
        "Version",
        version_ids,
        index=version_ids.index(default),
        format_func=describe,
        key=f"compare_version_{prompt_id}",
    )
    return by_id[version_id]


def pick_models(
    engine: Engine,
    version: PromptVersion,
    *,
    key: str = "compare",
    minimum: int = MIN_MODELS,
    defaults: int = 3,
    skip_offline: bool = False,
    override: bool = True,
) -> list[tuple[ModelChoice, str]]:
    """``minimum``–6 models, each with its call settings (starting from the version's own) and
    (when ``override``) an optional system-prompt override. The first ``defaults`` models that can be called are
    preselected (skipping offline ones such as Echo when ``skip_offline``)."""
    enabled = {e.id: e for e in endpoints.list_endpoints(engine, include_disabled=False)}
    models = [m for m in endpoints.list_models(engine, enabled_only=True) if m.endpoint_id in enabled]
    titles = {m.id: endpoints.model_label(m, enabled[m.endpoint_id]) for m in models}
    ready = [
        m.id for m in models if is_configured(endpoints.endpoint_config(enabled[m.endpoint_id]), lookup_key)
    ]
    offline = {m.id for m in models if data_policy.is_offline(enabled[m.endpoint_id])}
    chosen_key = f"{key}_models"
    remembered_key = f"{key}_models_remembered"  # plain state: outlives a visit to another page
    if chosen_key not in st.session_state:  # first visit, or back from another page
        remembered = st.session_state.get(remembered_key)
        if remembered is None:
            callable_ = [i for i in ready if not (skip_offline and i in offline)]
            proven = [i for i in outputs.models_that_answered(engine) if i in callable_]
            remembered = [*proven, *(i for i in callable_ if i not in proven)][:defaults]
        st.session_state[chosen_key] = remembered
    # Written on every run (dropping models that went away): the browser then always shows the
    # script's choice; writing it only on the first run let a rerun come back empty.
    st.session_state[chosen_key] = [i for i in st.session_state[chosen_key] if i in titles]
    chosen = st.multiselect(
        f"Models ({minimum}–{MAX_MODELS})",
        list(titles),
        format_func=lambda i: titles[i] + ("" if i in ready else "  (no key)"),
        max_selections=MAX_MODELS,
        key=chosen_key,
        help="Models are listed in Settings, where you also set their prices and test the connection.",
    )
    st.session_state[remembered_key] = list(chosen)
    saved = CallSettings.from_dict(version.params)  # the version's own settings start each column
    kinds = {m.id: enabled[m.endpoint_id].provider for m in models}
    choices = []
    cols = st.columns(max(len(chosen), 1))
    for col, model_id in zip(cols, chosen, strict=False):
        with col.container(border=True):
            st.markdown(f"**{titles[model_id]}**")
            settings = call_settings_inputs(
                saved, f"{key}_{model_id}", provider=provider_class(kinds[model_id]), more="popover"
            )
            if override:
                with st.popover("System prompt", icon=":material/edit_note:", width="stretch"):
                    system = st.text_area(
                        "Override the version's system message for this model (leave empty to keep it)",
                        key=f"{key}_system_{model_id}",
                        placeholder=version.system_template or "(this version has no system message)",
                    )
                settings = replace(settings, system_override=system.strip() or None)
        choices.append((ModelChoice(model_id, settings), titles[model_id]))
    return choices


def variable_rows(version: PromptVersion) -> list[dict[str, Any]]:
    """Rows of values for the version's variables, prefilled with its sample values (the context
    that retrieval fills from the project's documents is not asked for)."""
    filled = filled_variables(version.params)
    names = [
        n
        for n in PromptTemplate(system=version.system_template, user=version.user_template).variables()
        if n not in filled
    ]
    if filled:
        st.caption(
            f"{{{{ {', '.join(sorted(filled))} }}}} is filled from the project's documents for each row."
        )
    if not names:
        st.caption("This version has no variables: each model answers it once.")
        return [{}]
    sample = {n: str(version.sample_variables.get(n, "")) for n in names}
    table = st.data_editor(
        pd.DataFrame([sample], columns=names),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"compare_rows_{version.id}",
        column_config={n: st.column_config.TextColumn(n) for n in names},
    )
    st.caption("One row per set of values; add rows at the bottom of the table to compare several inputs.")
    rows = []
    for record in table.to_dict("records"):
        values = {
            k: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for k, v in record.items()
        }
        if any(values.values()):
            rows.append(values)
    return rows


def empty_values(rows: Sequence[Mapping[str, str]]) -> str | None:
    """What is left blank, row by row: a blank value reaches the model as nothing at all
    ("Current status: ."), and Draft refuses to save such a version for the same reason."""
    gaps = [
        f"row {number}: {', '.join(name for name, value in row.items() if not value.strip())}"
        for number, row in enumerate(rows, start=1)
        if any(not value.strip() for value in row.values())
    ]
    return f"Fill in every value or delete the row ({'; '.join(gaps)})." if gaps else None
