"""A first start like ``make run``, in Chromium: no keys, and nothing listening where the demo's
"Local fake server" endpoint points. The app serves those models itself
(``ui/shell/local_models.py``), so the models Compare preselects all answer: zero errors."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import (
    RunningApp,
    assert_no_errors,
    free_port,
    open_page,
    start_app,
    stop_app,
    wait_idle,
)
from tests.e2e.waiting import expect, wait_until
from tests.fakes.server import FakeLLMServer
from workbench.runs import outputs

FIGURES = re.compile(r"s · first token .* s · tokens \d+ in / \d+ out · \$[\d.]+ · finish: ")


def compare_runs(app: RunningApp) -> list[outputs.RunSummary]:
    engine = app.engine()
    try:
        return outputs.list_runs(engine)
    finally:
        engine.dispose()


def nothing_listens(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def fresh_app(
    tmp_path_factory: pytest.TempPathFactory, e2e_fake_server: FakeLLMServer, seeded_template: Path
) -> Iterator[RunningApp]:
    """The demo database as the app seeds it, its local endpoint on a closed port of this machine
    (like 8787 on a fresh clone, where ``make run`` starts no fake server), and no key anywhere
    (``start_app`` drops every ``*_API_KEY``; the worktree's secrets.toml holds none), started
    through ``workbench.ui.serve`` like ``make run``."""
    port = free_port()
    assert nothing_listens(port)
    process, running = start_app(
        tmp_path_factory.mktemp("fresh-app"),
        e2e_fake_server,
        seeded_template,
        local_base_url=f"http://127.0.0.1:{port}/v1",
        like_make_run=True,
    )
    try:
        yield running
    finally:
        stop_app(process)


def test_compare_runs_its_preselected_models_with_zero_errors(page: Page, fresh_app: RunningApp) -> None:
    page.set_viewport_size({"width": 1500, "height": 2000})
    before = len(fresh_app.fake.chat_requests())
    open_page(page, fresh_app, "compare")
    box = page.get_by_test_id("stMultiSelect").filter(has_text="Models (")
    chips = box.get_by_role("button", name=re.compile("^Remove "))
    expect(chips.first).to_be_visible()
    chosen = [
        (chips.nth(i).get_attribute("aria-label") or "").removeprefix("Remove ") for i in range(chips.count())
    ]
    assert any(name.startswith("Local fake server · ") for name in chosen), chosen  # the demo's models
    expect(page.get_by_text("Cannot run now")).to_have_count(0)

    runs_before = compare_runs(fresh_app)
    page.get_by_role("button", name="Run").click()

    def run_over() -> None:
        runs = compare_runs(fresh_app)
        assert len(runs) > len(runs_before) and runs[0].status != "running", runs[:1]

    wait_until(page, run_over)
    expect(page.get_by_text("By model")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    wait_idle(page)
    assert_no_errors(page)

    engine = fresh_app.engine()
    try:
        run = outputs.list_runs(engine)[0]
        stored = outputs.run_outputs(engine, run.id)
    finally:
        engine.dispose()
    failed = [(o.model_name, o.status, o.error_message) for o in stored if o.status != "ok"]
    assert not failed, failed
    assert run.status == "done" and run.errors == 0 and run.outputs == len(stored) >= len(chosen)
    assert {o.model_name for o in stored} == {name.split(" · ")[-1] for name in chosen}
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text=FIGURES)).to_have_count(len(stored))
    assert len(fresh_app.fake.chat_requests()) == before  # the test's own fake server answered none
