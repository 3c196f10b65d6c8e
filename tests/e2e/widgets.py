"""Small Playwright helpers for Streamlit widgets, shared by the governance browser tests."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page

from tests.e2e.conftest import wait_idle
from tests.e2e.waiting import expect


def pick(page: Page, label: str, option: str) -> None:
    """Choose an option. The box is centred first: at the viewport's bottom edge its dropdown
    closes again as soon as it opens (measured), so the option never appears."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box.locator("input")).to_have_value(option)


def upload(page: Page, scope: Page | Locator, path: Path, ready: Locator) -> None:
    """Choose ``path`` in the first file uploader in ``scope`` and wait until the app has it:
    ``ready`` is what the page shows only once its script has run with the file.

    The uploader lists the file's name as soon as it is chosen, while it is still being sent,
    and tells the app only when the upload is done. A button pressed in between runs without the
    file, and the upload's own rerun then wipes the answer: the click looks swallowed (measured
    on a busy machine: the click's rerun went out 0.9 s before the upload's)."""
    scope.locator("input[type=file]").first.set_input_files(str(path))
    expect(ready).to_be_visible()
    wait_idle(page)
