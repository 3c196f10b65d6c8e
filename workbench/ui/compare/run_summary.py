"""Under the grid: a small table and chart of each model's speed, tokens and cost in the run."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import streamlit as st

from workbench.runs.outputs import CellView, column_summary
from workbench.ui.compare.output_cell import total_shown


def summary(cells: Sequence[CellView], titles: Sequence[str]) -> None:
    rows = column_summary(cells, titles)
    if not rows or not any(r["Answers"] or r["Failed"] for r in rows):
        return
    st.subheader("By model")
    frame = pd.DataFrame(rows)
    shown = frame.assign(
        **{
            c: [f"{v:.2f}" if pd.notna(v) else "—" for v in frame[c]]
            for c in ("Avg time (s)", "Avg first token (s)")
        },
        # The sum of the amounts the cells show, so a model's total is exactly its cells' sum.
        **{"Cost ($)": [total_shown([v for v in cells if v.column == i]) for i in range(len(rows))]},
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    timed = frame.dropna(subset=["Avg time (s)"])
    if not timed.empty:
        chart = px.bar(
            timed,
            x="Avg time (s)",
            y="Model",
            orientation="h",
            text="Avg time (s)",
            hover_data=["Avg first token (s)", "Tokens out", "Cost ($)"],
            height=110 + 40 * len(timed),
        )
        chart.update_layout(
            title={"text": "Average time per answer (s)", "font": {"size": 14}},
            margin={"l": 0, "r": 10, "t": 40, "b": 0},
            xaxis_title=None,
            yaxis_title=None,
        )
        chart.update_yaxes(autorange="reversed")  # same order as the table and the grid
        st.plotly_chart(chart, width="stretch", config={"displayModeBar": False})
