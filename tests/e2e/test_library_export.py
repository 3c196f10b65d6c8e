"""Library, Insights and Export in a real browser: search the library and open a prompt in
Draft, download a chart's data and figure, and download every export format from the page,
each read back by its real consumer; import a prompts file."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import yaml
from playwright.sync_api import Locator, Page

from tests.conftest import sqlite_url
from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from tests.e2e.widgets import pick
from tests.e2e.widgets import upload as upload_file
from tests.test_finetune import lines
from workbench.exports import backup
from workbench.prompts import versions
from workbench.store.engine import open_database


def download(page: Page, scope: Page | Locator, name: str) -> tuple[str, bytes]:
    """Click the (first) download button called ``name``; return (file name, content)."""
    button = scope.get_by_role("button", name=name, exact=True).first
    button.scroll_into_view_if_needed()
    with page.expect_download() as started:  # built at the click: the page's action ceiling
        button.click()
    got = started.value
    return got.suggested_filename, Path(got.path()).read_bytes()


def tab(page: Page, name: str) -> Locator:
    page.get_by_role("tab", name=name).click()
    return page.get_by_role("tabpanel", name=name)


def test_search_the_library_and_open_a_prompt_in_draft(page: Page, running_app: RunningApp) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_page(page, running_app, "library")
    expect(page.get_by_text("3 prompts · no filter")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    wait_idle(page)
    page.screenshot(path="/tmp/issue7-library.png", full_page=True)
    search = page.get_by_test_id("stTextInputField").and_(page.get_by_label("Search", exact=True))
    search.fill("handbook")
    search.press("Enter")
    expect(
        page.get_by_text("2 prompts · text 'handbook'")
    ).to_be_visible()  # the bench prompt and the one from documents
    wait_idle(page)
    pick(page, "Open a prompt", "HR handbook assistant / HR policy answer")
    wait_idle(page)
    page.get_by_role("button", name="Open in Draft").click()
    expect(page.get_by_role("heading", name="Draft")).to_be_visible()
    expect(page).to_have_url(f"{running_app.url}/draft")
    wait_idle(page)
    user = page.get_by_test_id("stTextArea").filter(has_text="User message").locator("textarea")
    expect(user).to_have_value("Employee question: {{ question }}\n\nAnswer in one or two sentences.")
    sidebar_project = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").locator("input")
    expect(sidebar_project).to_have_value("HR handbook assistant")
    assert_no_errors(page)


def test_insights_charts_download_as_data_and_html(page: Page, running_app: RunningApp) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_page(page, running_app, "insights")
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    wait_idle(page)
    page.screenshot(path="/tmp/issue7-insights.png", full_page=True)
    name, data = download(page, page, "Data (CSV)")  # the first chart: rating by version
    assert name == "rating-by-version.csv"
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert {"prompt", "version", "average_rating", "ratings"} <= set(frame.columns) and len(frame) == 2
    name, data = download(page, page, "Chart (HTML)")
    assert name == "rating-by-version.html" and b"plotly" in data and b"HR policy answer" in data
    assert_no_errors(page)


def test_every_export_downloads_from_the_page(page: Page, running_app: RunningApp, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1400, "height": 1100})
    open_page(page, running_app, "export")
    set_name(page, "Dana Export")
    expect(page.get_by_role("tab", name="Table (CSV, Excel)")).to_be_visible()
    page.screenshot(path="/tmp/issue7-export.png", full_page=True)

    table = tab(page, "Table (CSV, Excel)")
    _, data = download(page, table, "CSV")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert len(frame) == 24 and frame["rating_count"].sum() == 30
    _, data = download(page, table, "Excel")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Outputs"]
    assert sheet.max_row == 25 and sheet["A1"].value == "project"
    _, data = download(page, table, "Prompts (CSV, latest versions)")
    assert set(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")["prompt"]) == {
        "Late order reply",
        "HR policy answer",
        "HR policy answer from documents",
    }

    tuning = tab(page, "Fine-tuning (JSONL)")
    name, train = download(page, tuning, "train.jsonl")
    _, validation = download(page, tuning, "validation.jsonl")
    assert name == "train.jsonl" and len(lines(train)) + len(lines(validation)) > 0
    _, packed = download(page, tuning, "Both + summary (zip)")
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        assert archive.read("train.jsonl") == train
        assert json.loads(archive.read("summary.json"))["counts"]["kept"] == len(lines(train)) + len(
            lines(validation)
        )
    tuning.get_by_role("button", name="Show the summary").click()
    expect(tuning.get_by_text("Tokens are approximate", exact=False)).to_be_visible()
    wait_idle(page)
    page.screenshot(path="/tmp/issue7-export-finetune.png", full_page=True)

    bench = tab(page, "promptfoo")
    _, packed = download(page, bench, "promptfoo configuration (zip, one folder per prompt)")
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        configs = [yaml.safe_load(archive.read(n)) for n in archive.namelist()]
    assert {c["description"] for c in configs} == {
        "Customer service replies / Late order reply",
        "HR handbook assistant / HR policy answer",
        "HR handbook assistant / HR policy answer from documents",
    }
    assert all({"prompts", "providers", "tests"} <= set(c) for c in configs)

    whole = tab(page, "Full backup")
    _, data = download(page, whole, "Full backup (JSON)")
    restored = open_database(sqlite_url(tmp_path / "restored.db"))
    counts = backup.restore(restored, data, actor="e2e")
    assert counts["output"] == 24 and counts["rating"] == 30
    assert [p.name for p in versions.list_prompts(restored)] == [
        "HR policy answer",
        "HR policy answer from documents",
        "Late order reply",
    ]
    restored.dispose()
    assert_no_errors(page)


def test_import_a_prompts_file_from_the_page(page: Page, running_app: RunningApp, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_page(page, running_app, "export")
    set_name(page, "Dana Import")
    panel = tab(page, "Import")
    upload = tmp_path / "prompts.csv"
    upload.write_text(
        "project,prompt,user,label\nHR handbook assistant,Leave days,Days of {{ kind }} leave?,staging\n"
    )
    upload_file(page, panel, upload, panel.get_by_role("button", name="Import prompts"))
    panel.get_by_role("button", name="Import prompts").click()
    expect(
        page.get_by_text("Imported prompts.csv: 1 prompts created, 1 versions added, 1 labels set.")
    ).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    engine = running_app.engine()
    try:
        assert "Leave days" in [p.name for p in versions.list_prompts(engine)]
    finally:
        engine.dispose()
