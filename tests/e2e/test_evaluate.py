"""Evaluate in a real browser: the seeded HR bench runs as a version × model matrix against the
live fake server; the heatmap shows fake-large passing v2 and fake-lazy failing, a failing
case shows its reason, and Cancel stops a slow evaluation."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, set_name, wait_idle
from tests.e2e.test_compare import choose_models
from tests.e2e.waiting import expect
from workbench.evals import evaluations
from workbench.models import endpoints
from workbench.prompts import versions

LARGE, LAZY = "Local fake server · fake-large", "Local fake server · fake-lazy"


def open_hr_evaluate(page: Page, app: RunningApp) -> None:
    page.set_viewport_size({"width": 1400, "height": 1100})
    open_page(page, app, "evaluate")
    set_name(page, "Dana from HR")
    choose_project(page, "HR handbook assistant")
    form = page.get_by_test_id("stExpander").filter(has_text="New evaluation of HR policy answer")
    expect(form).to_be_visible()
    wait_idle(page)
    if form.locator("details").first.get_attribute("open") is None:  # folded away once there are results
        form.get_by_text("New evaluation of HR policy answer").click()
    expect(page.get_by_text("10 cases × 2 versions × 2 models = 40 calls.")).to_be_visible()


def hr_evaluations(app: RunningApp) -> list:
    engine = app.engine()
    try:
        pid = next(p.id for p in versions.list_prompts(engine) if p.name == "HR policy answer")
        return evaluations.list_evaluations(engine, pid)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_the_hr_bench_runs_and_the_heatmap_shows_who_passes(page: Page, running_app: RunningApp) -> None:
    open_hr_evaluate(page, running_app)
    choose_models(page, [LARGE, LAZY])
    page.get_by_role("button", name="Run evaluation").click()
    expect(page.get_by_text(re.compile(r"^Evaluation #\d+ is done and saved\.$"))).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("Pass rate by version and model")).to_be_visible()
    for label in ("v1", "v2", LARGE, LAZY):
        expect(chart.get_by_text(label, exact=True)).to_be_visible()
    expect(chart.get_by_text("100%", exact=True)).to_have_count(1)  # v2 on fake-large
    expect(chart.get_by_text("0%", exact=True)).to_have_count(3)
    failing = page.get_by_test_id("stTable")
    expect(failing.get_by_text("contains '25 days': Missing '25 days'.").first).to_be_visible()
    chart.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/issue6e-evaluate-heatmap.png")
    (evaluation,) = hr_evaluations(running_app)
    assert evaluation.status == "done" and evaluation.created_by == "Dana from HR"
    assert evaluation.summary["cells"][2] == {
        "version": "v2",
        "model": LARGE,
        "passed": 10,
        "total": 10,
        "pass_rate": 1.0,
    }

    failing.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/issue6e-evaluate-cases.png")
    page.get_by_role("tab", name="Regressions").click()
    expect(
        page.get_by_text("No regressions: no case passes in one version and fails in the next.")
    ).to_be_visible()
    expect(page.get_by_text("10 fix(es)")).to_be_visible()


def test_cancel_stops_a_slow_evaluation(page: Page, running_app: RunningApp) -> None:
    engine = running_app.engine()
    local = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.add_models(engine, actor="t", endpoint_id=local.id, models=["fake-slow"])  # type: ignore[union-attr, arg-type]
    engine.dispose()
    before = len(hr_evaluations(running_app))
    open_hr_evaluate(page, running_app)
    choose_models(page, [LARGE, "Local fake server · fake-slow"])
    page.get_by_role("button", name="Run evaluation").click()
    expect(page.get_by_text(re.compile(r"^[1-9]\d* of 40 answers"))).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(re.compile(r"^Evaluation #\d+ was cancelled"))).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    found = hr_evaluations(running_app)
    assert len(found) == before + 1 and found[0].status == "cancelled"

    page.get_by_role("tab", name="Compare with another").click()  # the cancelled one against the last
    change = page.get_by_test_id("stPlotlyChart").filter(has_text="Pass-rate change from")
    expect(change).to_be_visible()
    expect(change.get_by_text("Local fake server · fake-large", exact=True)).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    change.scroll_into_view_if_needed()
    page.screenshot(path="/tmp/issue6e-evaluate-compare.png")
