"""Pairwise preferences: same-input rule, one vote per rater and pair, and the leaderboard."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.ratings_support import add_answers, make_bench
from workbench.demo.answers import store_outputs
from workbench.errors import InvalidInput, NotFound
from workbench.judging import pairwise
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.tables import PairwisePreference

LARGE, SMALL, LAZY = (f"Local fake server · {m}" for m in ("fake-large", "fake-small", "fake-lazy"))


@pytest.fixture
def engine(storage_engine: Engine) -> Engine:
    """These tests run on SQLite and, under make test, on PostgreSQL too."""
    return storage_engine


@pytest.fixture
def bench(engine: Engine):  # type: ignore[no-untyped-def]
    bench = make_bench(engine)
    bench.v1 = add_answers(engine, bench.version_ids[0])  # type: ignore[attr-defined]
    bench.v2 = add_answers(engine, bench.version_ids[1])  # type: ignore[attr-defined]
    return bench


def _vote(engine: Engine, a: int, b: int, choice: str, rater: str = "Dana") -> PairwisePreference:
    return pairwise.record_preference(engine, output_a_id=a, output_b_id=b, choice=choice, rater=rater)


def test_a_vote_is_stored_and_audited(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    row = pairwise.record_preference(
        engine, output_a_id=bench.v1[0], output_b_id=bench.v1[1], choice="a", rater=" Dana ", blind=True
    )
    assert (row.output_a_id, row.output_b_id, row.choice, row.rater, row.blind) == (
        bench.v1[0],
        bench.v1[1],
        "a",
        "Dana",
        True,
    )
    with Session(engine) as session:
        event = audit.events(session, action="pairwise.create")[0]
    assert event.actor == "Dana" and event.project_id == bench.project_id


def test_pairs_that_do_not_share_an_input_are_refused(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    # v1 row 0 (question 0) against v1 row 1 (question 1): different inputs.
    with pytest.raises(InvalidInput, match="answer different inputs"):
        _vote(engine, bench.v1[0], bench.v1[3], "a")
    other = make_bench(engine, project="Other project")
    foreign = add_answers(engine, other.version_ids[0])
    with pytest.raises(InvalidInput, match="answer different inputs"):
        _vote(engine, bench.v1[0], foreign[1], "a")


def test_same_input_means_same_row_same_test_case_or_same_variables(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    assert _vote(engine, bench.v1[0], bench.v1[2], "b")  # same run and row
    assert _vote(engine, bench.v1[0], bench.v2[0], "tie")  # same prompt, same variables
    with session_scope(engine) as session:
        prompt2 = versions.create_prompt(session, project_id=bench.project_id, name="Other prompt", actor="t")
        v = versions.save_version(
            session, prompt_id=prompt2.id, system_template="", user_template="{{ question }}", author="t"
        )  # type: ignore[arg-type]
    same_vars_other_prompt = add_answers(engine, v.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="different inputs"):
        _vote(engine, bench.v1[0], same_vars_other_prompt[0], "a")


def test_bad_choices_missing_outputs_and_self_pairs_are_refused(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="one of a, b, tie, both_bad"):
        _vote(engine, bench.v1[0], bench.v1[1], "maybe")
    with pytest.raises(InvalidInput, match="two different answers"):
        _vote(engine, bench.v1[0], bench.v1[0], "a")
    with pytest.raises(NotFound, match="no longer exists"):
        _vote(engine, bench.v1[0], 99999, "a")
    with pytest.raises(InvalidInput, match="Type your name"):
        _vote(engine, bench.v1[0], bench.v1[1], "a", rater=" ")
    with session_scope(engine) as session:
        failed = store_outputs(
            session,
            version_id=bench.version_ids[0],
            outputs=[
                {"row_index": 0, "variables": {"question": "x"}, "model_name": "fake-500", "status": "error"}
            ],
            actor="t",
        )[1]
    same_run_row = add_answers(engine, bench.version_ids[0], models=["fake-large"], questions=["x"])
    with pytest.raises(InvalidInput, match="failed call"):
        _vote(engine, same_run_row[0], failed[0], "a")


def test_voting_again_replaces_the_raters_earlier_vote(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    _vote(engine, bench.v1[0], bench.v1[1], "a")
    again = _vote(engine, bench.v1[1], bench.v1[0], "a")  # same pair, sides swapped: now prefers v1[1]
    assert (again.output_a_id, again.choice) == (bench.v1[0], "b")
    _vote(engine, bench.v1[0], bench.v1[1], "a", rater="Sam")
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(PairwisePreference)).one() == 2


def test_the_leaderboard_counts_wins_losses_ties_and_both_bad(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    large, small, lazy = bench.v2[0], bench.v2[1], bench.v2[2]  # row 0 of v2
    _vote(engine, large, lazy, "a")
    _vote(engine, small, lazy, "a")
    _vote(engine, large, small, "tie")
    _vote(engine, bench.v2[3], bench.v2[5], "both_bad")  # row 1: large vs lazy
    board = pairwise.leaderboard(engine, bench.project_id, "model").set_index("contender")
    assert board.loc[LARGE, ["wins", "losses", "ties", "both_bad", "comparisons"]].tolist() == [1, 0, 1, 1, 3]
    assert board.loc[LAZY, ["wins", "losses", "comparisons"]].tolist() == [0, 2, 3]
    assert board.loc[LARGE, "win_rate"] == pytest.approx(2 / 3)
    assert board.loc[SMALL, "win_rate"] == pytest.approx(3 / 4)
    assert board.index[-1] == LAZY and board["too_few"].all()
    assert list(board.index[:2]) in ([LARGE, SMALL], [SMALL, LARGE])


def test_the_leaderboard_changes_with_each_vote_and_trusts_ten_comparisons(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    assert pairwise.leaderboard(engine, bench.project_id).empty
    extra = [add_answers(engine, bench.version_ids[1], questions=[f"Q{i}?"]) for i in range(10)]
    for n, (large, small, _lazy) in enumerate(extra, start=1):
        _vote(engine, small, large, "a")
        board = pairwise.leaderboard(engine, bench.project_id).set_index("contender")
        assert board.loc[SMALL, "comparisons"] == n
        assert bool(board.loc[SMALL, "too_few"]) is (n < pairwise.MIN_COMPARISONS)
    assert board.index[0] == SMALL and board.loc[SMALL, "bt_rating"] > 1000 > board.loc[LARGE, "bt_rating"]


def test_models_and_versions_have_separate_boards(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    _vote(engine, bench.v2[0], bench.v1[0], "a")  # same model (large), v2 beats v1
    _vote(engine, bench.v2[1], bench.v1[0], "a")  # different model and version: confounded, counted nowhere
    versions_board = pairwise.leaderboard(engine, bench.project_id, "version")
    assert versions_board["contender"].tolist() == ["Answer · v2", "Answer · v1"]
    assert versions_board["comparisons"].tolist() == [1, 1]
    assert pairwise.leaderboard(engine, bench.project_id, "model").empty


def test_pairs_to_judge_exclude_voted_pairs_and_keep_one_dimension_fixed(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    model_pairs = pairwise.pairs_to_judge(
        engine, project_id=bench.project_id, rater="Dana", by="model", seed="s"
    )
    assert len(model_pairs) == 2 * 3 * 3  # versions x questions x pairs of 3 models
    assert all(p.version_a == p.version_b and p.a.model != p.b.model for p in model_pairs)
    assert all(p.a.variables == p.b.variables for p in model_pairs)
    version_pairs = pairwise.pairs_to_judge(engine, project_id=bench.project_id, rater="Dana", by="version")
    assert len(version_pairs) == 3 * 3 and all(p.a.model == p.b.model for p in version_pairs)
    first = model_pairs[0]
    _vote(engine, first.a.output_id, first.b.output_id, "a")
    left = pairwise.pairs_to_judge(engine, project_id=bench.project_id, rater="Dana", by="model", seed="s")
    assert len(left) == len(model_pairs) - 1 and first not in left
    assert len(pairwise.pairs_to_judge(engine, project_id=bench.project_id, rater="Sam", by="model")) == 18
    assert (
        pairwise.pairs_to_judge(engine, project_id=bench.project_id, rater="Dana", by="model", seed="s")
        == left
    )


def test_the_queue_counts_every_pair_and_builds_only_the_first(engine: Engine, bench) -> None:  # type: ignore[no-untyped-def]
    every = pairwise.pairs_to_judge(engine, project_id=bench.project_id, rater="Dana", by="model", seed="s")
    queue = pairwise.pairs_queue(engine, project_id=bench.project_id, rater="Dana", by="model", seed="s")
    assert queue.left == len(every) == 18 and queue.first == every[:1]
    two = pairwise.pairs_queue(engine, project_id=bench.project_id, rater="Dana", by="version", limit=2)
    assert two.left == 9 and len(two.first) == 2


def test_leaderboard_from_plain_votes() -> None:
    board = pairwise.leaderboard_from_votes([("x", "y", "a")] * 12 + [("x", "y", "b")] * 4)
    assert board["contender"].tolist() == ["x", "y"]
    assert board["comparisons"].tolist() == [16, 16] and not board["too_few"].any()
    assert board.loc[0, "win_rate"] == pytest.approx(0.75)
    assert 0.5 < board.loc[0, "win_rate_low"] < 0.75 < board.loc[0, "win_rate_high"] < 1
