"""The Versions page's history: what raters said per version and per model, and the trend.
Labels (move, roll back, their history) are ``label_panels``.

Ratings come from ``workbench.judging.feedback`` through ``history.version_history`` (per version) and
``feedback.version_feedback(per_model=True)``, so the figures match the Feedback page.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import streamlit as st
from sqlalchemy import Engine

from workbench.insights import version_history as history
from workbench.insights.version_history import VersionRow
from workbench.judging import feedback
from workbench.prompts import label_history
from workbench.ui.authoring.label_panels import label_history_table, label_panels
from workbench.ui.rating.charts import rating_text, score_columns
from workbench.ui.shell.page import shows_errors


def history_table(engine: Engine, prompt_id: int, rows: Sequence[VersionRow]) -> None:
    """Versions newest first with labels, average score, rating count and tags; then the same
    per model, and the trend of the average over versions."""
    table = pd.DataFrame(
        {
            "Version": [f"v{r.number}" for r in rows],
            "Labels": [", ".join(r.labels) for r in rows],
            "Average rating": rating_text(r.average_rating for r in rows),
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
            "Average rating": st.column_config.TextColumn(help="Average score out of 5"),
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


@st.fragment
def history_and_labels(engine: Engine, project_id: int, prompt_id: int) -> None:
    """The history table, where each label points, moving and rolling labels back, and the
    label history. A fragment: a label move reruns this part only, and everything in it that
    shows labels is redrawn with it."""
    rows = history.version_history(engine, prompt_id)
    label_of = {r.id: f"v{r.number} · {r.change_note[:60] or 'no note'}" for r in rows}
    st.subheader("History")
    history_table(engine, prompt_id, rows)
    st.subheader("Labels")
    st.caption(
        "A label points at a release: a version, the model it runs on and its settings. Applications "
        'call it with `workbench.get_prompt(name, label="production").complete(...)`; see the Monitor page.'
    )
    with shows_errors():  # inside the fragment: a refused move is said here, on its own rerun too
        label_panels(engine, project_id, prompt_id, [r.id for r in rows], label_of.__getitem__)
    moves = label_history.label_moves(engine, prompt_id)
    if moves:
        st.markdown("**Label history**")
        label_history_table(moves)
