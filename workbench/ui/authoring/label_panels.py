"""The Versions page's labels: where each points (its release: version, model and settings),
"Move a label" (to a version on a model with its settings) and "Roll back" (put back a release
the label served before), with their role check, and the label history with the model and
settings of both ends of every move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.errors import WorkbenchError
from workbench.models import endpoints
from workbench.models.providers.registry import provider_class
from workbench.models.settings import CallSettings
from workbench.prompts import label_history, versions
from workbench.prompts.label_history import LabelMoveRow, LabelState
from workbench.prompts.releases import ReleaseModel
from workbench.store.engine import session_scope
from workbench.ui.shell import auth, state
from workbench.ui.shell.call_settings_inputs import call_settings_inputs, settings_in_state
from workbench.ui.shell.page import literal
from workbench.ui.shell.safe_markdown import safe_markdown

LABEL_FLASH = "versions_label_flash"
PROMPT_KEY = "w_versions_prompt"  # the Versions page's prompt picker
MOVE_LABEL, MOVE_TARGET = "versions_move_label", "versions_move_target"
MOVE_NOTE, NEW_LABEL = "versions_move_note", "versions_new_label"
MOVE_PROBLEM = "versions_move_problem"  # ("warning" | "error", text) of the last refused move
BACK_PROBLEM = "versions_back_problem"  # ("warning" | "error", text) of the last refused roll back
NEW_LABEL_CHOICE = "New label…"
ASKED_MOVE = "versions_asked_move"  # (prompt id, version id, label) another page asked to move
CALLER_CHOOSES_TEXT = "The caller chooses (the application names a model)"


def ask_to_move(prompt_id: int, version_id: int, label: str = "production") -> None:
    """Have the Versions page open on ``prompt_id`` with "Move a label" set to point ``label`` at
    ``version_id``; the person still chooses the model, presses Move label (and needs the right to)."""
    st.session_state[ASKED_MOVE] = (prompt_id, version_id, label)


def take_asked_move() -> None:
    """Fill the Versions page's pickers with what another page asked for (call before them)."""
    asked = st.session_state.pop(ASKED_MOVE, None)
    if asked is None:
        return
    prompt_id, version_id, label = asked
    state.set_active_prompt(prompt_id)
    st.session_state[PROMPT_KEY] = prompt_id
    st.session_state[MOVE_LABEL] = label
    st.session_state[MOVE_TARGET] = version_id


def release_models(engine: Engine) -> dict[ReleaseModel, str]:
    """Every enabled model as a release names it, with its provider's registry name."""
    enabled = {e.id: e for e in endpoints.list_endpoints(engine, include_disabled=False)}
    return {
        ReleaseModel(enabled[m.endpoint_id].name, m.model): enabled[m.endpoint_id].provider
        for m in endpoints.list_models(engine, enabled_only=True)
        if m.endpoint_id in enabled
    }


def _chosen_name() -> str:
    name = str(st.session_state.get(MOVE_LABEL) or "")
    return str(st.session_state.get(NEW_LABEL) or "") if name == NEW_LABEL_CHOICE else name


def _defaults(engine: Engine, labels: Sequence[LabelState], name: str, target: int) -> CallSettings:
    """The settings a move starts from: the label's own when it stays on its version, else the
    version's."""
    current = next((lb for lb in labels if lb.name == name), None)
    if current is not None and current.version_id == target:
        return CallSettings.from_dict(current.settings_values)
    return CallSettings.from_dict(versions.get_version(engine, target).params)


def _move_label(
    engine: Engine, project_id: int, prompt_id: int, labels_of: dict[int, str], model: ReleaseModel | None
) -> None:
    """Move label's callback. It runs before the fragment's next run, so that run draws the
    moved label at once (one run, not a run that writes and then another that shows it). It
    reads what the inputs hold now; a refusal or an error is shown by the next run."""
    name, target = _chosen_name(), st.session_state.get(MOVE_TARGET)
    refusal = auth.why_not("label.move", project_id, engine=engine)
    if refusal or target is None:
        st.session_state[MOVE_PROBLEM] = ("warning", refusal or "Pick the version to point the label at.")
        return
    model = st.session_state.get(f"versions_move_model_{name}", model)
    try:
        settings = settings_in_state(
            _defaults(engine, label_history.label_states(engine, prompt_id), name, target),
            f"versions_move_settings_{target}_{name}",
        )
        with session_scope(engine) as session:
            label_history.move_label(
                session,
                version_id=target,
                name=name,
                actor=state.user_name(),
                note=str(st.session_state.get(MOVE_NOTE) or ""),
                model=model,
                settings=settings,
            )
    except WorkbenchError as exc:
        st.session_state[MOVE_PROBLEM] = ("error", str(exc))
        return
    st.session_state[MOVE_NOTE] = ""  # a reason belongs to one move, not the next
    on = CALLER_CHOOSES_TEXT.lower() if model is None else model.label
    st.session_state[LABEL_FLASH] = f"'{name}' now points at {labels_of.get(target, target)} on {on}."


def _show_problem(key: str) -> None:
    """What the last click's callback kept: a refusal (a warning) or an error."""
    problem = st.session_state.pop(key, None)
    if problem is not None:
        kind, text = problem
        show = st.warning if kind == "warning" else st.error
        show(literal(text), icon=":material/lock:" if kind == "warning" else ":material/warning:")


def _move(
    engine: Engine,
    project_id: int,
    prompt_id: int,
    ids: list[int],
    labels: Sequence[LabelState],
    label_of: Callable[[int], str],
) -> None:
    st.markdown("**Move a label**")
    known = sorted({lb.name for lb in labels} | {"production", "staging"})
    name = st.selectbox("Label", [*known, NEW_LABEL_CHOICE], key=MOVE_LABEL)
    if name == NEW_LABEL_CHOICE:
        name = st.text_input("New label name", key=NEW_LABEL, placeholder="e.g. canary")
    target = st.selectbox("Point it at", ids, format_func=label_of, key=MOVE_TARGET)
    current = next((lb for lb in labels if lb.name == name), None)
    models = release_models(engine)
    options: list[ReleaseModel | None] = [None, *models]
    if current is not None and current.model_choice not in options:
        options.append(current.model_choice)  # a model since switched off stays choosable as it was
    model = st.selectbox(
        "Model",
        options,
        index=options.index(current.model_choice) if current is not None else 0,
        format_func=lambda m: CALLER_CHOOSES_TEXT if m is None else m.label,
        key=f"versions_move_model_{name}",
        help="The model applications call through get_prompt(...).complete(). Moving or rolling back "
        "the label moves the model with the version.",
    )
    call_settings_inputs(
        _defaults(engine, labels, name, target),
        f"versions_move_settings_{target}_{name}",
        provider=provider_class(models[model]) if model in models else None,
    )
    st.text_input("Why (optional)", key=MOVE_NOTE)
    _show_problem(MOVE_PROBLEM)
    st.button(
        "Move label",
        key="versions_move",
        icon=":material/label:",
        on_click=_move_label,
        args=(engine, project_id, prompt_id, {i: label_of(i) for i in ids}, model),
    )


def _roll_back(engine: Engine, project_id: int, prompt_id: int, labels: Sequence[LabelState]) -> None:
    st.markdown("**Roll back**")
    if not labels:
        st.caption("No label yet: move one first.")
        return
    chosen = st.selectbox("Label", [lb.name for lb in labels], key="versions_back_label")
    current = next(lb for lb in labels if lb.name == chosen)
    choices = {c.release_id: c.text for c in label_history.rollback_choices(engine, prompt_id, chosen)}
    if not choices:
        st.caption(f"'{chosen}' has served only its current release: there is nothing to put back.")
        return
    ids = list(choices)
    default = ids.index(current.previous_release_id) if current.previous_release_id in ids else 0
    to_key = f"versions_back_to_{chosen}_{current.release_id}"
    st.selectbox(
        "Back to",
        ids,
        index=default,
        format_func=choices.__getitem__,
        key=to_key,
        help="The releases this label served before, most recent first: the version with its model and settings.",
    )
    _show_problem(BACK_PROBLEM)
    st.button(
        f"Roll {chosen} back",
        key="versions_back",
        icon=":material/undo:",
        on_click=_roll_back_label,
        args=(
            engine,
            project_id,
            prompt_id,
            chosen,
            f"versions_back_to_{chosen}_{current.release_id}",
            choices,
        ),
    )


def _roll_back_label(
    engine: Engine, project_id: int, prompt_id: int, name: str, to_key: str, choices: dict[int, str]
) -> None:
    """Roll back's callback: like Move label's, it writes before the fragment's next run, which
    then shows the label rolled back (or why not)."""
    refusal = auth.why_not("label.move", project_id, engine=engine)
    if refusal:
        st.session_state[BACK_PROBLEM] = ("warning", refusal)
        return
    to = int(st.session_state[to_key])
    try:
        with session_scope(engine) as session:
            label_history.roll_back(
                session, prompt_id=prompt_id, name=name, to_release_id=to, actor=state.user_name()
            )
    except WorkbenchError as exc:
        st.session_state[BACK_PROBLEM] = ("error", str(exc))
        return
    st.session_state[LABEL_FLASH] = (
        f"'{name}' rolled back to {choices[to]}; no version or release was changed."
    )


def label_panels(
    engine: Engine, project_id: int, prompt_id: int, ids: list[int], label_of: Callable[[int], str]
) -> None:
    """Where each label points, then "Move a label" and "Roll back" side by side (admins only
    when sign-in is on: the issue gives labels to admins)."""
    labels = label_history.label_states(engine, prompt_id)
    flash = st.session_state.pop(LABEL_FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    for label in labels:
        st.markdown(
            f"`{label.name}` → **v{label.version_number}** · {label.model} · {label.settings} "
            f"· moved by {safe_markdown(label.updated_by or '—')}"
        )
    move, back = st.columns(2, gap="large")
    with move, st.container(border=True):
        _move(engine, project_id, prompt_id, ids, labels, label_of)
    with back, st.container(border=True):
        _roll_back(engine, project_id, prompt_id, labels)


def label_history_table(moves: Sequence[LabelMoveRow]) -> None:
    """Every move, newest first: the version, the model and the settings at both ends."""
    st.dataframe(
        pd.DataFrame(
            {
                "Label": [m.label for m in moves],
                "Change": [
                    f"{'—' if m.from_number is None else f'v{m.from_number}'} → v{m.to_number}" for m in moves
                ],
                "Model": [m.model_change for m in moves],
                "Settings": [m.settings_change for m in moves],
                "What": [m.kind for m in moves],
                "By": [m.moved_by for m in moves],
                "When": [m.moved_at for m in moves],
                "Note": [m.note for m in moves],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
    )
