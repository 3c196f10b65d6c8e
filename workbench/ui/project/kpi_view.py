"""The project dashboard: each KPI against the latest evaluation, the ratings and the answers in
use (the monitor's figures over the KPI's days), met or not."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine

from workbench.monitor import figures
from workbench.projects import kpis
from workbench.store.lookup import id_of
from workbench.store.tables import Project

COLOURS = {kpis.MET: "green", kpis.NOT_MET: "red", kpis.NO_DATA: "gray"}
HEX = {kpis.MET: "#2f9e44", kpis.NOT_MET: "#e03131"}


def _attainment_chart(report: kpis.KpiReport) -> go.Figure | None:
    measured = [r for r in report.results if r.attainment is not None]
    if not measured:
        return None
    figure = go.Figure(
        go.Bar(
            x=[min(r.attainment or 0, 2.0) * 100 for r in measured],
            y=[r.label for r in measured],
            orientation="h",
            marker_color=[HEX[r.status] for r in measured],
            text=[r.shown_value for r in measured],
            textposition="inside",
            insidetextanchor="start",
            customdata=[r.shown_target for r in measured],
            hovertemplate="%{y}: %{text}, target %{customdata} (%{x:.0f}% of target)<extra></extra>",
        )
    )
    figure.add_vline(x=100, line_dash="dash", annotation_text="target", annotation_position="bottom right")
    figure.update_layout(
        title="Distance to target (right of the line = met)",
        xaxis_title="% of target (capped at 200%)",
        height=90 + 45 * len(measured),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def _history_chart(engine: Engine, project_id: int, criteria: list[dict]) -> go.Figure | None:
    history = kpis.pass_rate_history(engine, project_id)
    if len(history) < 2:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[h[0] for h in history],
            y=[h[2] for h in history],
            text=[h[1] for h in history],
            mode="lines+markers",
            hovertemplate="%{text}: %{y:.0%}<extra></extra>",
        )
    )
    for c in criteria:
        if c["metric"] == "pass_rate":
            figure.add_hline(y=c["target"], line_dash="dash", annotation_text=c["label"])
    figure.update_layout(
        title="Bench pass rate by evaluation",
        yaxis_tickformat=".0%",
        yaxis_range=[0, 1.05],
        height=260,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def dashboard(engine: Engine, project: Project) -> None:
    criteria = project.success_criteria or []
    if not criteria:
        st.info("No success criteria yet. Add measurable KPIs under **Success criteria** below.")
        return
    project_id: int = project.id  # type: ignore[assignment]
    report = kpis.evaluate(
        engine, project_id, criteria, in_use=lambda days: figures.in_use_figures(engine, project_id, days)
    )
    source = (
        f"latest evaluation **{report.evaluation_name or 'unnamed'}** of {report.evaluation_at:%Y-%m-%d %H:%M} UTC"
        if report.evaluation_at
        else "no bench evaluation yet"
    )
    in_use = (
        " · answers in use over each KPI's days"
        if any(r.metric in kpis.IN_USE for r in report.results)
        else ""
    )
    st.markdown(
        f"**{report.met} of {len(report.results)} KPIs met** · {source} · all ratings of this project{in_use}"
    )
    columns = st.columns(min(4, len(report.results)))
    for i, result in enumerate(report.results):
        columns[i % len(columns)].metric(
            result.label,
            result.shown_value,
            delta=f"{result.status.capitalize()} · target {result.shown_target}",
            delta_color=COLOURS[result.status],  # type: ignore[arg-type]
            delta_arrow="off",
            help=f"{kpis.METRICS[result.metric].explanation}\n\nFrom: {result.basis}",
            border=True,
        )
    no_data = [r for r in report.results if r.status == kpis.NO_DATA]
    for result in no_data:
        st.caption(f":gray-badge[No data yet] **{result.label}**: {result.basis}")
    charts = [c for c in (_attainment_chart(report), _history_chart(engine, id_of(project), criteria)) if c]
    for column, chart in zip(st.columns(len(charts)) if charts else [], charts, strict=True):
        column.plotly_chart(chart, width="stretch")
