"""Feedback aggregates: per version and model, tags, agreement, low-rated answers, demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.ratings_support import add_answers, make_bench
from workbench.demo.answers import seed_demo_feedback
from workbench.judging import feedback, pairwise, ratings, review
from workbench.projects import project_records

LARGE, SMALL, LAZY = (f"Local fake server · {m}" for m in ("fake-large", "fake-small", "fake-lazy"))


@pytest.fixture
def engine(storage_engine: Engine) -> Engine:
    """These tests run on SQLite and, under make test, on PostgreSQL too."""
    return storage_engine


@pytest.fixture
def rated(engine: Engine):  # type: ignore[no-untyped-def]
    """v1 and v2 answers; Dana rates all of v2 and v1's first row, Sam rates v2's first row."""
    bench = make_bench(engine)
    v1 = add_answers(engine, bench.version_ids[0])
    v2 = add_answers(engine, bench.version_ids[1])
    scores = {"fake-large": 4, "fake-small": 5, "fake-lazy": 1}
    for output_id, model in zip(v2, ["fake-large", "fake-small", "fake-lazy"] * 3, strict=True):
        tags = ["accurate"] if scores[model] > 3 else ["off-topic", "too short"]
        comment = "Says nothing." if model == "fake-lazy" else ""
        ratings.rate_output(
            engine, output_id=output_id, rater="Dana", value=scores[model], tags=tags, comment=comment
        )
    for output_id in v1[:3]:
        ratings.rate_output(
            engine, output_id=output_id, rater="Dana", kind="thumbs", value=0, tags=["off-topic"]
        )
    for output_id, value in zip(v2[:3], [5, 5, 2], strict=True):
        ratings.rate_output(engine, output_id=output_id, rater="Sam", value=value)
    bench.v1, bench.v2 = v1, v2  # type: ignore[attr-defined]
    return bench


def test_ratings_frame_has_one_row_per_rating_with_context(engine: Engine, rated) -> None:  # type: ignore[no-untyped-def]
    frame = feedback.ratings_frame(engine, project_id=rated.project_id)
    assert len(frame) == 9 + 3 + 3
    assert set(frame["version"]) == {"Answer · v1", "Answer · v2"}
    first = frame.iloc[0]
    assert (first["rater"], first["model"], first["kind"], first["tags"]) == (
        "Dana",
        LARGE,
        "stars",
        ["accurate"],
    )
    assert len(feedback.ratings_frame(engine, version_id=rated.version_ids[0])) == 3
    assert len(feedback.ratings_frame(engine, prompt_id=rated.prompt_id)) == 15
    assert feedback.ratings_frame(engine, project_id=9999).empty


def test_score_summary_per_model_and_version(engine: Engine, rated) -> None:  # type: ignore[no-untyped-def]
    frame = feedback.ratings_frame(engine, project_id=rated.project_id)
    per_model = feedback.score_summary(frame, "model").set_index("model")
    # small: Dana 5,5,5 on v2 + a thumbs down on v1 (counts as 1) + Sam 5 -> 21 / 5.
    assert per_model.loc[SMALL, ["ratings", "raters", "mean_score"]].tolist() == [5, 2, 4.2]
    assert per_model.loc[LAZY, "mean_score"] == pytest.approx((1 + 1 + 1 + 1 + 2) / 5)
    assert per_model.loc[LARGE, "mean_score"] == pytest.approx((4 * 3 + 1 + 5) / 5)
    assert per_model.index[0] == SMALL
    assert 1.0 <= per_model.loc[LAZY, "ci_low"] <= per_model.loc[LAZY, "ci_high"] <= 5.0
    per_version = feedback.score_summary(frame, "version").set_index("version")
    assert per_version.loc["Answer · v1", ["ratings", "mean_score", "too_few"]].tolist() == [3, 1.0, True]
    assert not per_version.loc["Answer · v2", "too_few"]
    assert feedback.score_summary(frame.iloc[0:0], "model").empty


def test_tag_counts_and_version_history_figures(engine: Engine, rated) -> None:  # type: ignore[no-untyped-def]
    frame = feedback.ratings_frame(engine, project_id=rated.project_id)
    counts = feedback.tag_counts(frame, "version")
    v2 = counts[counts["version"] == "Answer · v2"].set_index("tag")["count"].to_dict()
    assert v2 == {"accurate": 6, "off-topic": 3, "too short": 3}
    history = feedback.version_feedback(engine, rated.prompt_id)
    assert history["version_number"].tolist() == [2, 1]
    assert (
        history.loc[0, "ratings"] == 12
        and history.loc[0, "tags"] == "accurate ×6, off-topic ×3, too short ×3"
    )
    per_model = feedback.version_feedback(engine, rated.prompt_id, per_model=True)
    assert len(per_model) == 3 + 3 and set(per_model.columns) >= {"model", "mean_score", "ratings", "tags"}


def test_agreement_of_two_raters(engine: Engine, rated) -> None:  # type: ignore[no-untyped-def]
    frame = feedback.ratings_frame(engine, project_id=rated.project_id)
    result = feedback.rater_agreement(frame)
    assert (result.raters, result.shared_outputs, result.kappa_raters) == (2, 3, ("Dana", "Sam"))
    # Dana 4,5,1 and Sam 5,5,2 on the same three answers.
    from workbench.judging.agreement import cohen_kappa, krippendorff_alpha

    assert result.alpha_interval == pytest.approx(krippendorff_alpha([[4, 5, 1], [5, 5, 2]], "interval"))
    assert result.kappa == pytest.approx(cohen_kappa([4.0, 5.0, 1.0], [5.0, 5.0, 2.0], "quadratic"))
    assert result.alpha_ordinal is not None and "No output" not in result.verdict


def test_agreement_needs_shared_outputs(engine: Engine, rated) -> None:  # type: ignore[no-untyped-def]
    only_dana = feedback.ratings_frame(engine, version_id=rated.version_ids[0])
    result = feedback.rater_agreement(only_dana)
    assert (result.shared_outputs, result.alpha_ordinal, result.kappa) == (0, None, None)
    assert "No output has been rated by two people" in result.verdict
    assert feedback.rater_agreement(only_dana.iloc[0:0]).raters == 0


def test_low_rated_answers_carry_comments_and_tags_for_the_improver(engine: Engine, rated) -> None:  # type: ignore[no-untyped-def]
    low = feedback.low_rated(engine, rated.version_ids[1])
    assert [item.model for item in low] == [LAZY, LAZY, LAZY]
    assert low[0].comments == ("Says nothing.",) and low[0].tags == ("off-topic", "too short")
    assert low[-1].mean_score == 1.5 and low[-1].ratings == 2  # Sam gave the first one 2 stars
    assert feedback.low_rated(engine, rated.version_ids[1], max_score=1.0, limit=1)[0].mean_score == 1.0


def test_the_demo_seed_gives_review_and_leaderboard_something_to_show(seeded_engine: Engine) -> None:
    assert seed_demo_feedback(seeded_engine) is False, "seeding is idempotent"
    hr = project_records.find_project(seeded_engine, "HR handbook assistant")
    choices = review.reviewable_versions(seeded_engine, hr.id)  # type: ignore[union-attr]
    assert [(c.number, c.outputs) for c in choices] == [(2, 12), (1, 12)]
    assert review.review_queue(seeded_engine, version_id=choices[0].version_id, rater="Newcomer").total == 12
    frame = feedback.ratings_frame(seeded_engine, project_id=hr.id)  # type: ignore[union-attr]
    assert len(frame) == 30 and set(frame["rater"]) == {"Alex (demo)", "Sam (demo)"}
    assert feedback.rater_agreement(frame).shared_outputs == 12
    board = pairwise.leaderboard(seeded_engine, hr.id)  # type: ignore[union-attr]
    assert board["contender"].tolist()[0] == SMALL and board["too_few"].all()
    assert review.projects_with_answers(seeded_engine) == ["HR handbook assistant"]
