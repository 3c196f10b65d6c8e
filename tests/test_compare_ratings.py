"""Rating on the Compare page (AppTest): stars and thumbs with tags and comments under each
answer, several raters who can change their minds, the name asked once, blind rows revealed
once rated, and a pairwise vote that moves the leaderboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import page_path, sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.judging import pairwise, ratings
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.runs import outputs

PAGE = "pages/compare.py"


@pytest.fixture
def db(app_env: Path, fake_server: FakeLLMServer) -> Engine:
    """The app's database with the "Local fake server" pointed at the test server."""
    engine = sqlite_engine_for(app_env)
    local = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.update_endpoint(engine, local.id, actor="test", base_url=fake_server.openai_base_url)  # type: ignore[union-attr, arg-type]
    yield engine  # type: ignore[misc]
    engine.dispose()


def model_ids(engine: Engine, *names: str) -> list[int]:
    by_name = {m.model: m.id for m in endpoints.list_models(engine)}
    return [by_name[n] for n in names]  # type: ignore[misc]


def ran(app, engine: Engine, name: str | None = "Dana", models=("fake-large", "fake-small")):  # type: ignore[no-untyped-def]
    """Open Compare (as ``name``), run two models on the production version; the run's outputs."""
    at = app(page=PAGE)
    if name:
        at.sidebar.text_input(key="rater_name").input(name).run()
    at.multiselect(key="compare_models").set_value(model_ids(engine, *models)).run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    run = outputs.list_runs(engine)[0]
    return at, outputs.run_outputs(engine, run.id)


def cell_titles(at) -> list[str]:  # type: ignore[no-untyped-def]
    """The grid cells' titles (bold, followed by a status badge), left to right."""
    return [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**") and "-badge[" in m.value]


def rate(at, output_id: int, value: int, *, tags=(), comment: str | None = None) -> None:  # type: ignore[no-untyped-def]
    at.feedback(key=f"compare_{output_id}_score").set_value(value)
    if tags:
        at.multiselect(key=f"compare_{output_id}_tags").set_value(list(tags))
    if comment is not None:
        at.text_input(key=f"compare_{output_id}_comment").input(comment)
    at.button(key=f"compare_{output_id}_save").click().run()
    assert not at.exception


def test_each_answer_is_rated_in_the_grid_with_stars_tags_and_a_comment(app, db: Engine) -> None:
    at, (first, second) = ran(app, db)
    assert not at.error
    assert {f.key for f in at.feedback} == {f"compare_{first.id}_score", f"compare_{second.id}_score"}
    rate(at, first.id, 3, tags=["accurate", "too long"], comment="Right, but wordy.")  # the fourth star
    saved = ratings.get_rating(db, first.id, "Dana")
    assert saved is not None
    assert (saved.kind, saved.value, saved.tags, saved.comment, saved.blind) == (
        "stars",
        4,
        ("accurate", "too long"),
        "Right, but wordy.",
        False,
    )
    assert any("Saved: ★★★★☆ · accurate, too long" in c.value for c in at.caption)
    assert ratings.get_rating(db, second.id, "Dana") is None


def test_thumbs_a_changed_mind_and_a_second_rater(app, db: Engine) -> None:
    at, (first, _second) = ran(app, db)
    at.segmented_control(key="compare_rate_kind").set_value("thumbs").run()
    rate(at, first.id, 1)  # thumbs up
    at.run()
    assert at.button(key=f"compare_{first.id}_save").label == "Update my rating"
    rate(at, first.id, 0, comment="Misses the delivery date.")  # changed: thumbs down
    at.sidebar.text_input(key="rater_name").input("Lee").run()
    rate(at, first.id, 1)
    mine, theirs = ratings.get_rating(db, first.id, "Dana"), ratings.get_rating(db, first.id, "Lee")
    assert (mine.kind, mine.value, mine.score, mine.comment) == (
        "thumbs",
        0,
        1.0,
        "Misses the delivery date.",
    )  # type: ignore[union-attr]
    assert (theirs.kind, theirs.value, theirs.score) == ("thumbs", 1, 5.0)  # type: ignore[union-attr]
    assert len(ratings.ratings_for_output(db, first.id)) == 2


def test_without_a_name_the_control_asks_for_it_once(app, db: Engine) -> None:
    at, (first, second) = ran(app, db, name=None)
    at.text_input(key=f"compare_{first.id}_name").input("Noor")
    rate(at, first.id, 4)
    assert at.sidebar.text_input(key="rater_name").value == "Noor"
    assert ratings.get_rating(db, first.id, "Noor").value == 5  # type: ignore[union-attr]
    at.run()
    keys = {t.key for t in at.text_input}
    assert f"compare_{second.id}_name" not in keys  # asked once: the session keeps the name


def test_blind_rows_are_shuffled_unnamed_and_revealed_once_rated(app, db: Engine) -> None:
    at, outs = ran(app, db, models=("fake-large", "fake-small", "fake-lazy"))
    at.toggle(key="compare_blind").set_value(True).run()
    titles = cell_titles(at)
    assert titles == ["Answer A", "Answer B", "Answer C"]
    assert not any("fake-" in t for t in titles)
    assert not any(" in / " in c.value for c in at.caption)  # figures would give models away
    assert all(s.value != "By model" for s in at.subheader)
    order = [int(f.key.split("_")[1]) for f in at.feedback]
    assert sorted(order) == sorted(o.id for o in outs)
    for n, output_id in enumerate(order):
        rate(at, output_id, n + 1)
    titles = cell_titles(at)
    by_id = {o.id: f"Local fake server · {o.model_name}" for o in outs}
    assert titles == [by_id[i] for i in order], "revealed in the same order"
    (reveal,) = [c.value for c in at.caption if "Revealed:" in c.value]
    assert f"Answer A was **{by_id[order[0]]}**" in reveal
    assert [ratings.get_rating(db, i, "Dana").blind for i in order] == [True, True, True]  # type: ignore[union-attr]


def test_a_pairwise_vote_on_a_row_changes_the_leaderboard(app, db: Engine) -> None:
    at, (first, _second) = ran(app, db)
    project_id = project_records.find_project(db, "Customer service replies").id  # type: ignore[union-attr]
    assert pairwise.leaderboard(db, project_id, "model").empty
    row = f"{first.run_id}/0"
    at.button(key=f"compare_vote_{row}_a").click().run()
    assert not at.exception
    assert any("Vote recorded: A is better" in s.value for s in at.success)
    board = pairwise.leaderboard(db, project_id, "model").set_index("contender")
    winner = "Local fake server · fake-large"  # A: the first column
    assert board.loc[winner, "wins"] == 1 and board.loc[winner, "comparisons"] == 1
    at.switch_page(page_path("pages/leaderboard.py")).run()
    assert not at.exception
    assert winner in at.dataframe[0].value["contender"].tolist()


def test_a_failed_answer_offers_no_rating(app, db: Engine) -> None:
    local = endpoints.find_endpoint(db, "Local fake server")
    endpoints.add_models(db, actor="test", endpoint_id=local.id, models=["fake-500"])  # type: ignore[union-attr, arg-type]
    endpoints.update_endpoint(db, local.id, actor="test", max_retries=0)  # type: ignore[union-attr, arg-type]
    at, outs = ran(app, db, models=("fake-large", "fake-500"))
    assert sorted(o.status for o in outs) == ["error", "ok"]
    ok = next(o for o in outs if o.status == "ok")
    assert {f.key for f in at.feedback} == {f"compare_{ok.id}_score"}
    panels = [b.proto.popover.label for b in at.get("popover")]
    assert not any("Which answer is better" in label for label in panels)  # one answer: no pair
