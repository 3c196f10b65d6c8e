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

from workbench.insights.version_history import VersionRow
from workbench.judging import feedback
from workbench.ui.rating.charts import score_columns


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
