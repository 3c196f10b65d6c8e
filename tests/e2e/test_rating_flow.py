"""In a real browser: work through the review queue to "all rated" (stars, thumbs, a tag, a
comment, blind with reveal, keyboard saves), then cast a blind pairwise vote and watch the
leaderboard change."""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlmodel import Session, select

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from workbench.store.tables import PairwisePreference, Rating


def _go(page: Page, title: str) -> None:
    """Navigate with the sidebar menu, which keeps the session (project and name)."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(page.locator("h1").filter(has_text=title)).to_be_visible()
    wait_idle(page)


def _start(page: Page, app: RunningApp, name: str) -> None:
    open_page(page, app)
    choose_project(page, "HR handbook assistant")
    expect(page.get_by_role("heading", name="HR handbook assistant")).to_be_visible()
    wait_idle(page)
    set_name(page, name)


def _expect_progress(page: Page, rated: int) -> None:
    expect(page.get_by_text(f"{rated} of 12 rated", exact=True)).to_be_visible()
    wait_idle(page)


def test_review_queue_to_all_rated(page: Page, running_app: RunningApp) -> None:
    _start(page, running_app, "Browser Rater")
    _go(page, "Review")
    _expect_progress(page, 0)

    # 1: four stars, a tag and a comment; Enter in the comment box saves.
    page.get_by_role("radio", name="4 out of 5 stars").click()
    page.get_by_test_id("stMultiSelect").click()
    page.keyboard.type("accurate")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    comment = page.get_by_test_id("stTextInput").filter(has_text="Comment").locator("input")
    comment.fill("Quotes the handbook.")
    comment.press("Enter")
    _expect_progress(page, 1)
    expect(page.get_by_text("Saved ★★★★☆ · accurate · “Quotes the handbook.”")).to_be_visible()

    # 2-3: thumbs, saved with the keyboard shortcut.
    page.get_by_test_id("stButtonGroup").get_by_text("Thumbs").click()
    wait_idle(page)
    for rated, thumb in ((2, "Thumbs up"), (3, "Thumbs down")):
        page.get_by_role("radio", name=thumb).click()
        page.keyboard.press("Control+s")
        _expect_progress(page, rated)

    # 4: blind: the model is hidden, then revealed once rated.
    page.get_by_test_id("stButtonGroup").get_by_text("Stars").click()
    page.get_by_text("Blind review").click()
    expect(page.get_by_text("Model hidden until you rate it")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Model: .*fake-"))).to_have_count(0)
    page.get_by_role("radio", name="2 out of 5 stars").click()
    page.get_by_role("button", name=re.compile("Save rating")).click()
    _expect_progress(page, 4)
    expect(page.get_by_text(re.compile(r"It was written by Local fake server · fake-"))).to_be_visible()

    # 5-12: the rest, until the queue says all rated.
    for rated in range(5, 13):
        page.get_by_role("radio", name="5 out of 5 stars").click()
        page.get_by_role("button", name=re.compile("Save rating")).click()
        _expect_progress(page, rated)
    expect(page.get_by_text(re.compile("All rated: you have rated all 12 answers"))).to_be_visible()
    assert_no_errors(page)

    engine = running_app.engine()
    with Session(engine) as session:
        mine = session.exec(select(Rating).where(Rating.rater == "Browser Rater")).all()
    engine.dispose()
    assert len(mine) == 12 and len({r.output_id for r in mine}) == 12
    assert sorted(r.kind for r in mine).count("thumbs") == 2
    assert sum(r.blind for r in mine) == 9  # blind stayed on after the fourth answer


def test_a_pairwise_vote_changes_the_leaderboard(page: Page, running_app: RunningApp) -> None:
    _start(page, running_app, "Browser Voter")
    _go(page, "Leaderboard")
    bars = page.get_by_test_id("stPlotlyChart").first.locator("text.bartext")
    expect(bars.first).to_be_visible()
    before = bars.all_text_contents()
    assert any("comparisons" in t for t in before)
    page.get_by_role("button", name="A is better").click()
    expect(page.get_by_text(re.compile(r"Revealed: A was .*, B was "))).to_be_visible()
    wait_idle(page)
    expect(bars).not_to_have_text(before)
    assert_no_errors(page)
    engine = running_app.engine()
    with Session(engine) as session:
        votes = session.exec(
            select(PairwisePreference).where(PairwisePreference.rater == "Browser Voter")
        ).all()
    engine.dispose()
    assert [(v.choice, v.blind) for v in votes] == [("a", True)]
