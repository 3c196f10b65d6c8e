"""The reusable rating control and blind row helper, on a page of their own (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.conftest import sqlite_url
from tests.ratings_support import add_answers, make_bench
from workbench.judging import ratings


def grid_page(url: str, output_ids: list[int], kind: str) -> None:
    """A stand-in for the Compare grid: one blind row with a rating control under each answer."""
    import streamlit as st

    from workbench.store.engine import make_engine
    from workbench.ui.rating.rating_control import blind_cells, rating_control

    engine = make_engine(url)
    rater = st.session_state.get("rater", "Dana")

    def saved(rating) -> None:  # type: ignore[no-untyped-def]
        st.session_state["saved_ids"] = [*st.session_state.get("saved_ids", []), rating.output_id]
        st.rerun()  # the names above the controls must be redrawn once the row is rated

    labels = {i: f"model {n}" for n, i in enumerate(output_ids)}
    cells = blind_cells(engine, "row-0", list(labels.items()), rater)
    columns = st.columns(len(cells))
    for column, cell in zip(columns, cells, strict=True):
        with column:
            st.markdown(f"**{cell.shown}**")
            rating_control(
                engine,
                cell.output_id,
                rater,
                kind=kind,
                blind=not cell.revealed,
                key="grid",
                on_saved=saved,
            )


@pytest.fixture
def grid(engine: Engine, tmp_path: Path):  # type: ignore[no-untyped-def]
    bench = make_bench(engine)
    ids = add_answers(engine, bench.version_ids[0], questions=["Only question?"])
    url = sqlite_url(tmp_path / "workbench.db")

    def make(kind: str = "stars"):  # type: ignore[no-untyped-def]
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_function(grid_page, args=(url, ids, kind), default_timeout=30)
        at.run()
        assert not at.exception
        return at

    return ids, make


def test_each_output_gets_its_own_stable_widgets(grid) -> None:  # type: ignore[no-untyped-def]
    ids, make = grid
    at = make()
    assert sorted(f.key for f in at.feedback) == sorted(f"grid_{i}_score" for i in ids)
    assert sorted(b.key for b in at.button) == sorted(f"grid_{i}_save" for i in ids)
    at.run()
    assert sorted(f.key for f in at.feedback) == sorted(f"grid_{i}_score" for i in ids)


def test_blind_names_are_revealed_when_the_whole_row_is_rated(engine: Engine, grid) -> None:  # type: ignore[no-untyped-def]
    _, make = grid
    at = make()
    assert [m.value for m in at.markdown[:3]] == ["**Answer A**", "**Answer B**", "**Answer C**"]
    order = [int(f.key.split("_")[1]) for f in at.feedback]
    for n, output_id in enumerate(order):
        at.feedback(key=f"grid_{output_id}_score").set_value(n + 2)
        at.button(key=f"grid_{output_id}_save").click().run()
        assert not at.exception
    assert at.session_state["saved_ids"] == order
    shown = [m.value for m in at.markdown[:3]]
    assert sorted(shown) == ["**model 0**", "**model 1**", "**model 2**"]
    assert [int(f.key.split("_")[1]) for f in at.feedback] == order, "the order stays when revealed"
    stored = [ratings.get_rating(engine, i, "Dana") for i in order]
    assert [(r.value, r.blind) for r in stored] == [(3, True), (4, True), (5, True)]  # type: ignore[union-attr]


def test_an_earlier_rating_is_prefilled_and_can_be_changed(engine: Engine, grid) -> None:  # type: ignore[no-untyped-def]
    ids, make = grid
    ratings.rate_output(
        engine, output_id=ids[0], rater="Dana", kind="thumbs", value=1, tags=["accurate"], comment="ok"
    )
    at = make("thumbs")
    assert at.feedback(key=f"grid_{ids[0]}_score").value == 1
    assert at.multiselect(key=f"grid_{ids[0]}_tags").value == ["accurate"]
    assert at.text_input(key=f"grid_{ids[0]}_comment").value == "ok"
    assert at.button(key=f"grid_{ids[0]}_save").label == "Update my rating"
    at.feedback(key=f"grid_{ids[0]}_score").set_value(0)
    at.button(key=f"grid_{ids[0]}_save").click().run()
    changed = ratings.get_rating(engine, ids[0], "Dana")
    assert (changed.value, changed.score, changed.tags) == (0, 1.0, ("accurate",))  # type: ignore[union-attr]


def test_a_refused_rating_shows_an_error_not_an_exception(engine: Engine, grid) -> None:  # type: ignore[no-untyped-def]
    ids, make = grid
    at = make()
    at.session_state["rater"] = "x" * 300  # longer than a rater name may be
    at.run()
    at.feedback(key=f"grid_{ids[0]}_score").set_value(2)
    at.button(key=f"grid_{ids[0]}_save").click().run()
    assert not at.exception
    assert "at most 200 characters" in at.error[0].value
