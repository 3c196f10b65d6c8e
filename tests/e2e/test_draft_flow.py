"""Draft, Gallery and Versions in a real browser: write a template, fill variables, read the
checklist, start from the gallery, use the builder, save three versions, diff two, move a label,
roll it back, and improve a prompt with the live fake provider server."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page
from sqlmodel import Session, func, select

from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from workbench.prompts import label_history, versions
from workbench.store.tables import PromptVersion

SEED_BAD = "Explain why a customer's order is late."


def text_area(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stTextArea").filter(has_text=label).locator("textarea")


def type_text(box: Locator, text: str, commit: str = "Control+Enter") -> None:
    box.fill(text)
    box.press(commit)


def choose(scope: Page | Locator, page: Page, label: str, option: str) -> None:
    box = scope.get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")  # not at the bottom edge
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()


def prompt_id(app: RunningApp, name: str) -> int:
    engine = app.engine()
    try:
        return next(p.id for p in versions.list_prompts(engine) if p.name == name)  # type: ignore[misc]
    finally:
        engine.dispose()


def version_count(app: RunningApp) -> int:
    engine = app.engine()
    try:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(PromptVersion)).one()
    finally:
        engine.dispose()


def save(page: Page, note: str, expected: str) -> None:
    type_text(page.get_by_label("Change note: what changed and why"), note, "Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_text(expected)).to_be_visible()
    wait_idle(page)


def test_write_fill_check_save_three_versions_diff_label_and_roll_back(
    page: Page, running_app: RunningApp
) -> None:
    open_page(page, running_app, "draft")
    set_name(page, "Erin")
    choose(page, page, "Prompt", "➕ New prompt")
    expect(page.get_by_label("Name of the new prompt")).to_be_visible()
    type_text(page.get_by_label("Name of the new prompt"), "E2E reply", "Enter")
    wait_idle(page)
    type_text(text_area(page, "System message"), "")
    type_text(text_area(page, "User message"), SEED_BAD)
    expect(page.get_by_text("The task is very short")).to_be_visible()
    expect(page.get_by_text("No output format or length")).to_be_visible()
    wait_idle(page)

    type_text(
        text_area(page, "User message"), "Reply to {{ customer }} about order #{{ order_id }} in 3 sentences."
    )
    expect(page.get_by_label("customer", exact=True)).to_be_visible()
    wait_idle(page)
    type_text(page.get_by_label("customer", exact=True), "Ana", "Enter")
    wait_idle(page)
    type_text(page.get_by_label("order_id", exact=True), "77", "Enter")
    expect(
        page.get_by_test_id("stCode").filter(has_text="Reply to Ana about order #77 in 3 sentences.")
    ).to_be_visible()
    wait_idle(page)
    save(page, "first", "Saved as version 1.")
    for n, sentences in ((2, 2), (3, 1)):
        type_text(
            text_area(page, "User message"),
            f"Reply to {{{{ customer }}}} about order #{{{{ order_id }}}} in {sentences} sentences.",
        )
        expect(page.get_by_text("unsaved changes")).to_be_visible()
        wait_idle(page)
        save(page, f"shorter {n}", f"Saved as version {n}.")
    assert_no_errors(page)
    pid = prompt_id(running_app, "E2E reply")
    engine = running_app.engine()
    assert [(v.number, v.author, v.change_note) for v in versions.list_versions(engine, pid)] == [
        (3, "Erin", "shorter 3"),
        (2, "Erin", "shorter 2"),
        (1, "Erin", "first"),
    ]

    page.get_by_test_id("stSidebarNavLink").filter(has_text="Versions").click()
    expect(page.get_by_role("heading", name="Compare two versions")).to_be_visible()
    wait_idle(page)
    diff = page.locator("table.wb-diff")
    expect(diff).to_have_count(1)
    expect(diff.locator("mark.del")).to_have_text("2")
    expect(diff.locator("mark.ins")).to_have_text("1")
    choose(page, page, "Older", "v1 · first")
    expect(diff.locator("mark.del")).to_have_text("3")
    wait_idle(page)

    mover = (
        page.get_by_test_id("stVerticalBlock").filter(has=page.get_by_text("Move a label", exact=True)).last
    )
    for target in ("v2 · shorter 2", "v3 · shorter 3"):  # the label serves v2, then v3
        choose(mover, page, "Point it at", target)
        wait_idle(page)
        mover.get_by_role("button", name="Move label").click()
        number = target.split(" ")[0]
        expect(page.get_by_text(re.compile(rf"^production → {number} · .* · moved by Erin$"))).to_be_visible()
        wait_idle(page)
    [production] = label_history.label_states(engine, pid)
    assert (production.name, production.version_number) == ("production", 3)

    page.get_by_role("button", name="Roll production back").click()
    expect(page.get_by_text(re.compile(r"^production → v2 · .* · moved by Erin$"))).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    [production] = label_history.label_states(engine, pid)
    assert production.version_number == 2
    assert [m.kind for m in label_history.label_moves(engine, pid)] == ["rolled back", "moved", "set"]
    assert versions.list_versions(engine, pid)[0].user_template.endswith("in 1 sentences.")
    engine.dispose()


def test_start_from_the_gallery_and_use_the_builder(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app, "gallery")
    set_name(page, "Gil")
    expect(page.get_by_text("Why it is weak").first).to_be_visible()
    page.get_by_role("button", name="Start a prompt from this").first.click()
    expect(page.get_by_role("heading", name="Draft")).to_be_visible()
    expect(page.get_by_text("is in the editor as a new prompt")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_label("Name of the new prompt")).to_have_value("Late order reply (2)")
    expect(text_area(page, "User message")).to_have_value(
        "Respond to a customer asking why their order #{{ order_id }}, placed on {{ order_date }}, "
        "has not been delivered yet.\nCurrent status: {{ status }}. Expected delivery date: {{ expected_delivery }}."
        "\n\nProvide an update on the current status and the expected delivery date, apologise for the delay, "
        'and end with a clear next step. Keep it under 120 words and sign it as "Customer Care".'
    )
    expect(page.get_by_label("order_id", exact=True)).to_have_value("12345")
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_text("Saved as version 1.")).to_be_visible()
    wait_idle(page)
    pid = prompt_id(running_app, "Late order reply (2)")
    engine = running_app.engine()
    [v1] = versions.list_versions(engine, pid)
    assert (
        v1.author == "Gil"
        and v1.change_note == "Started from the gallery's strong example 'Late order reply'."
    )
    engine.dispose()

    page.get_by_test_id("stExpander").filter(has_text="Build from parts").locator("summary").click()
    builder = page.get_by_test_id("stForm")
    expect(builder).to_be_visible()
    builder.get_by_label("Role: who should the model be?").fill("an HR assistant for Northwind")
    builder.get_by_label("Task: what should it produce?").fill(
        "Answer the employee's question: {{ question }}"
    )
    builder.get_by_label("Output format and length").fill("At most three sentences.")
    builder.get_by_role("button", name="Put it in the editor").click()
    expect(page.get_by_text("The builder's prompt is in the editor")).to_be_visible()
    wait_idle(page)
    expect(text_area(page, "System message")).to_have_value("You are an HR assistant for Northwind.")
    expect(text_area(page, "User message")).to_have_value(
        "Answer the employee's question: {{ question }}\n\nOutput format:\nAt most three sentences."
    )
    expect(page.get_by_text("Variable 'question' has no value").first).to_be_visible()
    type_text(page.get_by_label("question", exact=True), "How many days off do I get?", "Enter")
    expect(page.get_by_test_id("stCode").filter(has_text="question: How many days off")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)


def test_improve_with_the_fake_model_accept_and_garbage(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app, "draft")
    set_name(page, "Ivy")
    choose(page, page, "Prompt", "Late order reply")
    expect(page.get_by_text("Editing from version 2", exact=True)).to_be_visible()
    expect(text_area(page, "System message")).to_have_value(re.compile("^You are a courteous"))
    wait_idle(page)
    type_text(text_area(page, "System message"), "")
    wait_idle(page)
    type_text(text_area(page, "User message"), SEED_BAD)
    expect(page.get_by_text("The task is very short")).to_be_visible()
    wait_idle(page)
    panel = page.get_by_test_id("stExpander").filter(has_text="Improve with a model")
    panel.locator("summary").click()
    before = version_count(running_app)

    choose(panel, page, "Model", "Local fake server · fake-lazy")
    wait_idle(page)
    panel.get_by_role("button", name="Ask for a rewrite").click()
    expect(page.get_by_text("fake-lazy did not answer with a rewritten prompt")).to_be_visible()
    wait_idle(page)
    assert version_count(running_app) == before

    choose(panel, page, "Model", "Local fake server · fake-large")
    wait_idle(page)
    panel.get_by_role("button", name="Ask for a rewrite").click()
    diff = page.locator("table.wb-diff")
    expect(diff.first).to_be_visible()
    expect(page.get_by_text("Proposed").first).to_be_visible()
    expect(panel.get_by_label("Change note")).to_have_value(
        "Added context, audience, format and length limits."
    )
    wait_idle(page)
    assert version_count(running_app) == before
    panel.get_by_role("button", name="Accept as new version").click()
    expect(page.get_by_text("Saved as version 3.")).to_be_visible()
    wait_idle(page)
    assert_no_errors(page)
    engine = running_app.engine()
    latest = versions.list_versions(engine, prompt_id(running_app, "Late order reply"))[0]
    assert (latest.number, latest.author) == (3, "Ivy")
    assert latest.change_note == "Added context, audience, format and length limits."
    assert latest.user_template.startswith(SEED_BAD) and "at most 120 words" in latest.user_template
    requests = [r for r in running_app.fake.chat_requests() if "improve" in str(r.body).lower()]
    assert requests and requests[-1].body["model"] == "fake-large"  # type: ignore[index]
    engine.dispose()


def test_a_template_that_does_not_render_is_not_saved(page: Page, running_app: RunningApp) -> None:
    open_page(page, running_app, "draft")
    set_name(page, "Bea")
    type_text(text_area(page, "User message"), "Hello\nReply about {{ order_id }")
    expect(page.get_by_text("Unbalanced braces").first).to_be_visible()
    expect(page.get_by_text("User message, line 2:").first).to_be_visible()
    wait_idle(page)
    before = version_count(running_app)
    type_text(page.get_by_label("Change note: what changed and why"), "broken", "Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save as new version").click()
    expect(page.get_by_text("Unbalanced braces")).to_have_count(2)
    wait_idle(page)
    assert version_count(running_app) == before
