"""Per release and per day: one chart a business user reads at a glance (answers served, the
share of thumbs up, the slow end of speed, with every label change marked), the table behind
it, and the table as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots
from sqlalchemy import Engine

from workbench.prompts.label_history import LabelMoveRow
from workbench.store import audit
from workbench.ui.shell import state

DAY_MS = 86_400_000
MANY_DAYS = timedelta(days=31)  # up to this many, every day gets its tick
LABELLED_MOVES = 3  # label changes named on the chart (every one gets its dashed line)
COLUMNS = {
    "release": st.column_config.TextColumn("Release", help="Version · model · settings", width="large"),
    "day": st.column_config.TextColumn("Day (UTC)"),
    "answers": st.column_config.NumberColumn("Answers", help="Answers served that day"),
    "errors": st.column_config.NumberColumn("Errors", help="Answers that failed"),
    "error_share": st.column_config.NumberColumn("Error share", format="percent"),
    "latency_p50_ms": st.column_config.NumberColumn(
        "p50 ms", format="%.0f", help="Half the answers came faster than this"
    ),
    "latency_p95_ms": st.column_config.NumberColumn(
        "p95 ms", format="%.0f", help="95 of 100 answers came faster than this"
    ),
    "latency_p99_ms": st.column_config.NumberColumn(
        "p99 ms", format="%.0f", help="99 of 100 answers came faster than this"
    ),
    "cost_usd": st.column_config.NumberColumn("Cost", format="$%.4f", help="All answers that day"),
    "cost_per_answer": st.column_config.NumberColumn("Cost / answer", format="$%.6f"),
    "tokens_in": st.column_config.NumberColumn("Tokens in"),
    "tokens_out": st.column_config.NumberColumn("Tokens out"),
    "thumbs": st.column_config.NumberColumn("Thumbs given"),
    "thumbs_up_share": st.column_config.NumberColumn(
        "Thumbs up", format="percent", help="Share of thumbs that were up"
    ),
    "scores": st.column_config.NumberColumn("Scores given"),
    "feedback_score": st.column_config.NumberColumn(
        "Feedback score", format="%.2f", help="Mean of the 1-5 scores"
    ),
    "comments": st.column_config.NumberColumn("Comments"),
}


def chart(table: pd.DataFrame, moves: Sequence[LabelMoveRow], since: datetime, until: datetime) -> go.Figure:
    """Three rows sharing the days: answers served (bars), thumbs-up share and p95 speed
    (lines), one colour per release; a dashed line at every label change in the range."""
    days = pd.to_datetime(table["day"], utc=True) + pd.Timedelta(hours=12)  # each day's figures at its noon
    releases = list(dict.fromkeys(table["release"]))
    palette = px.colors.qualitative.Safe
    colour = {r: palette[i % len(palette)] for i, r in enumerate(releases)}
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=(
            "Answers served",
            "Thumbs up (share of thumbs given)",
            "Speed: 95 of 100 answers within (ms)",
        ),
    )
    for release in releases:
        mine = table["release"] == release
        common = {"name": release, "legendgroup": release, "marker_color": colour[release]}
        figure.add_trace(
            go.Bar(x=days[mine], y=table.loc[mine, "answers"], width=DAY_MS * 0.8, **common), row=1, col=1
        )
        for row, column, shown in ((2, "thumbs_up_share", "%{y:.0%}"), (3, "latency_p95_ms", "%{y:,.0f} ms")):
            figure.add_trace(
                go.Scatter(
                    x=days[mine],
                    y=table.loc[mine, column],
                    mode="lines+markers",
                    showlegend=False,
                    line_color=colour[release],
                    hovertemplate=f"{release}<br>%{{x|%d %b}}: {shown}<extra></extra>",
                    **{k: v for k, v in common.items() if k != "marker_color"},
                ),
                row=row,
                col=1,
            )
    in_window = [m for m in moves if since <= m.moved_at < until]
    for move in in_window:
        figure.add_vline(x=move.moved_at, line_dash="dash", line_color="grey")
    for step, move in enumerate(in_window[:LABELLED_MOVES]):  # newest first, one line each
        figure.add_annotation(
            x=move.moved_at, y=1.0 - 0.035 * step, yref="paper", showarrow=False,
            xanchor="right" if move.moved_at > since + (until - since) / 2 else "left",  # inside the plot
            font={"size": 11, "color": "#555"}, bgcolor="rgba(255,255,255,0.8)",
            text=f"{move.label} {move.kind}: v{move.to_number} · {move.to_model}",
        )  # fmt: skip
    figure.update_layout(
        barmode="stack",
        height=640,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"title": "Release", "orientation": "h", "y": -0.08},
    )
    figure.update_xaxes(
        range=[since, until], tickformat="%d %b", dtick=DAY_MS if until - since <= MANY_DAYS else None
    )
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05], row=2, col=1)
    return figure


def show(
    engine: Engine,
    table: pd.DataFrame,
    moves: Sequence[LabelMoveRow],
    days: tuple[date, date],
    window: tuple[datetime, datetime],
    prompt_name: str,
) -> None:
    st.plotly_chart(chart(table, moves, *window), width="stretch", key="monitor_chart")
    st.dataframe(table, hide_index=True, width="stretch", column_config=COLUMNS, key="monitor_per_day")
    name = "".join(c if c.isalnum() else "-" for c in prompt_name.lower()).strip("-")
    st.download_button(
        "Download CSV",
        table.to_csv(index=False).encode("utf-8"),
        file_name=f"monitor-{name}-{days[0]:%Y%m%d}-{days[1]:%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        key="monitor_csv",
        on_click=audit.record_now,
        kwargs={
            "engine": engine,
            "actor": state.user_name(),
            "action": "export.monitor_csv",
            "entity_type": "prompt",
            "after": {"prompt": prompt_name, "rows": len(table), "days": [str(days[0]), str(days[1])]},
        },
    )
