"""The review queue: one version's unrated answers, progress, no answer twice, per rater."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.ratings_support import MODELS, QUESTIONS, add_answers, make_bench
from workbench.errors import NotFound
from workbench.judging import ratings, review


@pytest.fixture
def engine(storage_engine: Engine) -> Engine:
    """These tests run on SQLite and, under make test, on PostgreSQL too."""
    return storage_engine


@pytest.fixture
def bench(engine: Engine):  # type: ignore[no-untyped-def]
    bench = make_bench(engine)
    add_answers(engine, bench.version_ids[0])
    add_answers(engine, bench.version_ids[1])
    return bench


def _work_through(engine: Engine, version_id: int, rater: str, seed: str | None = None) -> list[int]:
    """Rate the queue's next answer until it is empty, checking the queue twice per step (a rerun)."""
    shown: list[int] = []
    start = review.review_queue(engine, version_id=version_id, rater=rater).rated
    for _ in range(100):
        queue = review.review_queue(engine, version_id=version_id, rater=rater, shuffle_seed=seed)
        again = review.review_queue(engine, version_id=version_id, rater=rater, shuffle_seed=seed)
        assert again.next == queue.next, "a rerun must show the same next answer"
        assert len({i.output_id for i in queue.pending}) == len(queue.pending)
        if queue.done:
            assert queue.progress_text == f"{queue.total} of {queue.total} rated"
            return shown
        assert queue.progress_text == f"{start + len(shown)} of {queue.total} rated"
        shown.append(queue.next.output_id)  # type: ignore[union-attr]
        ratings.rate_output(engine, output_id=queue.next.output_id, rater=rater, value=3)  # type: ignore[union-attr]
    raise AssertionError("the queue never emptied")


def test_the_queue_holds_the_versions_unrated_answers(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    queue = review.review_queue(engine, version_id=bench.version_ids[0], rater="Dana")
    assert queue.total == len(MODELS) * len(QUESTIONS) and queue.rated == 0
    assert queue.progress_text == "0 of 9 rated"
    assert {i.text.split(" (version ")[1] for i in queue.pending} == {f"{bench.version_ids[0]})"}
    first = queue.next
    assert first is not None and first.model == "Local fake server · fake-large"
    assert first.variables == {"question": QUESTIONS[0]}


def test_working_through_the_queue_shows_each_answer_once_until_all_rated(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    shown = _work_through(engine, bench.version_ids[0], "Dana")
    assert len(shown) == len(set(shown)) == 9
    assert review.review_queue(engine, version_id=bench.version_ids[0], rater="Dana").done


def test_two_raters_have_their_own_queues(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    version = bench.version_ids[0]
    dana = review.review_queue(engine, version_id=version, rater="Dana")
    ratings.rate_output(engine, output_id=dana.pending[0].output_id, rater="Dana", value=5)
    ratings.rate_output(engine, output_id=dana.pending[1].output_id, rater="Sam", value=1)
    assert review.review_queue(engine, version_id=version, rater="Dana").rated == 1
    sam = review.review_queue(engine, version_id=version, rater="Sam")
    assert sam.rated == 1 and dana.pending[1].output_id not in {i.output_id for i in sam.pending}
    assert len(_work_through(engine, version, "Sam")) == 8
    assert len(_work_through(engine, version, "Dana")) == 8


def test_a_rerun_of_the_prompt_does_not_show_the_same_answer_twice(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    version = bench.version_ids[0]
    copies = add_answers(engine, version)  # a second run returning identical answers
    queue = review.review_queue(engine, version_id=version, rater="Dana")
    assert queue.total == 9 and not {i.output_id for i in queue.pending} & set(copies)
    # Rating a copy elsewhere (e.g. on the Compare grid) takes the original out of the queue.
    ratings.rate_output(engine, output_id=copies[0], rater="Dana", value=4)
    queue = review.review_queue(engine, version_id=version, rater="Dana")
    assert (queue.rated, len(queue.pending)) == (1, 8)
    assert len(_work_through(engine, version, "Dana")) == 8


def test_a_new_answer_from_a_rerun_joins_the_queue(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    version = bench.version_ids[0]
    _work_through(engine, version, "Dana")
    add_answers(engine, version, models=["fake-large"], questions=["New question?"])
    queue = review.review_queue(engine, version_id=version, rater="Dana")
    assert (queue.rated, queue.total, len(queue.pending)) == (9, 10, 1)


def test_failed_and_empty_answers_are_not_queued(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    version = bench.version_ids[0]
    add_answers(engine, version, models=["fake-500"], status="error", text="")
    add_answers(engine, version, models=["fake-empty"], text="   ")
    assert review.review_queue(engine, version_id=version, rater="Dana").total == 9


def test_blind_review_shuffles_the_queue_stably_per_seed(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    version = bench.version_ids[0]
    plain = [i.output_id for i in review.review_queue(engine, version_id=version, rater="D").pending]
    one = [
        i.output_id
        for i in review.review_queue(engine, version_id=version, rater="D", shuffle_seed="s1").pending
    ]
    same = [
        i.output_id
        for i in review.review_queue(engine, version_id=version, rater="D", shuffle_seed="s1").pending
    ]
    other = [
        i.output_id
        for i in review.review_queue(engine, version_id=version, rater="D", shuffle_seed="s2").pending
    ]
    assert one == same and sorted(one) == sorted(plain)
    assert one != plain or other != plain
    assert len(_work_through(engine, version, "D", seed="s1")) == 9


def test_reviewable_versions_and_projects(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    choices = review.reviewable_versions(engine, bench.project_id)
    assert [(c.number, c.outputs) for c in choices] == [(2, 9), (1, 9)]
    assert choices[0].label == "Answer · v2 (9 answers)"
    assert review.projects_with_answers(engine) == ["Ratings project"]
    with pytest.raises(NotFound):
        review.review_queue(engine, version_id=9999, rater="Dana")


def test_the_picker_counts_the_answers_its_queue_holds(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    """A run repeated on the same input gives the same answers again (cache hits), and an empty
    answer has nothing to rate: the picker's count and the queue agree on both."""
    version_id = bench.version_ids[0]
    add_answers(engine, version_id)  # the same nine answers once more
    add_answers(engine, version_id, models=["fake-lazy"], questions=["Blank?"], text="  ")
    queue = review.review_queue(engine, version_id=version_id, rater="Dana")
    choice = next(
        c for c in review.reviewable_versions(engine, bench.project_id) if c.version_id == version_id
    )
    assert choice.outputs == queue.total == 9
    assert choice.label.endswith("(9 answers)")
