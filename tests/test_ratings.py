"""Ratings: stars and thumbs on one scale, comments and tags, one row per rater, refusals, audit,
and 8 threads x 200 concurrent ratings on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
import time
from collections import defaultdict

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.ratings_support import add_answers, make_bench
from workbench.errors import InvalidInput, NotFound
from workbench.judging import feedback, ratings
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.tables import DEFAULT_RATING_TAGS, Output, Rating, RatingTag, Run


@pytest.fixture
def outputs(engine: Engine) -> list[int]:
    bench = make_bench(engine)
    return add_answers(engine, bench.version_ids[0])


def test_stars_and_thumbs_share_one_1_to_5_score() -> None:
    assert [ratings.score_for("stars", v) for v in (1, 2, 3, 4, 5)] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert ratings.score_for("thumbs", 1) == 5.0
    assert ratings.score_for("thumbs", 0) == 1.0


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("stars", 0, "1 to 5 stars"),
        ("stars", 6, "1 to 5 stars"),
        ("stars", True, "1 to 5 stars"),
        ("thumbs", 2, "1 (up) or 0 (down)"),
        ("thumbs", -1, "1 (up) or 0 (down)"),
        ("faces", 3, "stars or thumbs"),
    ],
)
def test_out_of_range_scores_are_refused(engine: Engine, outputs: list[int], kind, value, message) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        ratings.rate_output(engine, output_id=outputs[0], rater="Dana", kind=kind, value=value)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Rating)).one() == 0


def test_a_rating_records_rater_time_comment_tags_and_blind_flag(engine: Engine, outputs: list[int]) -> None:
    before = time.time()
    saved = ratings.rate_output(
        engine,
        output_id=outputs[0],
        rater="  Dana  ",
        value=4,
        comment=" Right figure. ",
        tags=["accurate", "too long", "accurate"],
        blind=True,
    )
    assert (saved.rater, saved.kind, saved.value, saved.score) == ("Dana", "stars", 4, 4.0)
    assert saved.comment == "Right figure."
    assert saved.tags == ("accurate", "too long")
    assert saved.blind is True
    assert saved.created_at.timestamp() >= before - 1
    again = ratings.get_rating(engine, outputs[0], "Dana")
    assert again == saved
    events = [e for e in _events(engine) if e.action == "rating.create"]
    assert len(events) == 1 and events[0].actor == "Dana"
    assert events[0].after["tags"] == ["accurate", "too long"] and events[0].after["blind"] is True


def test_a_rater_changing_their_rating_updates_their_own_row(engine: Engine, outputs: list[int]) -> None:
    first = ratings.rate_output(engine, output_id=outputs[0], rater="Dana", value=2, tags=["too long"])
    second = ratings.rate_output(
        engine, output_id=outputs[0], rater="Dana", kind="thumbs", value=1, comment="ok"
    )
    assert second.id == first.id
    assert (second.kind, second.value, second.score, second.tags) == ("thumbs", 1, 5.0, ())
    assert second.updated_at >= first.updated_at
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Rating)).one() == 1
        assert session.exec(select(func.count()).select_from(RatingTag)).one() == 0
    update = next(e for e in _events(engine) if e.action == "rating.update")
    assert update.before["value"] == 2 and update.after["value"] == 1


def test_several_raters_rate_the_same_output(engine: Engine, outputs: list[int]) -> None:
    ratings.rate_output(engine, output_id=outputs[0], rater="Dana", value=5)
    ratings.rate_output(engine, output_id=outputs[0], rater="Sam", kind="thumbs", value=0)
    both = ratings.ratings_for_output(engine, outputs[0])
    assert [(r.rater, r.score) for r in both] == [("Dana", 5.0), ("Sam", 1.0)]
    assert ratings.rated_output_ids(engine, outputs, "Sam") == {outputs[0]}
    assert ratings.rated_output_ids(engine, outputs, "Nobody") == set()


def test_rating_an_output_that_no_longer_exists_is_refused(engine: Engine, outputs: list[int]) -> None:
    with pytest.raises(NotFound, match="Output 99999 no longer exists"):
        ratings.rate_output(engine, output_id=99999, rater="Dana", value=3)


def test_an_empty_rater_name_is_refused(engine: Engine, outputs: list[int]) -> None:
    for name in ("", "   ", None):
        with pytest.raises(InvalidInput, match="Type your name"):
            ratings.rate_output(engine, output_id=outputs[0], rater=name, value=3)  # type: ignore[arg-type]


def test_a_failed_call_cannot_be_rated(engine: Engine) -> None:
    bench = make_bench(engine)
    failed = add_answers(engine, bench.version_ids[0], models=["fake-500"], questions=["q"], status="error")
    with pytest.raises(InvalidInput, match="failed call"):
        ratings.rate_output(engine, output_id=failed[0], rater="Dana", value=3)


def test_unknown_tags_are_refused_until_added_to_the_project(engine: Engine, outputs: list[int]) -> None:
    bench_project = _project_of(engine, outputs[0])
    assert ratings.project_tags(engine, bench_project) == list(DEFAULT_RATING_TAGS)
    with pytest.raises(InvalidInput, match="Unknown tag 'polite'"):
        ratings.rate_output(engine, output_id=outputs[0], rater="Dana", value=4, tags=["polite"])
    with session_scope(engine) as session:
        saved_tags = ratings.set_project_tags(
            session, bench_project, [" polite ", "accurate", "polite", ""], actor="Lead"
        )
    assert saved_tags == ["polite", "accurate"]
    assert ratings.tags_for_output(engine, outputs[0]) == ["polite", "accurate"]
    rated = ratings.rate_output(engine, output_id=outputs[0], rater="Dana", value=4, tags=["polite"])
    assert rated.tags == ("polite",)
    event = next(e for e in _events(engine) if e.action == "project.tags")
    assert event.actor == "Lead" and event.after == {"tags": ["polite", "accurate"]}


def test_tags_dropped_from_the_project_stay_on_existing_ratings(engine: Engine, outputs: list[int]) -> None:
    project_id = _project_of(engine, outputs[0])
    ratings.rate_output(engine, output_id=outputs[0], rater="Dana", value=2, tags=["too long"])
    with session_scope(engine) as session:
        ratings.set_project_tags(session, project_id, ["accurate"], actor="Lead")
    changed = ratings.rate_output(
        engine, output_id=outputs[0], rater="Dana", value=3, tags=["too long", "accurate"]
    )
    assert changed.tags == ("accurate", "too long")
    with pytest.raises(InvalidInput, match="Unknown tag"):
        ratings.rate_output(engine, output_id=outputs[1], rater="Dana", value=3, tags=["too long"])


def test_concurrent_ratings_are_all_stored_with_exact_aggregates(storage_engine: Engine) -> None:
    """8 threads x 200 ratings: every rating lands, and the averages are exact."""
    bench = make_bench(storage_engine)
    ids = add_answers(
        storage_engine,
        bench.version_ids[0],
        models=[f"m{i}" for i in range(8)],
        questions=[f"q{r}" for r in range(25)],
    )
    assert len(ids) == 200
    expected: dict[int, list[float]] = defaultdict(list)
    for t in range(8):
        for i, output_id in enumerate(ids):
            expected[output_id].append(float((t + i) % 5 + 1))

    def rate(t: int) -> None:
        for i, output_id in enumerate(ids):
            ratings.rate_output(
                storage_engine,
                output_id=output_id,
                rater=f"rater {t}",
                value=(t + i) % 5 + 1,
                tags=["accurate"],
            )

    _in_threads(8, rate)
    frame = feedback.ratings_frame(storage_engine, version_id=bench.version_ids[0])
    assert len(frame) == 1600
    assert frame.groupby("output_id")["score"].sum().to_dict() == {k: sum(v) for k, v in expected.items()}
    all_scores = [s for v in expected.values() for s in v]
    assert frame["score"].sum() == sum(all_scores)
    by_model = feedback.score_summary(frame, "model").set_index("model")
    assert by_model["ratings"].to_dict() == {f"Local fake server · m{i}": 200 for i in range(8)}
    assert feedback.tag_counts(frame, "version")["count"].tolist() == [1600]
    with Session(storage_engine) as session:
        assert session.exec(select(func.count()).select_from(Rating)).one() == 1600
        assert session.exec(select(func.count()).select_from(RatingTag)).one() == 1600


def test_the_same_rater_saving_concurrently_keeps_one_row_per_output(storage_engine: Engine) -> None:
    bench = make_bench(storage_engine)
    ids = add_answers(
        storage_engine, bench.version_ids[0], models=["m"], questions=[f"q{r}" for r in range(10)]
    )

    def rate(t: int) -> None:
        for output_id in ids:
            ratings.rate_output(storage_engine, output_id=output_id, rater="Shared", value=t % 5 + 1)

    _in_threads(8, rate)
    with Session(storage_engine) as session:
        assert session.exec(select(func.count()).select_from(Rating)).one() == len(ids)


def _in_threads(count: int, work) -> None:  # type: ignore[no-untyped-def]
    """Run ``work(t)`` in ``count`` threads released together; fail with the first error."""
    barrier, errors = threading.Barrier(count), []

    def run(t: int) -> None:
        try:
            barrier.wait()
            work(t)
        except Exception as exc:  # collected, so a failure names its cause
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _events(engine: Engine):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return audit.events(session)


def _project_of(engine: Engine, output_id: int) -> int:
    with Session(engine) as session:
        output = session.get(Output, output_id)
        return session.get(Run, output.run_id).project_id  # type: ignore[union-attr]
