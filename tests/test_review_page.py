"""The Review page through AppTest: stars, thumbs, tags, comments, blind reveal, to "all rated"."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from tests.conftest import page_path, sqlite_engine_for
from workbench.store.tables import Output, Rating


def open_review(app, name: str = "Dana", project: str = "HR handbook assistant"):  # type: ignore[no-untyped-def]
    at = app()
    box = at.sidebar.selectbox[0]
    at.sidebar.selectbox[0].select_index(box.options.index(project)).run()
    if name:
        at.sidebar.text_input(key="rater_name").input(name).run()
    at.switch_page(page_path("pages/review.py")).run()
    assert not at.exception
    return at


def current_output(at) -> int:  # type: ignore[no-untyped-def]
    """The output id behind the rating control (its widget keys carry it)."""
    key = at.feedback[0].key
    return int(key.split("_")[1])


def progress(at) -> str:  # type: ignore[no-untyped-def]
    return at.get("progress")[0].proto.text


def save(at):  # type: ignore[no-untyped-def]
    output_id = current_output(at)
    at.button(key=f"review_{output_id}_save").click().run()
    assert not at.exception
    return output_id


def rating_of(db: Path, output_id: int, rater: str = "Dana") -> Rating | None:
    engine = sqlite_engine_for(db)
    with Session(engine) as session:
        found = session.exec(
            select(Rating).where(Rating.output_id == output_id, Rating.rater == rater)
        ).first()
    engine.dispose()
    return found


def test_rate_with_stars_a_tag_and_a_comment(app, app_env: Path) -> None:  # type: ignore[no-untyped-def]
    at = open_review(app)
    assert progress(at) == "0 of 12 rated"
    assert "Model: **Local fake server · fake-large**" in at.caption[1].value
    output_id = current_output(at)
    at.feedback(key=f"review_{output_id}_score").set_value(3)  # the fourth star
    at.multiselect(key=f"review_{output_id}_tags").set_value(["accurate", "too long"])
    at.text_input(key=f"review_{output_id}_comment").input("Right figure, chatty.")
    save(at)
    assert "Saved ★★★★☆ · accurate, too long · “Right figure, chatty.”" in at.success[0].value
    assert progress(at) == "1 of 12 rated"
    assert current_output(at) != output_id
    stored = rating_of(app_env, output_id)
    assert stored is not None
    assert (stored.kind, stored.value, stored.score, stored.comment, stored.blind) == (
        "stars",
        4,
        4.0,
        "Right figure, chatty.",
        False,
    )


def test_rate_with_thumbs(app, app_env: Path) -> None:  # type: ignore[no-untyped-def]
    at = open_review(app)
    at.segmented_control(key="review_kind").set_value("thumbs").run()
    first = current_output(at)
    at.feedback(key=f"review_{first}_score").set_value(0)  # thumbs down
    save(at)
    assert "Saved Thumbs down" in at.success[0].value
    second = current_output(at)
    at.feedback(key=f"review_{second}_score").set_value(1)  # thumbs up
    save(at)
    assert progress(at) == "2 of 12 rated"
    down, up = rating_of(app_env, first), rating_of(app_env, second)
    assert (down.kind, down.value, down.score) == ("thumbs", 0, 1.0)  # type: ignore[union-attr]
    assert (up.kind, up.value, up.score) == ("thumbs", 1, 5.0)  # type: ignore[union-attr]


def test_blind_review_hides_the_model_and_reveals_it_after_rating(app, app_env: Path) -> None:  # type: ignore[no-untyped-def]
    at = open_review(app)
    at.toggle(key="review_blind").set_value(True).run()
    page_text = " ".join(c.value for c in at.caption) + " ".join(m.value for m in at.markdown)
    assert "Model hidden until you rate it" in page_text and "fake-" not in page_text
    output_id = current_output(at)
    at.feedback(key=f"review_{output_id}_score").set_value(4)
    save(at)
    engine = sqlite_engine_for(app_env)
    with Session(engine) as session:
        model = session.get(Output, output_id).model_name  # type: ignore[union-attr]
    engine.dispose()
    assert f"It was written by **Local fake server · {model}**" in at.success[0].value
    assert rating_of(app_env, output_id).blind is True  # type: ignore[union-attr]


def test_saving_needs_a_score_and_a_name(app) -> None:  # type: ignore[no-untyped-def]
    at = open_review(app)
    save(at)
    assert "Pick the stars" in at.warning[0].value and progress(at) == "0 of 12 rated"
    nameless = open_review(app, name="")
    assert "Type your name in the sidebar" in nameless.info[0].value
    assert not nameless.feedback


def test_working_through_the_queue_to_all_rated(app) -> None:  # type: ignore[no-untyped-def]
    at = open_review(app)
    shown = []
    for n in range(12):
        assert progress(at) == f"{n} of 12 rated"
        at.run()  # a plain rerun must not move on or repeat
        output_id = current_output(at)
        assert output_id not in shown
        shown.append(output_id)
        at.feedback(key=f"review_{output_id}_score").set_value(n % 5)
        save(at)
    assert "All rated" in at.success[-1].value and progress(at) == "12 of 12 rated"
    assert not at.feedback
    # A second rater still has the whole queue, in the same order.
    other = open_review(app, name="Sam")
    assert progress(other) == "0 of 12 rated" and current_output(other) == shown[0]


def test_a_project_without_answers_points_to_one_with_answers(app) -> None:  # type: ignore[no-untyped-def]
    at = open_review(app, project="Customer service replies")
    assert "No answers to review in this project yet" in at.info[0].value
    assert "HR handbook assistant" in at.info[0].value
