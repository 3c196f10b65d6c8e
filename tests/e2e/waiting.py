"""Browser assertions that wait for the app, not for the clock.

A fixed ceiling ("visible within 15 s") fails a correct change on a busy machine, where one
rerun can take longer than that (issue 18 saw it four times). So the ``expect`` here keeps
retrying Playwright's own assertion while the app shows it is working: its script is running
or a rerun is requested (``data-test-script-state`` on ``stApp``), or the browser is not yet
(re)connected. It fails only once the app has been at rest for ``QUIET_S`` without the
expected result: a click has then had ample time to start its rerun, and no rerun is
coming. ``CEILING_S`` in all is the last resort, for an app that never comes to rest.

Use it exactly like Playwright's ``expect``, without a ``timeout``::

    from tests.e2e.waiting import expect
    expect(page.get_by_text("Saved as version 1.")).to_be_visible()
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import expect as playwright_expect

SLICE_MS = 500  # one try of Playwright's auto-retrying assertion
QUIET_S = 15.0  # the app at rest this long without the expected result: it is not coming
CEILING_S = 300.0  # last resort: an app that never comes to rest
ACTION_CEILING_MS = 120_000  # clicks and fills wait for their element this long at most

_BUSY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return true;
  const script = app.getAttribute('data-test-script-state');
  const connection = app.getAttribute('data-test-connection-state');
  return connection !== 'CONNECTED' || !['notRunning', 'compilationError'].includes(script);
}"""


def app_busy(page: Page) -> bool:
    """True while the app's script runs, a rerun is pending, or the page is (re)connecting."""
    try:
        return bool(page.evaluate(_BUSY))
    except PlaywrightError:  # between two documents during a navigation
        return True


def wait_until(page: Page, attempt: Callable[[], None]) -> None:
    """Repeat ``attempt`` (an assertion that raises AssertionError) until it passes, for as long
    as the app is working, then ``QUIET_S`` more."""
    started = last_busy = time.monotonic()
    while True:
        try:
            attempt()
            return
        except AssertionError:
            now = time.monotonic()
            if app_busy(page):
                last_busy = now
            if now - last_busy > QUIET_S or now - started > CEILING_S:
                raise


class Settling:
    """Playwright's assertions on ``actual``, each retried by :func:`wait_until`."""

    def __init__(self, actual: Locator | Page) -> None:
        self._page = actual if isinstance(actual, Page) else actual.page
        self._assertions = playwright_expect(actual)

    def __getattr__(self, name: str) -> Any:
        check = getattr(self._assertions, name)
        if not name.startswith(("to_", "not_to_")):
            return check

        def settled(*args: Any, **kwargs: Any) -> None:
            if "timeout" in kwargs:
                raise TypeError(f"{name}: no timeout; the assertion waits for as long as the app works")
            wait_until(self._page, lambda: check(*args, timeout=SLICE_MS, **kwargs))

        return settled


def expect(actual: Locator | Page) -> Any:
    return Settling(actual)
