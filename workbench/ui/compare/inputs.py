"""Compare's inputs: which prompt version, which models with which settings, which values.

Each returns plain values (ids, ``ModelChoice``s, dicts); the page turns them into a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import streamlit as st
from sqlalchemy import Engine

from workbench.models.providers.registry import provider_class
from workbench.models.settings import CallSettings
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.runs.plan import ModelChoice
from workbench.store.lookup import id_of
from workbench.store.tables import PromptVersion
from workbench.ui.authoring.prompt_picker import version_choices
from workbench.ui.shell import kept, model_menu, state
from workbench.ui.shell.call_settings_inputs import call_settings_inputs
from workbench.ui.shell.model_menu import ModelOption
from workbench.ui.shell.safe_markdown import safe_markdown

MAX_MODELS = 6
MIN_MODELS = 2
PREFERRED_LABEL = "production"
VERSIONS_KEPT = "compare/versions"  # prompt id -> the version this person compares


def pick_version(engine: Engine, project_id: int) -> PromptVersion | None:
    """Prompt and version pickers; the version is the one this person chose last time, else
    production, else the latest."""
    prompts = versions.list_prompts(engine, project_id)
    if not prompts:
        return None
    ids = [id_of(p) for p in prompts]
    names = {id_of(p): p.name for p in prompts}
    current = state.active_prompt_id()
    left, right = st.columns([3, 2])
    prompt_id = left.selectbox(
        "Prompt", ids, index=ids.index(current) if current in ids else 0, format_func=lambda i: names[i]
    )
    state.set_active_prompt(prompt_id)
    choices = version_choices(engine, prompt_id)
    rows, by_id = choices.rows, choices.by_id
    default = next(iter(choices.labelled(PREFERRED_LABEL)), id_of(rows[0]))

    version_ids = [id_of(v) for v in rows]
    picked = (kept.recall(VERSIONS_KEPT) or {}).get(str(prompt_id))  # this person's, last time
    version_id = right.selectbox(
        "Version",
        version_ids,
        index=version_ids.index(picked if picked in version_ids else default),
        format_func=choices.title,
        key=f"compare_version_{prompt_id}",
    )
    kept.keep(VERSIONS_KEPT, {**(kept.recall(VERSIONS_KEPT) or {}), str(prompt_id): version_id})
    return by_id[version_id]


def _first_choice(
    engine: Engine,
    options: dict[int, ModelOption],
    key: str,
    *,
    defaults: int,
    skip_offline: bool,
) -> list[int]:
    """The models a picker starts with: this person's choice from last time (without models that
    can no longer run), else the first ``defaults`` models that can run, those that answered
    here before first; never a model that cannot run."""
    saved = (kept.recall(f"models/{key}") or {}).get("ids")
    if saved is not None:
        return [i for i in saved if i in options and options[i].problem in ("", model_menu.CHECKING)]
    runnable = [i for i, o in options.items() if o.runnable and not (skip_offline and o.offline)]
    proven = [i for i in outputs.models_that_answered(engine) if i in runnable]
    return [*proven, *(i for i in runnable if i not in proven)][:defaults]


def pick_models(
    engine: Engine,
    project_id: int,
    version: PromptVersion,
    *,
    key: str = "compare",
    minimum: int = MIN_MODELS,
    defaults: int = 3,
    skip_offline: bool = False,
    override: bool = True,
) -> list[tuple[ModelChoice, str]]:
    """``minimum``–6 models, each with its call settings (starting from the version's own) and
    (when ``override``) an optional system-prompt override. Models that cannot run (no key, not
    reachable, not allowed for the project) are marked with the reason and never preselected;
    the first ``defaults`` that can run are (skipping offline ones such as Echo when
    ``skip_offline``). The choice is kept for the person, so it survives a reload."""
    chosen_key = f"{key}_models"
    remembered_key = f"{key}_models_remembered"  # plain state: outlives a visit to another page
    first = chosen_key not in st.session_state and st.session_state.get(remembered_key) is None
    options = {o.id: o for o in model_menu.model_options(engine, project_id)}
    if first and any(o.problem == model_menu.CHECKING for o in options.values()):
        options = {
            o.id: o for o in model_menu.model_options(engine, project_id, wait_s=model_menu.PRESELECT_WAIT_S)
        }
    if chosen_key not in st.session_state:  # first visit, or back from another page
        remembered = st.session_state.get(remembered_key)
        if remembered is None:
            remembered = _first_choice(engine, options, key, defaults=defaults, skip_offline=skip_offline)
        st.session_state[chosen_key] = remembered
    # Written on every run (dropping models that went away): the browser then always shows the
    # script's choice; writing it only on the first run let a rerun come back empty.
    st.session_state[chosen_key] = [i for i in st.session_state[chosen_key] if i in options]
    chosen = st.multiselect(
        f"Models ({minimum}–{MAX_MODELS})",
        list(options),
        format_func=lambda i: options[i].shown,
        max_selections=MAX_MODELS,
        key=chosen_key,
        help="Models marked with a reason cannot run now (no key: paste one in Settings → API keys; "
        "not reachable: the server is down or its address is wrong). Prices and connection tests: Settings.",
    )
    st.session_state[remembered_key] = list(chosen)
    kept.keep(f"models/{key}", {"ids": list(chosen)})
    unable = [
        options[i] for i in chosen if not options[i].runnable and options[i].problem != model_menu.CHECKING
    ]
    if unable:
        st.warning(
            "Cannot run now: " + "; ".join(f"{o.label} ({o.problem})" for o in unable) + ". "
            "Pick other models, or fix it in Settings.",
            icon=":material/block:",
        )
    saved = CallSettings.from_dict(version.params)  # the version's own settings start each column
    choices = []
    cols = st.columns(max(len(chosen), 1))
    for col, model_id in zip(cols, chosen, strict=False):
        option = options[model_id]
        with col.container(border=True):
            st.markdown(f"**{safe_markdown(option.label)}**")
            settings = call_settings_inputs(
                saved, f"{key}_{model_id}", provider=provider_class(option.endpoint.provider), more="popover"
            )
            if override:
                with st.popover("System prompt", icon=":material/edit_note:", width="stretch"):
                    system = st.text_area(
                        "Override the version's system message for this model (leave empty to keep it)",
                        key=f"{key}_system_{model_id}",
                        placeholder=version.system_template or "(this version has no system message)",
                    )
                settings = replace(settings, system_override=system.strip() or None)
        choices.append((ModelChoice(model_id, settings), option.label))
    return choices


def empty_values(rows: Sequence[Mapping[str, str]]) -> str | None:
    """What is left blank, row by row: a blank value reaches the model as nothing at all
    ("Current status: ."), and Draft refuses to save such a version for the same reason."""
    gaps = [
        f"row {number}: {', '.join(name for name, value in row.items() if not value.strip())}"
        for number, row in enumerate(rows, start=1)
        if any(not value.strip() for value in row.values())
    ]
    return f"Fill in every value or delete the row ({'; '.join(gaps)})." if gaps else None
