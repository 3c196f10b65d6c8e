"""Compare's rows of values in Chromium: typing fast with Tab keeps every character in the box it
was typed into (the data grid it replaced lost characters and overwrote row 1), a new row keeps
row 1 intact, and a reload brings every row back (they are kept server-side for the person)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, wait_idle
from tests.e2e.waiting import expect


def row_boxes(page: Page, row: int) -> list[str]:
    """The aria-labels of the text boxes of row ``row`` ("order_id, row 1", ...), in page order."""
    boxes = page.get_by_role("textbox", name=re.compile(rf", row {row}$"))
    expect(boxes.first).to_be_visible()
    return [boxes.nth(i).get_attribute("aria-label") or "" for i in range(boxes.count())]


def type_row(page: Page, labels: list[str], values: list[str]) -> None:
    """Click the row's first box, then type every value at full speed, Tab between boxes."""
    page.get_by_label(labels[0], exact=True).click()
    for index, value in enumerate(values):
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(value)  # no delay between keys
        if index < len(values) - 1:
            page.keyboard.press("Tab")
    page.keyboard.press("Enter")


def test_fast_typing_with_tab_keeps_every_character_and_a_reload_keeps_the_rows(
    page: Page, running_app: RunningApp
) -> None:
    open_page(page, running_app, "compare")
    first = row_boxes(page, 1)
    assert len(first) >= 2, first  # the production version of the late-order reply has several
    row1 = [f"R1-{n}-Zwölf «{i}» 0123456789" for i, n in enumerate(first)]
    type_row(page, first, row1)
    wait_idle(page)

    page.get_by_role("button", name="Add a row").click()
    wait_idle(page)
    second = row_boxes(page, 2)
    row2 = [f"R2-{n}-second row {i}" for i, n in enumerate(second)]
    type_row(page, second, row2)
    wait_idle(page)

    for label, value in [*zip(first, row1, strict=True), *zip(second, row2, strict=True)]:
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    assert_no_errors(page)
    # Run is enabled only once the app itself holds a value in every box: the last Enter has
    # reached it (the boxes show what was typed before the app has it).
    expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    wait_idle(page)

    page.reload()
    open_page(page, running_app, "compare")
    for label, value in [*zip(first, row1, strict=True), *zip(second, row2, strict=True)]:
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
