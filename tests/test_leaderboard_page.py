"""The Leaderboard and Feedback pages through AppTest: blind votes change the leaderboard."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from tests.conftest import page_path, sqlite_engine_for
from tests.test_review_page import open_review
from workbench.judging import ratings
from workbench.projects import project_records
from workbench.store.tables import Output, PairwisePreference


def open_page(app, page: str, name: str = "Dana"):  # type: ignore[no-untyped-def]
    at = open_review(app, name=name)
    at.switch_page(page_path(page)).run()
    assert not at.exception
    return at


def board(at) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    frame = at.dataframe[0].value
    return {row["contender"]: row for row in frame.to_dict("records")}


def pairs_left(at) -> int:  # type: ignore[no-untyped-def]
    caption = next(c.value for c in at.caption if "pairs left" in c.value)
    return int(caption.split(" pairs left")[0])


def test_a_blind_vote_is_revealed_and_changes_the_model_leaderboard(app, app_env: Path) -> None:  # type: ignore[no-untyped-def]
    at = open_page(app, "pages/leaderboard.py")
    before, left = board(at), pairs_left(at)
    assert sum(r["comparisons"] for r in before.values()) == 10  # the demo raters' 5 votes
    assert all(r["too_few"] for r in before.values())
    assert at.get("plotly_chart"), "the leaderboard is charted"
    shown = " ".join(m.value for m in at.markdown)
    assert "Answer A" in shown and "fake-" not in shown, "models are hidden before the vote"
    at.button(key="vote_a").click().run()
    assert not at.exception
    reveal = at.info[0].value
    assert (
        reveal.startswith("Revealed: **A** was **Local fake server · fake-")
        and "You chose: A is better" in reveal
    )
    winner = reveal.split("**A** was **")[1].split("**")[0]
    loser = reveal.split("**B** was **")[1].split("**")[0]
    after = board(at)
    assert after[winner]["wins"] == before.get(winner, {"wins": 0})["wins"] + 1
    assert after[loser]["losses"] == before.get(loser, {"losses": 0})["losses"] + 1
    assert sum(r["comparisons"] for r in after.values()) == 12
    assert pairs_left(at) == left - 1
    engine = sqlite_engine_for(app_env)
    with Session(engine) as session:
        vote = session.exec(select(PairwisePreference).where(PairwisePreference.rater == "Dana")).one()
    engine.dispose()
    assert (vote.choice, vote.blind) == ("a", True)


def test_votes_between_versions_rank_the_versions(app) -> None:  # type: ignore[no-untyped-def]
    at = open_page(app, "pages/leaderboard.py")
    at.segmented_control(key="lb_by").set_value("version").run()
    before = board(at)
    assert set(before) == {"HR policy answer · v1", "HR policy answer · v2"}
    for choice in ("both_bad", "tie", "b"):
        at.button(key=f"vote_{choice}").click().run()
        assert not at.exception
    after = board(at)
    assert sum(r["comparisons"] for r in after.values()) == sum(r["comparisons"] for r in before.values()) + 6
    assert sum(r["both_bad"] for r in after.values()) == sum(r["both_bad"] for r in before.values()) + 2
    assert "You chose: B is better" in at.info[0].value


def test_voting_needs_a_name(app) -> None:  # type: ignore[no-untyped-def]
    at = open_page(app, "pages/leaderboard.py", name="")
    assert "Type your name in the sidebar to vote" in at.info[0].value
    assert not [b for b in at.button if b.key and b.key.startswith("vote_")]
    assert at.dataframe, "the leaderboard is shown to everyone"


def test_the_feedback_page_shows_agreement_and_edits_tags(app, app_env: Path) -> None:  # type: ignore[no-untyped-def]
    at = open_page(app, "pages/feedback.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Outputs rated by 2+ people"] == "12"
    assert metrics["Cohen's κ (weighted)"] == "0.90"
    assert at.get("plotly_chart")
    assert "HR policy answer · v2" in at.dataframe[0].value["version"].tolist()
    tags = at.multiselect(key="feedback_tags")
    tags.set_value([*tags.value, "cites the handbook"])
    at.button(key="feedback_tags_save").click().run()
    assert not at.exception and at.success[0].value == "Tags saved."
    engine = sqlite_engine_for(app_env)
    hr = project_records.find_project(engine, "HR handbook assistant")
    engine.dispose()
    assert "cites the handbook" in hr.tags  # type: ignore[union-attr]


def ratings_counted(at) -> int:  # type: ignore[no-untyped-def]
    caption = next(c.value for c in at.caption if c.value.startswith("From ") and " ratings of" in c.value)
    return int(caption.split()[1])


def test_the_leaderboard_reads_again_what_another_process_wrote(app, app_env: Path) -> None:  # type: ignore[no-untyped-def]
    """The page keeps its pairs and ratings between reruns (a big project takes seconds to read),
    but a rating, a changed score or a new answer stored by anyone shows on the next rerun."""
    at = open_page(app, "pages/leaderboard.py")
    left, rated = pairs_left(at), ratings_counted(at)
    engine = sqlite_engine_for(app_env)
    with Session(engine) as session:
        voted = session.exec(select(PairwisePreference)).first()  # an answer the page ranks
        assert voted is not None
        answer = session.get(Output, voted.output_a_id)
        assert answer is not None
        twin = Output.model_validate(
            answer.model_dump(exclude={"id"}) | {"model_name": "fake-new", "text": "Another answer."}
        )
        session.add(twin)
        session.commit()
        answer_id = answer.id
    at.run()
    assert pairs_left(at) > left, "a new model's answer to a shown input makes new pairs"
    ratings.rate_output(engine, output_id=answer_id, rater="Someone else", value=5)  # type: ignore[arg-type]
    at.run()
    assert ratings_counted(at) == rated + 1
    before = at.dataframe[-1].value.set_index("model")["mean_score"].to_dict()
    ratings.rate_output(engine, output_id=answer_id, rater="Someone else", value=1)  # type: ignore[arg-type]
    at.run()
    after = at.dataframe[-1].value.set_index("model")["mean_score"].to_dict()
    engine.dispose()
    assert ratings_counted(at) == rated + 1
    assert after != before, "a changed score is read again"
