"""Improve on the bench in a real browser: from the demo's weak HR prompt (v1, no handbook) with
its 10-case bench, the budget shows first, the rounds show as they run against the live fake
server, the report says a better version was found and saved as a candidate, and the person
promotes it with the Versions page's label move."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from workbench.improve import optimization_runs
from workbench.prompts import versions

LARGE = "Local fake server · fake-large"


@pytest.fixture
def slow_answers(running_app: RunningApp) -> Iterator[None]:
    """Answers slow enough that the rounds can be watched while they run."""
    before = running_app.fake.latency
    running_app.fake.reset()  # so the calls counted here are this run's
    running_app.fake.latency = 0.4
    yield
    running_app.fake.latency = before


def choose(page: Page, label: str, option: re.Pattern[str] | str) -> None:
    """Pick an option of the select box labelled ``label`` (centred first, so its list opens)."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_idle(page)


def test_the_weak_hr_prompt_is_improved_on_its_bench_and_promoted(
    page: Page, running_app: RunningApp, slow_answers: None
) -> None:
    page.set_viewport_size({"width": 1400, "height": 1100})
    open_page(page, running_app, "optimize")
    set_name(page, "Dana from HR")
    choose_project(page, "HR handbook assistant")
    expect(page.get_by_text("Improve HR policy answer on its bench")).to_be_visible()
    wait_idle(page)
    choose(page, "Version to improve", re.compile(r"^v1 — First draft"))
    choose(page, "Model the prompt runs on", re.compile(f"^{re.escape(LARGE)}$"))
    proposer = page.get_by_test_id("stSelectbox").filter(has_text="Model that proposes edits")
    expect(proposer.locator("input")).to_have_value(LARGE)  # it follows the model unless changed

    budget = page.get_by_test_id("stMarkdown").filter(has_text="Budget")
    expect(budget).to_contain_text("up to 100 calls")
    ceiling = page.get_by_role("spinbutton", name="Most calls this run may make")
    expect(ceiling).to_have_value("100")
    ceiling.fill("60")
    ceiling.press("Enter")
    expect(page.get_by_text(re.compile(r"^At 60 calls: about \$"))).to_be_visible()
    wait_idle(page)
    page.screenshot(path="/tmp/issue14-optimize-budget.png")

    page.get_by_role("button", name="Start improving").click()
    # The rounds show as they run: the current step on the bar, one line per finished step.
    expect(
        page.get_by_text(re.compile(r"Round 1 of 3: testing 4 candidates on 7 training cases"))
    ).to_be_visible()
    expect(page.get_by_text("v1 passes 0 of 7 (0%) training cases (mean check score 0.00).")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    page.screenshot(path="/tmp/issue14-optimize-progress.png")

    expect(page.get_by_text(re.compile(r"^Run #\d+ is done and saved"))).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    verdict = page.get_by_test_id("stAlertContentSuccess").filter(has_text="Found a better version")
    expect(verdict).to_contain_text("saved as v3 with the label 'candidate'")
    expect(page.get_by_test_id("stMetric").filter(has_text="Held-out pass rate")).to_contain_text("100%")
    page.get_by_role("tab", name="Diff").click()
    expect(
        page.get_by_text("Answer from the company handbook and quote the exact figure it gives.").first
    ).to_be_visible()
    page.get_by_role("tab", name="Candidates").click()
    expect(page.get_by_text("Read a candidate's prompt")).to_be_visible()
    page.screenshot(path="/tmp/issue14-optimize-report.png", full_page=True)

    engine = running_app.engine()
    try:
        prompt = next(p for p in versions.list_prompts(engine) if p.name == "HR policy answer")
        (run,) = optimization_runs.list_optimizations(engine, prompt.id)  # type: ignore[arg-type]
        assert run.outcome == "improved" and run.created_by == "Dana from HR" and run.calls_used <= 60
        assert run.calls_used == len(running_app.fake.chat_requests())  # counted at the server
    finally:
        engine.dispose()

    page.get_by_role("button", name="Promote v3 on the Versions page…").click()
    expect(page.locator("h1").filter(has_text="Versions")).to_be_visible()
    wait_idle(page)
    label = page.get_by_test_id("stSelectbox").filter(has_text=re.compile("^Label"))
    target = page.get_by_test_id("stSelectbox").filter(has_text="Point it at")
    expect(label.first.locator("input")).to_have_value("production")
    expect(target.locator("input")).to_have_value(re.compile(r"^v3 · Improve on the bench, run #"))
    target.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.screenshot(path="/tmp/issue14-optimize-promote.png")
    page.get_by_role("button", name="Move label").click()
    expect(page.get_by_text(re.compile(r"^'production' now points at v3"))).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)

    engine = running_app.engine()
    try:
        labels = {lb.name: lb.version_id for lb in versions.labels_for_prompt(engine, prompt.id)}  # type: ignore[arg-type]
        assert labels["production"] == labels["candidate"] == run.saved_version_id
    finally:
        engine.dispose()
