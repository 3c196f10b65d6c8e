"""The Bench page in a real browser: upload a CSV of test cases, refuse a bad one, download the export."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from playwright.sync_api import Locator, Page

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from tests.e2e.widgets import upload
from workbench.evals import cases
from workbench.prompts import versions

GOOD = (
    "name,question,expected,assert:contains,assert:length\n"
    "Pension,Is there a company pension?,Yes.,pension,40\n"
    'Bikes,Is there a bike scheme?,,"[""bike"", ""scheme""]",\n'
)
BAD = "name,question,assert:regex\nFine,Is it fine?,^Yes\nBroken,Why?,([0-9]+\n"


def hr_case_names(app: RunningApp) -> list[str]:
    engine = app.engine()
    try:
        pid = next(p.id for p in versions.list_prompts(engine) if p.name == "HR policy answer")
        return [c.name for c in cases.list_cases(engine, pid)]  # type: ignore[arg-type]
    finally:
        engine.dispose()


def import_file(page: Page, path: Path, outcome: Locator) -> None:
    """Choose ``path`` in the uploader of the Import / export tab, press Import once the app has
    the file, and wait for ``outcome``."""
    page.get_by_role("tab", name="Import / export").click()
    button = page.get_by_role("button", name="Import", exact=True)
    upload(page, page, path, button.and_(page.locator("button:enabled")))
    button.click()
    expect(outcome.first).to_be_visible()


def test_upload_a_csv_then_download_the_export(page: Page, running_app: RunningApp, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_page(page, running_app, "bench")
    set_name(page, "Dana from HR")
    choose_project(page, "HR handbook assistant")
    expect(page.get_by_text("10 test cases.")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    wait_idle(page)
    page.screenshot(path="/tmp/issue6-bench-cases.png", full_page=True)

    good = tmp_path / "more-cases.csv"
    good.write_text(GOOD, encoding="utf-8")
    import_file(page, good, page.get_by_text("Imported more-cases.csv: 2 added, 0 updated, 0 deleted."))
    wait_idle(page)
    assert_no_errors(page)
    assert hr_case_names(running_app)[-2:] == ["Pension", "Bikes"]

    page.get_by_role("tab", name="Import / export").click()
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="Export CSV").click()
    exported = pd.read_csv(
        io.BytesIO(Path(download.value.path()).read_bytes()),
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    assert download.value.suggested_filename == "hr-policy-answer-cases.csv"
    assert list(exported.columns) == [
        "name",
        "question",
        "expected",
        "assert:contains",
        "assert:not_contains",
        "assert:length",
    ]
    assert len(exported) == 12 and exported.iloc[-1].to_dict() == {
        "name": "Bikes",
        "question": "Is there a bike scheme?",
        "expected": "",
        "assert:contains": '["bike", "scheme"]',
        "assert:not_contains": "",
        "assert:length": "",
    }

    bad = tmp_path / "broken.csv"
    bad.write_text(BAD, encoding="utf-8")
    error = page.get_by_test_id("stAlertContentError")
    import_file(page, bad, error)
    expect(error).to_contain_text("Row 3, column 'assert:regex'")
    expect(error).to_contain_text("Nothing was imported: 1 problem.")
    wait_idle(page)
    page.screenshot(path="/tmp/issue6-bench-import-error.png", full_page=True)
    assert len(hr_case_names(running_app)) == 12
