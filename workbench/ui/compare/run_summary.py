"""Under the grid: each model's speed, tokens and cost in the run, in one table whose time
column is drawn as bars (a plotly chart beside it cost the browser more than the rest of the
summary, for the same comparison)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from workbench.runs.outputs import CellView, column_summary
from workbench.ui.compare.output_cell import total_shown


def summary(cells: Sequence[CellView], titles: Sequence[str]) -> None:
    rows = column_summary(cells, titles)
    if not rows or not any(r["Answers"] or r["Failed"] for r in rows):
        return
    st.subheader("By model")
    frame = pd.DataFrame(rows)
    slowest = frame["Avg time (s)"].max()
    shown = frame.assign(
        **{"Avg first token (s)": [f"{v:.2f}" if pd.notna(v) else "—" for v in frame["Avg first token (s)"]]},
        # The sum of the amounts the cells show, so a model's total is exactly its cells' sum.
        **{"Cost ($)": [total_shown([v for v in cells if v.column == i]) for i in range(len(rows))]},
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Avg time (s)": st.column_config.ProgressColumn(
                "Avg time (s)",
                help="Average seconds per complete answer in this run: a shorter bar is a faster model. "
                "Failed calls and reused answers are left out; empty when none was timed.",
                min_value=0.0,
                max_value=float(slowest) if pd.notna(slowest) and slowest > 0 else 1.0,
                format="%.2f s",
            )
        },
    )
    st.caption("The bars compare the models' average time per answer: the shortest bar is the fastest model.")
