"""Rating on the Compare page in a real browser: stars with a tag and a comment, thumbs, a blind
row revealed once both answers are rated, and a pairwise vote that changes the leaderboard."""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlmodel import Session, select

from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, set_name, wait_idle
from tests.e2e.test_compare import choose_models
from tests.e2e.waiting import expect
from workbench.store.tables import PairwisePreference, Rating

MODELS = ["Local fake server · fake-large", "Local fake server · fake-small"]


def cells(page: Page):
    """The grid's answer cells (the columns that hold a rating form), left to right."""
    return page.get_by_test_id("stColumn").filter(has=page.get_by_test_id("stForm"))


def run_two_models(page: Page, app: RunningApp, rater: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1800})
    open_page(page, app, "compare")
    set_name(page, rater)
    choose_models(page, MODELS)
    page.get_by_role("button", name="Run").click()
    expect(cells(page)).to_have_count(2)
    wait_idle(page)


def go(page: Page, title: str) -> None:
    """Navigate with the sidebar menu, which keeps the session (name, project)."""
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
    expect(page.locator("h1").filter(has_text=title)).to_be_visible()
    wait_idle(page)


def ratings_of(app: RunningApp, rater: str) -> list[Rating]:
    engine = app.engine()
    with Session(engine) as session:
        found = list(session.exec(select(Rating).where(Rating.rater == rater).order_by(Rating.id)))
    engine.dispose()
    return found


def test_rate_with_stars_tags_a_comment_and_thumbs_in_the_grid(page: Page, running_app: RunningApp) -> None:
    run_two_models(page, running_app, "Rita")
    first, second = cells(page).nth(0), cells(page).nth(1)
    first.get_by_role("radio", name="4 out of 5 stars").click()
    first.get_by_test_id("stMultiSelect").click()
    page.keyboard.type("accurate")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    comment = first.get_by_test_id("stTextInput").filter(has_text="Comment").locator("input")
    comment.fill("Clear and kind.")
    comment.press("Enter")  # Enter in the comment box saves
    expect(first.get_by_text("Saved: ★★★★☆ · accurate · “Clear and kind.”")).to_be_visible()
    wait_idle(page)

    page.get_by_test_id("stButtonGroup").get_by_text("Thumbs").click()
    wait_idle(page)
    second.get_by_role("radio", name="Thumbs up").click()
    second.get_by_role("button", name="Save rating").click()
    expect(second.get_by_text("Saved: Thumbs up")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path="/tmp/issue5i-compare-ratings.png", full_page=True)

    stars, thumbs = ratings_of(running_app, "Rita")
    assert (stars.kind, stars.value, stars.comment, stars.blind) == ("stars", 4, "Clear and kind.", False)
    assert (thumbs.kind, thumbs.value, thumbs.score) == ("thumbs", 1, 5.0)


def test_blind_rows_reveal_once_rated_and_a_vote_moves_the_leaderboard(
    page: Page, running_app: RunningApp
) -> None:
    run_two_models(page, running_app, "Blake")
    go(page, "Leaderboard")
    expect(page.get_by_text("No votes between models yet")).to_be_visible()
    go(page, "Compare")
    expect(cells(page)).to_have_count(2)

    page.get_by_text("Blind rating").click()
    expect(page.get_by_text(re.compile("Blind: model names are hidden"))).to_be_visible()
    wait_idle(page)
    for n, name in enumerate(("Answer A", "Answer B")):
        expect(cells(page).nth(n)).to_contain_text(name)
        expect(cells(page).nth(n)).not_to_contain_text("fake-")
    page.screenshot(path="/tmp/issue5i-blind-before.png", full_page=True)

    cells(page).nth(0).get_by_role("radio", name="2 out of 5 stars").click()
    cells(page).nth(0).get_by_role("button", name="Save rating").click()
    expect(cells(page).nth(0).get_by_text("Your rating: ★★☆☆☆ · given blind")).to_be_visible()
    wait_idle(page)
    expect(cells(page).nth(1)).not_to_contain_text("fake-")  # still hidden: one answer left
    cells(page).nth(1).get_by_role("radio", name="5 out of 5 stars").click()
    cells(page).nth(1).get_by_role("button", name="Save rating").click()
    reveal = page.get_by_text(re.compile(r"Revealed: Answer A was Local fake server · fake-"))
    expect(reveal).to_be_visible()
    wait_idle(page)
    expect(cells(page).nth(0)).to_contain_text("Local fake server · fake-")
    expect(cells(page).nth(1)).to_contain_text("Local fake server · fake-")
    page.screenshot(path="/tmp/issue5i-blind-after.png", full_page=True)
    assert [(r.value, r.blind) for r in ratings_of(running_app, "Blake")] == [(2, True), (5, True)]

    page.get_by_text("Which answer is better? Vote for the leaderboard").click()
    page.get_by_role("button", name="B is better").click()
    expect(page.get_by_text(re.compile(r"^Vote recorded: B is better"))).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    go(page, "Leaderboard")
    bars = page.get_by_test_id("stPlotlyChart").first.locator("text.bartext")
    expect(bars.first).to_be_visible()
    expect(bars).to_have_count(2)
    expect(page.get_by_text("No votes between models yet")).to_have_count(0)
    assert all("1 comparisons" in t for t in bars.all_text_contents())
    engine = running_app.engine()
    with Session(engine) as session:
        votes = session.exec(select(PairwisePreference).where(PairwisePreference.rater == "Blake")).all()
    engine.dispose()
    assert [(v.choice, v.blind) for v in votes] == [("b", False)]  # the row was revealed by then
