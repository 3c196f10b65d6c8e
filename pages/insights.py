"""Insights: how the whole library is doing, as charts you can download: ratings over versions,
pass rate, latency and cost per model, tags, and whether raters agree."""

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from workbench.config import load_settings
from workbench.insights import analytics
from workbench.store.lookup import id_of
from workbench.ui.library import insight_charts as charts
from workbench.ui.library.library_view import chart_with_downloads, visible_ids, visible_projects
from workbench.ui.shell.meanings import ALPHA, KAPPA, PASS_RATE, explain
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Insights", spec("pages/insights.py").explanation)
engine = get_engine()
PERIODS = {"All time": None, "Last 7 days": 7, "Last 30 days": 30, "Last 90 days": 90, "Custom": -1}


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _per_model(
    what: str, frame: pd.DataFrame, empty: str, axis: str, number_format: str, all_zero: str = ""
) -> None:
    """One distribution per model (latency, cost): the same chart and downloads, other figures.
    ``all_zero`` is said instead of drawing flat boxes on a meaningless axis."""
    st.subheader(f"{what} per model")
    if frame.empty:
        st.info(empty)
        return
    if all_zero and not frame["p95"].any():
        st.info(all_zero)
        return
    chart_with_downloads(
        charts.distribution(frame, axis, number_format),
        frame,
        f"{what.lower()}-by-model",
        key=f"ins_{what.lower()}",
    )


with shows_errors():
    names = {id_of(p): p.name for p in visible_projects(engine)}
    if not names:
        st.info("There is no project yet. Projects hold a use case and its prompts.")
        st.stop()
    left, middle, right = st.columns([3, 2, 3])
    chosen = left.multiselect(
        "Projects",
        list(names),
        format_func=lambda k: names[k],
        key="insights_projects",
        placeholder="All projects",
    )
    period = middle.selectbox("Period", list(PERIODS), key="insights_period")
    today = datetime.now(UTC).date()
    since = until = None
    days = PERIODS[period]
    if days == -1:
        picked = right.date_input(
            "From – to (UTC)", value=(today - timedelta(days=30), today), key="insights_dates"
        )
        start, end = picked if isinstance(picked, tuple) and len(picked) == 2 else (today, today)
        start = start if isinstance(start, date) else today
        end = end if isinstance(end, date) else start
        since, until = (
            datetime.combine(start, time.min, UTC),
            datetime.combine(end + timedelta(days=1), time.min, UTC),
        )
    elif days:
        since = datetime.combine(today - timedelta(days=days), time.min, UTC)
    scope = analytics.Scope(project_ids=tuple(chosen), since=since, until=until, allowed=visible_ids(engine))
    found = charts.load(load_settings().database_url, scope)
    st.caption("Answers and ratings in the period; figures refresh within a minute of new work.")

    st.subheader("Average rating by version over time")
    if found.ratings.empty:
        st.info("No ratings in this period: rate answers on the Review page.")
    else:
        shown = analytics.top_prompts(found.ratings)
        if len(shown) < len(found.ratings):
            st.caption(f"The {shown['prompt'].nunique()} most-rated prompts; the CSV has every version.")
        chart_with_downloads(
            charts.rating_trend(shown), found.ratings, "rating-by-version", key="ins_ratings"
        )

    st.subheader("Pass rate by model")
    if found.pass_rates.empty:
        st.info("No bench results in this period: run an evaluation of test cases first.")
    else:
        chart_with_downloads(
            charts.pass_rate_bars(found.pass_rates), found.pass_rates, "pass-rate-by-model", key="ins_pass"
        )
        explain([PASS_RATE + " Evaluations in which every call failed are left out."])

    latency, cost = st.columns(2)
    with latency:
        _per_model(
            "Latency", found.latency, "No timed answers in this period.", "Milliseconds per answer", ",.0f"
        )
    with cost:
        _per_model(
            "Cost",
            found.cost,
            "No priced answers in this period: set the models' prices.",
            "US dollars per answer",
            "$.5f",
            all_zero="Every answer in this period cost $0: offline models, or models without a price "
            "(set prices in Settings).",
        )

    st.caption(
        "Boxes: middle half of the answers, line at the median; whiskers: 5th to 95th percentile; dashed: mean."
    )

    st.subheader("Tags raters gave")
    if found.tags.empty:
        st.info("No tags in this period.")
    else:
        chart_with_downloads(charts.tag_bars(found.tags), found.tags, "tag-frequencies", key="ins_tags")

    st.subheader("Do the raters agree?")
    agreement = found.agreement
    cols = st.columns(3)
    cols[0].metric("Answers rated by 2+ people", agreement.shared_outputs)
    cols[1].metric("Krippendorff's α (ordinal)", _fmt(agreement.alpha_ordinal), help=ALPHA)
    cols[2].metric("Krippendorff's α (interval)", _fmt(agreement.alpha_interval), help=ALPHA)
    st.caption(agreement.verdict)
    explain([ALPHA])
    if not found.kappas.empty:
        chart_with_downloads(
            charts.kappa_heatmap(found.kappas), found.kappas, "rater-agreement", key="ins_kappa"
        )
        explain([KAPPA])
