"""Documents in a real browser, end to end with the fake server: upload a document, see its
passages used as context on Draft, generate five test cases, accept three, run Evaluate on them,
generate pairs, accept them, export the fine-tuning JSONL and check every line."""

from __future__ import annotations

import io
import json
import re
import zipfile

from playwright.sync_api import Locator, Page

from tests.e2e.conftest import RunningApp, assert_no_errors, choose_project, open_page, set_name, wait_idle
from tests.e2e.test_compare import choose_models
from tests.e2e.waiting import expect
from tests.e2e.widgets import pick, upload
from workbench.evals import cases as bench
from workbench.prompts import versions

DOCUMENT = (
    "# Bereavement leave\n\n"
    "Employees get 5 days of paid bereavement leave for a close family member. "
    "For other relatives the leave is 2 days of paid bereavement leave. "
    "Tell your manager on the first day of absence by phone or chat. "
    "Bereavement leave does not need a certificate or any other proof. "
    "Unused bereavement days do not carry over and are not paid out. "
    "Extra unpaid days can be agreed with your manager when travel is needed.\n"
)
PROMPT = "HR policy answer from documents"
LARGE = "Local fake server · fake-large"


def open_hr(page: Page, app: RunningApp, path: str) -> None:
    """A page with the HR project chosen (a page load starts a new session)."""
    open_page(page, app, path)
    set_name(page, "Dana from HR")
    choose_project(page, "HR handbook assistant")
    wait_idle(page)


def choose(page: Page, panel: Locator, label: str, option: str) -> None:
    box = panel.get_by_test_id("stMultiSelect").filter(has_text=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    expect(box.get_by_role("button", name=f"Remove {option}")).to_be_visible()
    wait_idle(page)


def pick_in(page: Page, panel: Locator, label: str, option: str) -> None:
    box = panel.get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box.locator("input")).to_have_value(option)
    wait_idle(page)


def set_number(page: Page, panel: Locator, label: str, value: int) -> None:
    box = panel.get_by_test_id("stNumberInput").filter(has_text=label).locator("input")
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def test_documents_from_upload_to_finetune_export(page: Page, running_app: RunningApp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1400, "height": 1200})
    open_hr(page, running_app, "documents")

    # 1. Upload a document.
    page.get_by_role("tab", name="Add").click()
    file = tmp_path / "bereavement-leave.md"
    file.write_text(DOCUMENT, encoding="utf-8")
    upload(page, page, file, page.get_by_text("Ready to add: bereavement-leave.md."))
    page.get_by_role("button", name="Add documents").click()
    expect(
        page.get_by_text(re.compile("Added 'Bereavement leave' \\(bereavement-leave.md\\)"))
    ).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)

    # 2. Its passages are the context on Draft.
    open_hr(page, running_app, "draft")
    pick(page, "Prompt", PROMPT)
    question = page.get_by_label("question", exact=True)
    # The pick's rerun loads the prompt and resets its variable boxes: typing before that rerun
    # has landed is wiped (the box showed the previous prompt's question, also "question").
    # The new prompt's own sample value in the box proves its widgets are the ones on screen.
    expect(question).to_have_value(re.compile("paid sick leave"))
    wait_idle(page)
    question.fill("How many days of bereavement leave do I get?")
    question.press("Enter")
    # the passage picked, with its source, and the same passage in the preview's system message
    expect(page.get_by_role("strong").filter(has_text="[1] Bereavement leave")).to_be_visible()
    expect(page.get_by_test_id("stCode").filter(has_text="[1] Bereavement leave")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path="/tmp/issue13-draft-passages.png")

    # 3. Five test cases generated with the fake server; three accepted.
    open_hr(page, running_app, "documents")
    page.get_by_role("tab", name="Test cases from documents").click()
    panel = page.get_by_role("tabpanel", name="Test cases from documents")
    choose(page, panel, "From these documents", "Bereavement leave")
    pick_in(page, panel, "For the bench of", PROMPT)
    pick_in(page, panel, "Model that writes them", LARGE)
    set_number(page, panel, "Questions per passage", 5)
    panel.get_by_role("button", name="Generate test cases").click()
    expect(page.get_by_text(re.compile(r"Generation #\d+: 5 proposed for review"))).to_be_visible()
    wait_idle(page)
    accepts = panel.get_by_role("button", name="Accept", exact=True)
    expect(accepts).to_have_count(5)
    for left in (4, 3, 2):
        accepts.first.click()
        expect(accepts).to_have_count(left)
        wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path="/tmp/issue13-review.png")
    engine = running_app.engine()
    try:
        prompt = next(p for p in versions.list_prompts(engine) if p.name == PROMPT)
        accepted = bench.list_cases(engine, prompt.id)  # type: ignore[arg-type]
    finally:
        engine.dispose()
    assert len(accepted) == 3 and all(c.expected and c.expected in DOCUMENT for c in accepted)

    # 4. Evaluate runs on them.
    open_hr(page, running_app, "evaluate")
    pick(page, "Prompt", PROMPT)
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"^3 cases × 1 versions? × "))).to_be_visible()
    choose_models(page, [LARGE])
    page.get_by_role("button", name="Run evaluation").click()
    expect(page.get_by_text(re.compile(r"^Evaluation #\d+ is done and saved\.$"))).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)

    # 5. Pairs generated, accepted, exported as fine-tuning JSONL.
    open_hr(page, running_app, "documents")
    page.get_by_role("tab", name="Fine-tuning pairs").click()
    panel = page.get_by_role("tabpanel", name="Fine-tuning pairs")
    choose(page, panel, "From these documents", "Bereavement leave")
    pick_in(page, panel, "Model that writes them", LARGE)
    panel.get_by_role("button", name="Generate pairs").click()
    expect(page.get_by_text(re.compile(r"Generation #\d+: 2 proposed for review"))).to_be_visible()
    wait_idle(page)
    panel.get_by_role("button", name=re.compile(r"^Accept all \d+ shown$")).click()
    expect(page.get_by_text(re.compile(r"^To review: 0 pairs$"))).to_be_visible()
    wait_idle(page)
    with page.expect_download() as download:
        panel.get_by_role("button", name="Both + summary (zip)").click()
    archive = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    lines = [
        json.loads(line)
        for name in ("train.jsonl", "validation.jsonl")
        for line in archive.read(name).decode("utf-8").splitlines()
    ]
    assert lines
    for line in lines:
        roles = [m["role"] for m in line["messages"]]
        assert set(line) == {"messages"} and roles[-1] == "assistant" and "user" in roles
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in line["messages"])
    answers = [line["messages"][-1]["content"] for line in lines]
    assert sum(a.startswith("# Bereavement leave") for a in answers) == 2
    summary = json.loads(archive.read("summary.json"))
    assert len(summary["pairs"]) == 2 and {p["document"] for p in summary["pairs"]} == {"Bereavement leave"}
    assert len({p["file"] for p in summary["pairs"]}) == 1  # one document's pairs on one side
    assert_no_errors(page)
