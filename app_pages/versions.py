"""Versions: history with ratings, side-by-side diff of any two versions, labels and rollback."""

import pandas as pd
import plotly.express as px
import streamlit as st

from workbench import diffs, history, versions
from workbench.ui import draft_state, state
from workbench.ui.diff_view import show_template_diff
from workbench.ui.nav import spec
from workbench.ui.page import header, shows_errors
from workbench.ui.prompt_picker import pick_prompt
from workbench.ui.resources import get_engine

header("Versions", spec("app_pages/versions.py").explanation)
engine = get_engine()
project_id = state.active_project_id()
if project_id is None:
    st.info("Create a project first: prompts belong to a project.")
    st.stop()

with shows_errors():
    prompt_id = pick_prompt(
        engine, project_id, current=state.active_prompt_id(), key="w_versions_prompt", allow_new=False
    )
    if prompt_id is None:
        st.info("This project has no prompts yet. Write one on the Draft page.")
        st.stop()
    rows = history.version_history(engine, prompt_id)
    if not rows:
        st.info("This prompt has no saved version yet. Save one on the Draft page.")
        st.stop()
    numbers = {r.id: r.number for r in rows}
    label_of = {r.id: f"v{r.number} · {r.change_note[:60] or 'no note'}" for r in rows}

    st.subheader("History")
    table = pd.DataFrame(
        {
            "Version": [f"v{r.number}" for r in rows],
            "Labels": [", ".join(r.labels) for r in rows],
            "Average rating": pd.array([r.average_rating for r in rows], dtype="Float64"),
            "Ratings": [r.ratings for r in rows],
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
    open_col, open_btn = st.columns([3, 1], vertical_alignment="bottom")
    to_open = open_col.selectbox(
        "Open a version in the editor", list(numbers), format_func=label_of.get, key="versions_open"
    )
    if open_btn.button(
        "Open in Draft", icon=":material/edit_note:", key="versions_open_btn", width="stretch"
    ):
        draft_state.load_version(versions.get_version(engine, to_open))
        st.switch_page("app_pages/draft.py")

    st.subheader("Compare two versions")
    ids = list(numbers)
    left_col, right_col = st.columns(2)
    left = left_col.selectbox(
        "Older", ids, index=min(1, len(ids) - 1), format_func=label_of.get, key="versions_left"
    )
    right = right_col.selectbox("Newer", ids, index=0, format_func=label_of.get, key="versions_right")
    diff = diffs.diff_versions(engine, left, right)
    show_template_diff(diff.templates, f"v{diff.left_number}", f"v{diff.right_number}")
    if diff.params:
        st.caption("Model settings: " + "; ".join(f"{name} {old} → {new}" for name, old, new in diff.params))

    st.subheader("Labels")
    st.caption('Applications fetch a prompt by label, e.g. `workbench.get_prompt(name, label="production")`.')
    labels = history.label_states(engine, prompt_id)
    for label in labels:
        st.markdown(f"`{label.name}` → **v{label.version_number}** · moved by {label.updated_by or '—'}")
    move, back = st.columns(2, gap="large")
    with move, st.container(border=True):
        st.markdown("**Move a label**")
        known = sorted({lb.name for lb in labels} | {"production", "staging"})
        name = st.selectbox("Label", [*known, "New label…"], key="versions_move_label")
        if name == "New label…":
            name = st.text_input("New label name", key="versions_new_label", placeholder="e.g. canary")
        target = st.selectbox("Point it at", ids, format_func=label_of.get, key="versions_move_target")
        note = st.text_input("Why (optional)", key="versions_move_note")
        if st.button("Move label", key="versions_move", icon=":material/label:"):
            history.move_label(engine, version_id=target, name=name, actor=state.user_name(), note=note)
            st.rerun()
    with back, st.container(border=True):
        st.markdown("**Roll back**")
        if not labels:
            st.caption("No label yet: move one first.")
        else:
            chosen = st.selectbox("Label", [lb.name for lb in labels], key="versions_back_label")
            current = next(lb for lb in labels if lb.name == chosen)
            older = [i for i in ids if numbers[i] < current.version_number]
            if not older:
                st.caption(f"'{chosen}' already points at the oldest version.")
            else:
                default = (
                    older.index(current.previous_version_id) if current.previous_version_id in older else 0
                )
                to = st.selectbox(
                    "Back to",
                    older,
                    index=default,
                    format_func=label_of.get,
                    key=f"versions_back_to_{chosen}_{current.version_number}",
                )
                if st.button(f"Roll {chosen} back", key="versions_back", icon=":material/undo:"):
                    history.roll_back(
                        engine, prompt_id=prompt_id, name=chosen, to_version_id=to, actor=state.user_name()
                    )
                    st.rerun()
    moves = history.label_moves(engine, prompt_id)
    if moves:
        st.markdown("**Label history**")
        st.dataframe(
            pd.DataFrame(
                {
                    "Label": [m.label for m in moves],
                    "Change": [
                        f"{'—' if m.from_number is None else f'v{m.from_number}'} → v{m.to_number}"
                        for m in moves
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
