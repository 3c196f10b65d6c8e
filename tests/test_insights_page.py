"""The Insights page through AppTest: every chart with its two downloads, and the filters."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.library_support import add_evaluation, demo
from workbench.insights import analytics

PAGE = "pages/insights.py"


def test_every_chart_is_drawn_with_csv_and_html_downloads(app, app_db: Engine) -> None:
    add_evaluation(app_db, demo(app_db).hr)
    at = app(page=PAGE)
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 6  # ratings, pass rate, latency, cost, tags, agreement
    labels = [b.label for b in at.download_button]
    assert labels.count("Data (CSV)") == 6 and labels.count("Chart (HTML)") == 6
    subheaders = [s.value for s in at.subheader]
    assert subheaders == [
        "Average rating by version over time",
        "Pass rate by model",
        "Latency per model",
        "Cost per model",
        "Tags raters gave",
        "Do the raters agree?",
    ]
    shared = analytics.shared_ratings(app_db, analytics.Scope())["output_id"].nunique()
    assert at.metric[0].value == str(shared) != "0"  # answers rated by both demo raters


def test_filters_by_project_and_period(app, app_db: Engine) -> None:
    at = app(page=PAGE)
    at.multiselect(key="insights_projects").select(demo(app_db).customer_project).run()
    assert not at.exception
    assert "No ratings in this period" in at.info[0].value
    assert not at.get("plotly_chart")
    at.multiselect(key="insights_projects").unselect(demo(app_db).customer_project).run()
    at.selectbox(key="insights_period").set_value("Custom").run()
    assert at.date_input(key="insights_dates") is not None and not at.exception
    at.selectbox(key="insights_period").set_value("Last 7 days").run()
    assert len(at.get("plotly_chart")) >= 4 and not at.exception
