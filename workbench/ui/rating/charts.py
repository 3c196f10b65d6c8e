"""Plotly charts and table formats for the rating frames (leaderboard, average scores, tags).

Figures rest on counts, so every chart shows the count behind each bar, and contenders with
too few comparisons or ratings are drawn grey: people look at bars before they read tables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from workbench.judging.ranking import ELO_BASE
from workbench.ui.shell import meanings

TRUSTED = "#2e7d32"
TOO_FEW = "#b0b0b0"


def _height(rows: int) -> int:
    return 120 + 44 * max(rows, 1)


def leaderboard_chart(board: pd.DataFrame) -> go.Figure:
    """Horizontal bars of the Bradley–Terry rating around the 1000 reference, best on top."""
    ordered = board.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=ordered["bt_rating"] - ELO_BASE,
            y=ordered["contender"],
            base=ELO_BASE,
            orientation="h",
            marker_color=[TOO_FEW if few else TRUSTED for few in ordered["too_few"]],
            text=[
                f"{rating:.0f} · {rate:.0%} wins · {n} comparisons" + (" (too few)" if few else "")
                for rating, rate, n, few in zip(
                    ordered["bt_rating"],
                    ordered["win_rate"],
                    ordered["comparisons"],
                    ordered["too_few"],
                    strict=True,
                )
            ],
            textposition="auto",
            hovertemplate="%{y}<br>rating %{x:.0f}<extra></extra>",
        )
    )
    figure.add_vline(x=ELO_BASE, line_dash="dot", line_color="#666")
    figure.update_layout(
        height=_height(len(board)),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="Bradley–Terry rating (1000 = average; +400 = ten-to-one odds)",
        yaxis_title=None,
    )
    return figure


def score_chart(summary: pd.DataFrame, by: str) -> go.Figure:
    """Average score per group with its 95% interval and the number of ratings."""
    ordered = summary.iloc[::-1]
    low = (ordered["mean_score"] - ordered["ci_low"]).fillna(0)
    high = (ordered["ci_high"] - ordered["mean_score"]).fillna(0)
    figure = go.Figure(
        go.Bar(
            x=ordered["mean_score"],
            y=ordered[by],
            orientation="h",
            marker_color=[TOO_FEW if few else TRUSTED for few in ordered["too_few"]],
            error_x={"type": "data", "array": high, "arrayminus": low, "color": "#333"},
            text=[
                f"{m:.2f} · {n} ratings"
                for m, n in zip(ordered["mean_score"], ordered["ratings"], strict=True)
            ],
            textposition="inside",
            insidetextanchor="start",  # at the bar's base, clear of the interval whiskers
            textangle=0,
            hovertemplate="%{y}<br>average %{x:.2f}<extra></extra>",
        )
    )
    figure.update_layout(
        height=_height(len(summary)),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"range": [0, 5.2], "title": "Average score (1-5; thumbs up = 5, down = 1), with 95% interval"},
        yaxis_title=None,
    )
    return figure


def tag_chart(counts: pd.DataFrame, by: str) -> go.Figure:
    """How often each tag was given, stacked per group."""
    # A neutral palette: tags are not good or bad by colour (a red "accurate" would mislead).
    figure = px.bar(
        counts,
        x="count",
        y=by,
        color="tag",
        orientation="h",
        text="count",
        color_discrete_sequence=px.colors.qualitative.Safe,
    )
    figure.update_layout(
        height=_height(counts[by].nunique()),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title="Times the tag was given",
        yaxis_title=None,
        legend_title_text="Tag",
    )
    return figure


def rating_text(averages: Iterable[float | None], digits: int = 1) -> list[str]:
    """Average ratings as a table shows them, "4.5 ★" or "not rated": a table draws a missing
    number as the word None."""
    return ["not rated" if pd.isna(v) else f"{v:.{digits}f} ★" for v in averages]


def score_columns() -> dict[str, Any]:
    """Column labels and formats for ``feedback.score_summary`` / ``version_feedback`` tables."""
    return {
        "version": "Version",
        "model": "Model",
        "ratings": "Ratings",
        "raters": "Raters",
        "mean_score": st.column_config.NumberColumn(
            "Average score", format="%.2f", help=meanings.strip(meanings.AVERAGE_SCORE)
        ),
        "ci_low": st.column_config.NumberColumn(
            "95% low", format="%.2f", help=meanings.strip(meanings.INTERVAL)
        ),
        "ci_high": st.column_config.NumberColumn(
            "95% high", format="%.2f", help=meanings.strip(meanings.INTERVAL)
        ),
        "too_few": st.column_config.CheckboxColumn("Too few to trust", help=meanings.strip(meanings.TOO_FEW)),
        "tags": "Tags given",
    }


def leaderboard_columns(contender: str) -> dict[str, Any]:
    """Column labels and formats for ``pairwise.leaderboard`` tables."""
    return {
        "contender": contender,
        "bt_rating": st.column_config.NumberColumn(
            "BT rating", format="%.0f", help=meanings.strip(meanings.BRADLEY_TERRY)
        ),
        "win_rate": st.column_config.ProgressColumn(
            "Win rate", min_value=0, max_value=1, format="percent", help=meanings.strip(meanings.WIN_RATE)
        ),
        "wins": "Wins",
        "losses": "Losses",
        "ties": "Ties",
        "both_bad": "Both bad",
        "comparisons": "Comparisons",
        "too_few": st.column_config.CheckboxColumn("Too few to trust", help=meanings.strip(meanings.TOO_FEW)),
    }
