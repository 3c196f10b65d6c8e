"""The Insights frames: rating by version, pass rate by model, latency and cost distributions,
tag counts and rater agreement, filtered by project and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, update

from tests.library_support import add_evaluation, demo
from workbench.insights import analytics
from workbench.insights.analytics import Scope
from workbench.store.engine import session_scope
from workbench.store.tables import Output, Rating


def test_rating_by_version_averages_each_versions_ratings(seeded_engine: Engine) -> None:
    frame = analytics.rating_by_version(seeded_engine, Scope())
    assert list(frame.columns) == [
        "project",
        "prompt",
        "version",
        "saved_at",
        "average_rating",
        "ratings",
        "label",
    ]
    assert set(frame["prompt"]) == {"HR policy answer"}
    assert frame["ratings"].sum() == 30
    assert frame["saved_at"].is_monotonic_increasing
    v1, v2 = frame.iloc[0], frame.iloc[1]
    assert (v1["label"], v2["label"]) == ("HR policy answer · v1", "HR policy answer · v2")
    assert v2["average_rating"] > v1["average_rating"]  # the demo's good prompt is rated better


def test_scope_narrows_by_project_and_time(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    assert analytics.rating_by_version(seeded_engine, Scope(project_ids=(ids.customer_project,))).empty
    assert analytics.rating_by_version(seeded_engine, Scope(allowed=frozenset({ids.customer_project}))).empty
    future = datetime.now(UTC) + timedelta(days=1)
    assert analytics.rating_by_version(seeded_engine, Scope(since=future)).empty
    assert analytics.tag_frequencies(seeded_engine, Scope(until=datetime(2000, 1, 1, tzinfo=UTC))).empty
    assert analytics.distribution_by_model(seeded_engine, Scope(since=future), "latency_ms").empty
    assert len(analytics.rating_by_version(seeded_engine, Scope(project_ids=(ids.hr_project,)))) == 2


def test_pass_rate_by_model_counts_answers_passing_every_assertion(seeded_engine: Engine) -> None:
    add_evaluation(seeded_engine, demo(seeded_engine).hr, failing_models=("fake-lazy",))
    frame = analytics.pass_rate_by_model(seeded_engine, Scope()).set_index("model")
    assert frame.loc["Local fake server · fake-lazy", "pass_rate"] == 0.0
    assert frame.loc["Local fake server · fake-large", "pass_rate"] == 1.0
    assert frame["answers"].sum() == 24
    assert frame.index[-1] == "Local fake server · fake-lazy"  # best first


def test_latency_and_cost_distributions_per_model(seeded_engine: Engine) -> None:
    with session_scope(seeded_engine) as session:
        session.execute(update(Output).values(latency_ms=Output.id * 10.0, cost_usd=0.002))
    latency = analytics.distribution_by_model(seeded_engine, Scope(), "latency_ms")
    assert list(latency.columns) == ["model", "p5", "q1", "median", "q3", "p95", "mean", "answers"]
    assert latency["answers"].sum() == 24
    for row in latency.itertuples():
        assert row.p5 <= row.q1 <= row.median <= row.q3 <= row.p95
    cost = analytics.distribution_by_model(seeded_engine, Scope(), "cost_usd")
    assert (cost["median"] == 0.002).all()
    with pytest.raises(KeyError):
        analytics.distribution_by_model(seeded_engine, Scope(), "tokens")


def test_tag_frequencies_most_given_first(seeded_engine: Engine) -> None:
    frame = analytics.tag_frequencies(seeded_engine, Scope())
    assert frame["count"].is_monotonic_decreasing
    assert frame["count"].sum() == 38  # the demo's rating tags


def test_agreement_overall_and_per_pair(seeded_engine: Engine) -> None:
    shared = analytics.shared_ratings(seeded_engine, Scope())
    assert shared.groupby("output_id")["rater"].nunique().min() >= 2
    overall = analytics.agreement(shared)
    assert overall.shared_outputs == shared["output_id"].nunique() > 0
    assert overall.alpha_ordinal is not None
    pairs = analytics.pairwise_kappa(shared)
    assert len(pairs) == 2 and pairs.iloc[0]["kappa"] == pairs.iloc[1]["kappa"]
    assert {pairs.iloc[0]["rater_a"], pairs.iloc[0]["rater_b"]} == set(shared["rater"])


def test_pairwise_kappa_needs_enough_shared_answers() -> None:
    frame = pd.DataFrame(
        {"rater": ["a", "b", "a", "b"], "output_id": [1, 1, 2, 2], "score": [5.0, 4.0, 1.0, 2.0]}
    )
    assert analytics.pairwise_kappa(frame).empty  # 2 shared < MIN_SHARED
    assert analytics.pairwise_kappa(frame.iloc[:0]).empty


def test_top_prompts_keeps_the_most_rated(engine: Engine) -> None:
    frame = pd.DataFrame(
        {"project": ["P"] * 3, "prompt": ["a", "b", "c"], "ratings": [5, 50, 7], "version": [1, 1, 1]}
    )
    assert list(analytics.top_prompts(frame, 2)["prompt"]) == ["b", "c"]


def test_ratings_outside_the_window_do_not_count(seeded_engine: Engine) -> None:
    with session_scope(seeded_engine) as session:
        session.execute(update(Rating).values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert analytics.rating_by_version(seeded_engine, Scope(since=datetime(2021, 1, 1, tzinfo=UTC))).empty
    assert analytics.shared_ratings(seeded_engine, Scope(since=datetime(2021, 1, 1, tzinfo=UTC))).empty
