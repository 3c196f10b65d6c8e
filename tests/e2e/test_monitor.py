"""The Monitor page in a real browser: the example application serves the demo's "Late order
reply" through the fake server on one release, the label moves to another model, the
application serves again; the page shows the two releases side by side, and putting the
previous release back shows as a rollback on it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page

from tests.conftest import ROOT, sqlite_url
from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, set_name, wait_idle
from tests.e2e.waiting import expect
from workbench.prompts import label_history, versions
from workbench.prompts.releases import ReleaseModel
from workbench.store.engine import session_scope

EXAMPLE = ROOT / "examples" / "late_order_app.py"
LAZY = "v2 · Local fake server · fake-lazy"
LARGE = "v2 · Local fake server · fake-large"


def point_production(app: RunningApp, model: str) -> None:
    engine = app.engine()
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")
    latest = versions.latest_version(engine, prompt.id)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        label_history.move_label(
            session,
            version_id=latest.id,  # type: ignore[union-attr, arg-type]
            name="production",
            actor="Ops",
            model=ReleaseModel("Local fake server", model),
        )
    engine.dispose()


def run_example(app: RunningApp, home: Path, requests: int = 12) -> str:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"WORKBENCH_HOME": str(home), "WORKBENCH_DATABASE_URL": sqlite_url(app.database)})
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--requests", str(requests)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # last resort against a hung example; it takes seconds
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{requests} of {requests} answered" in done.stdout
    return done.stdout


def test_two_releases_side_by_side_and_a_rollback(
    page: Page, running_app: RunningApp, tmp_path: Path
) -> None:
    point_production(running_app, "fake-lazy")
    assert "on Local fake server · fake-lazy" in run_example(running_app, tmp_path)
    point_production(running_app, "fake-large")
    assert "on Local fake server · fake-large" in run_example(running_app, tmp_path)

    open_page(page, running_app, "monitor")
    set_name(page, "Browser Ops")
    expect(page.get_by_role("heading", name="Did the swap help?")).to_be_visible()
    before = page.locator(".st-key-monitor_before")
    now = page.locator(".st-key-monitor_now")
    expect(before).to_contain_text(f"Before · {LAZY}")
    expect(now).to_contain_text(f"Now · {LARGE}")
    expect(before.get_by_test_id("stMetric").filter(has_text="Answers served")).to_contain_text("12")
    expect(now.get_by_test_id("stMetric").filter(has_text="Answers served")).to_contain_text("12")
    expect(page.get_by_text("Last change to 'production': moved")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_contain_text("production moved: v2")
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path=str(tmp_path / "monitor-two-releases.png"))

    page.get_by_role("button", name=f"Put the previous release back ({LAZY}").click()
    expect(page.get_by_text(f"'production' rolled back: it serves {LAZY}")).to_be_visible()
    expect(now).to_contain_text(f"Now · {LAZY}")
    expect(before).to_contain_text(f"Before · {LARGE}")
    expect(page.get_by_text("Last change to 'production': rolled back")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_contain_text("production rolled back: v2")
    wait_idle(page)
    assert_no_errors(page)
    page.screenshot(path=str(tmp_path / "monitor-rolled-back.png"))

    engine = running_app.engine()
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")
    [production] = [s for s in label_history.label_states(engine, prompt.id) if s.name == "production"]  # type: ignore[arg-type]
    engine.dispose()
    assert (production.model, production.updated_by) == ("Local fake server · fake-lazy", "Browser Ops")
