"""Small Playwright helpers for Streamlit widgets, shared by the governance browser tests."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.waiting import expect


def pick(page: Page, label: str, option: str) -> None:
    """Choose an option. The box is centred first: at the viewport's bottom edge its dropdown
    closes again as soon as it opens (measured), so the option never appears."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(box.locator("input")).to_have_value(option)
