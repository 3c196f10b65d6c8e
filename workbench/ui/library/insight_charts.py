"""Plotly figures for the Insights page, and the frames behind them (cached for a minute).

Distributions arrive as five numbers per model (p5, quartiles, p95) and are drawn as box
plots from those numbers, so a library of 200,000 answers never ships every point to the
browser. Whiskers are p5 and p95 (not min/max), which the page says under the charts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from workbench.insights import analytics
from workbench.judging.feedback import Agreement
from workbench.ui.shell.resources import get_engine

MARGIN = {"l": 10, "r": 10, "t": 30, "b": 10}


@dataclass(frozen=True)
class Frames:
    ratings: pd.DataFrame
    pass_rates: pd.DataFrame
    latency: pd.DataFrame
    cost: pd.DataFrame
    tags: pd.DataFrame
    agreement: Agreement
    kappas: pd.DataFrame


@st.cache_data(ttl=60, show_spinner="Adding up the library…")
def load(database_url: str, scope: analytics.Scope) -> Frames:
    """Every frame of the page for ``scope``; ``database_url`` keys the cache per database."""
    engine = get_engine()
    shared = analytics.shared_ratings(engine, scope)
    return Frames(
        ratings=analytics.rating_by_version(engine, scope),
        pass_rates=analytics.pass_rate_by_model(engine, scope),
        latency=analytics.distribution_by_model(engine, scope, "latency_ms"),
        cost=analytics.distribution_by_model(engine, scope, "cost_usd"),
        tags=analytics.tag_frequencies(engine, scope),
        agreement=analytics.agreement(shared),
        kappas=analytics.pairwise_kappa(shared),
    )


def rating_trend(frame: pd.DataFrame) -> go.Figure:
    """A line per prompt through its versions, on the date each was saved. When they were all
    saved within a day (a fresh demo, an import), dates would crowd into one spot, so the axis
    lists the versions in the order they were saved instead."""
    span = frame["saved_at"].max() - frame["saved_at"].min() if len(frame) else pd.Timedelta(0)
    by_date = span >= pd.Timedelta(days=1)
    figure = px.line(
        frame,
        x="saved_at" if by_date else "label",
        y="average_rating",
        color="prompt",
        markers=True,
        hover_data={"label": True, "saved_at": True, "ratings": True, "project": True, "prompt": False},
        color_discrete_sequence=px.colors.qualitative.Safe,
    )
    figure.update_layout(
        height=380,
        margin=MARGIN,
        xaxis_title="When the version was saved" if by_date else "Versions, in the order they were saved",
        yaxis={"range": [0.8, 5.2], "title": "Average rating (1-5)"},
        legend_title_text="Prompt",
    )
    return figure


def pass_rate_bars(frame: pd.DataFrame) -> go.Figure:
    ordered = frame.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=ordered["pass_rate"],
            y=ordered["model"],
            orientation="h",
            marker_color="#2e7d32",
            text=[
                f"{r:.0%} of {n} answers"
                for r, n in zip(ordered["pass_rate"], ordered["answers"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
        )
    )
    figure.update_layout(
        height=120 + 44 * len(frame),
        margin=MARGIN,
        xaxis={
            "range": [0, 1.3],
            "tickvals": [0, 0.25, 0.5, 0.75, 1],
            "tickformat": ".0%",
            "title": "Answers passing every assertion",
        },
    )
    return figure


def distribution(frame: pd.DataFrame, title: str, unit_format: str) -> go.Figure:
    figure = go.Figure()
    for row in frame.itertuples(index=False):
        figure.add_trace(
            go.Box(
                name=row.model,
                y=[row.model],
                q1=[row.q1],
                median=[row.median],
                q3=[row.q3],
                lowerfence=[row.p5],
                upperfence=[row.p95],
                mean=[row.mean],
                orientation="h",
                boxpoints=False,
                hovertemplate=f"%{{y}}<br>median %{{x:{unit_format}}}<extra>{row.answers} answers</extra>",
            )
        )
    figure.update_layout(
        height=120 + 50 * len(frame),
        margin=MARGIN,
        showlegend=False,
        xaxis_title=title,
    )
    return figure


def tag_bars(frame: pd.DataFrame) -> go.Figure:
    figure = px.bar(frame.iloc[::-1], x="count", y="tag", orientation="h", text="count")
    figure.update_traces(marker_color="#5c6bc0")
    figure.update_layout(
        height=120 + 32 * len(frame), margin=MARGIN, xaxis_title="Times raters gave the tag", yaxis_title=None
    )
    return figure


def kappa_heatmap(frame: pd.DataFrame) -> go.Figure:
    grid = frame.pivot(index="rater_a", columns="rater_b", values="kappa")
    figure = px.imshow(
        grid,
        zmin=-1,
        zmax=1,
        color_continuous_scale="RdBu",
        text_auto=".2f",
        labels={"color": "Cohen's κ"},
    )
    figure.update_layout(height=140 + 40 * len(grid), margin=MARGIN, xaxis_title=None, yaxis_title=None)
    return figure
