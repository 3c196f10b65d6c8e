"""The Versions page's panels: the history with what raters said (per version and per model),
and the label moves (move, roll back) with their role check.

Ratings come from ``workbench.judging.feedback`` through ``history.version_history`` (per version) and
``feedback.version_feedback(per_model=True)``, so the figures match the Feedback page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import plotly.express as px
import streamlit as st
from sqlalchemy import Engine

from workbench.insights import version_history as history
from workbench.insights.version_history import LabelState, VersionRow
from workbench.judging import feedback
from workbench.store.engine import session_scope
from workbench.ui.rating.charts import score_columns
from workbench.ui.shell import auth, state
from workbench.ui.shell.page import rerun_fragment, shows_errors


def history_table(engine: Engine, prompt_id: int, rows: Sequence[VersionRow]) -> None:
    """Versions newest first with labels, average score, rating count and tags; then the same
    per model, and the trend of the average over versions."""
    table = pd.DataFrame(
        {
            "Version": [f"v{r.number}" for r in rows],
            "Labels": [", ".join(r.labels) for r in rows],
            "Average rating": pd.array([r.average_rating for r in rows], dtype="Float64"),
            "Ratings": [r.ratings for r in rows],
            "Tags given": [r.tags for r in rows],
            "Saved by": [r.author or "—" for r in rows],
            "When": [r.created_at for r in rows],
            "Change note": [r.change_note or "—" for r in rows],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            "Average rating": st.column_config.NumberColumn(format="%.1f ★", help="Average score out of 5"),
            "Change note": st.column_config.TextColumn(width="large"),
        },
    )
    if not any(r.ratings for r in rows):
        st.caption("Average ratings appear here once outputs of a version have been rated.")
        return
    st.markdown("**Per version and model**")
    per_model = feedback.version_feedback(engine, prompt_id, per_model=True)
    st.dataframe(
        per_model[["version", "model", "ratings", "mean_score", "tags", "too_few"]],
        hide_index=True,
        width="stretch",
        column_config=score_columns(),
        key="versions_per_model",
    )
    rated = [r for r in reversed(rows) if r.ratings]
    if len(rated) > 1:
        chart = px.line(
            x=[f"v{r.number}" for r in rated],
            y=[r.average_rating for r in rated],
            markers=True,
            range_y=[1, 5],
        )
        chart.update_layout(xaxis_title="Version", yaxis_title="Average rating", height=260, margin={"t": 10})
        st.plotly_chart(chart, width="stretch")


LABEL_FLASH = "versions_label_flash"


def _move(
    engine: Engine, project_id: int, ids: list[int], labels: Sequence[LabelState], label_of: Callable
) -> None:
    st.markdown("**Move a label**")
    known = sorted({lb.name for lb in labels} | {"production", "staging"})
    name = st.selectbox("Label", [*known, "New label…"], key="versions_move_label")
    if name == "New label…":
        name = st.text_input("New label name", key="versions_new_label", placeholder="e.g. canary")
    target = st.selectbox("Point it at", ids, format_func=label_of, key="versions_move_target")
    note = st.text_input("Why (optional)", key="versions_move_note")
    if st.button("Move label", key="versions_move", icon=":material/label:") and auth.allowed(
        "label.move", project_id
    ):
        with session_scope(engine) as session:
            history.move_label(session, version_id=target, name=name, actor=state.user_name(), note=note)
        del st.session_state["versions_move_note"]  # a reason belongs to one move, not the next
        st.session_state[LABEL_FLASH] = f"'{name}' now points at {label_of(target)}."
        rerun_fragment()


def _roll_back(
    engine: Engine,
    project_id: int,
    prompt_id: int,
    numbers: dict[int, int],
    labels: Sequence[LabelState],
    label_of: Callable,
) -> None:
    st.markdown("**Roll back**")
    if not labels:
        st.caption("No label yet: move one first.")
        return
    chosen = st.selectbox("Label", [lb.name for lb in labels], key="versions_back_label")
    current = next(lb for lb in labels if lb.name == chosen)
    older = [i for i in numbers if numbers[i] < current.version_number]
    if not older:
        st.caption(f"'{chosen}' already points at the oldest version.")
        return
    default = older.index(current.previous_version_id) if current.previous_version_id in older else 0
    to = st.selectbox(
        "Back to",
        older,
        index=default,
        format_func=label_of,
        key=f"versions_back_to_{chosen}_{current.version_number}",
    )
    if st.button(f"Roll {chosen} back", key="versions_back", icon=":material/undo:") and auth.allowed(
        "label.move", project_id
    ):
        with session_scope(engine) as session:
            history.roll_back(
                session, prompt_id=prompt_id, name=chosen, to_version_id=to, actor=state.user_name()
            )
        st.session_state[LABEL_FLASH] = f"'{chosen}' rolled back to {label_of(to)}; no version was changed."
        rerun_fragment()


def label_panels(
    engine: Engine, project_id: int, prompt_id: int, numbers: dict[int, int], label_of: Callable[[int], str]
) -> None:
    """Where each label points, then "Move a label" and "Roll back" side by side (admins only
    when sign-in is on: the issue gives labels to admins)."""
    labels = history.label_states(engine, prompt_id)
    flash = st.session_state.pop(LABEL_FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    for label in labels:
        st.markdown(f"`{label.name}` → **v{label.version_number}** · moved by {label.updated_by or '—'}")
    move, back = st.columns(2, gap="large")
    with move, st.container(border=True):
        _move(engine, project_id, list(numbers), labels, label_of)
    with back, st.container(border=True):
        _roll_back(engine, project_id, prompt_id, numbers, labels, label_of)


def _label_history(engine: Engine, prompt_id: int) -> None:
    moves = history.label_moves(engine, prompt_id)
    if not moves:
        return
    st.markdown("**Label history**")
    st.dataframe(
        pd.DataFrame(
            {
                "Label": [m.label for m in moves],
                "Change": [
                    f"{'—' if m.from_number is None else f'v{m.from_number}'} → v{m.to_number}" for m in moves
                ],
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


@st.fragment
def history_and_labels(engine: Engine, project_id: int, prompt_id: int) -> None:
    """The history table, where each label points, moving and rolling labels back, and the
    label history. A fragment: a label move reruns this part only, and everything in it that
    shows labels is redrawn with it."""
    rows = history.version_history(engine, prompt_id)
    numbers = {r.id: r.number for r in rows}
    label_of = {r.id: f"v{r.number} · {r.change_note[:60] or 'no note'}" for r in rows}
    st.subheader("History")
    history_table(engine, prompt_id, rows)
    st.subheader("Labels")
    st.caption('Applications fetch a prompt by label, e.g. `workbench.get_prompt(name, label="production")`.')
    with shows_errors():  # inside the fragment: a refused move is said here, on its own rerun too
        label_panels(engine, project_id, prompt_id, numbers, label_of.get)
    _label_history(engine, prompt_id)
