"""Compare in a real browser: three models stream side by side with their figures, Cancel stops
a run, and a sentinel API key used for real calls shows up nowhere (page, database, log)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import RunningApp, assert_no_errors, open_page, start_app, stop_app, wait_idle
from tests.e2e.waiting import expect
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.runs import outputs

SENTINEL = "sk-SENTINEL-e2e-5c8a1f0b7d2e9364"
REFUSED = "bad-SENTINEL-e2e-2b7f4d9a6c1e8053"
FIGURES = re.compile(r"s · first token .* s · tokens \d+ in / \d+ out · \$[\d.]+ · finish: ")


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, e2e_fake_server: FakeLLMServer, seeded_template: Path
) -> Iterator[RunningApp]:
    """An app whose OpenAI key is the sentinel, with SDK debug logging on, and failing models listed."""
    extra = {
        "OPENAI_API_KEY": SENTINEL,
        "WB_REFUSED_KEY": REFUSED,
        "OPENAI_LOG": "debug",
        "ANTHROPIC_LOG": "debug",
        "STREAMLIT_LOGGER_LEVEL": "debug",
    }
    process, running = start_app(
        tmp_path_factory.mktemp("compare-app"), e2e_fake_server, seeded_template, extra
    )
    engine = running.engine()
    fake = e2e_fake_server
    openai = endpoints.find_endpoint(engine, "OpenAI")
    endpoints.update_endpoint(
        engine, openai.id, actor="t", base_url=fake.openai_base_url, max_retries=0, confirm_key=True
    )
    endpoints.add_models(
        engine, actor="t", endpoint_id=openai.id, models=["fake-large", "fake-429", "no-such-model"]
    )
    local = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.add_models(engine, actor="t", endpoint_id=local.id, models=["fake-slow"])
    refusing = endpoints.add_endpoint(
        engine,
        actor="t",
        name="Refusing",
        provider="anthropic",
        base_url=fake.anthropic_base_url,
        api_key_env="WB_REFUSED_KEY",
        max_retries=0,
    )
    endpoints.add_model(engine, actor="t", endpoint_id=refusing.id, model="fake-small")
    engine.dispose()
    try:
        yield running
    finally:
        stop_app(process)


def choose_models(page: Page, names: list[str]) -> None:
    """Replace the multiselect's chips with ``names``, waiting for each change to land."""
    box = page.get_by_test_id("stMultiSelect").filter(has_text="Models (")  # not a rating form's tags
    chips = box.get_by_role("button", name=re.compile("^Remove "))
    expect(chips.first).to_be_visible()  # the page starts with a default choice
    for left in range(chips.count() - 1, -1, -1):
        chips.first.click()
        expect(chips).to_have_count(left)
        wait_idle(page)
    for count, name in enumerate(names, start=1):
        chip = box.get_by_role("button", name=f"Remove {name}")
        # On a busy machine a rerun (an endpoint's check coming back) can redraw the open list
        # and drop the filter typed into it: then the model is picked again, as a person would.
        for _attempt in range(3):
            box.locator("input").click()
            box.locator("input").press_sequentially(name.split(" · ")[-1])  # filters the long list
            # a model that cannot run is listed with why ("… — not reachable"): still choosable
            option = page.get_by_role("option").filter(has_text=re.compile(f"^{re.escape(name)}( — .*)?$"))
            with contextlib.suppress(PlaywrightTimeoutError):  # not in the list as drawn: pick it again
                option.first.click(timeout=15_000)
            page.keyboard.press("Escape")
            wait_idle(page)
            if chip.count():
                break
        expect(chip).to_be_visible()
        expect(chips).to_have_count(count)
        wait_idle(page)


def streaming_cell(page: Page, title: str):
    """The grid cell of ``title`` while its badge says it is streaming."""
    return page.get_by_test_id("stColumn").filter(has_text=title).filter(has_text=re.compile("streaming"))


def figures(page: Page):
    return page.get_by_test_id("stCaptionContainer").filter(has_text=FIGURES)


def test_three_models_stream_side_by_side_with_their_figures(page: Page, app: RunningApp) -> None:
    page.set_viewport_size({"width": 1500, "height": 2000})
    app.fake.token_delay = 0.05  # slow enough to watch the text arrive
    try:
        open_page(page, app, "compare")
        models = ["Local fake server · fake-large", "Local fake server · fake-small", "OpenAI · fake-large"]
        choose_models(page, models)
        page.get_by_role("button", name="Run").click()
        expect(page.get_by_text("of 3 answers")).to_be_visible()
        expect(page.get_by_role("button", name="Cancel")).to_be_visible()
        streaming = page.get_by_text(re.compile(r"streaming$"))
        expect(streaming).to_have_count(3)  # all three stream at the same time
        # Text arrives while the cell is still streaming and the run still going (Cancel offered).
        large = streaming_cell(page, models[0])
        expect(large.get_by_text(re.compile(r"^Thanks for your question"))).to_be_visible()
        expect(page.get_by_role("button", name="Cancel")).to_be_visible()
        page.screenshot(path="/tmp/issue4-e2e-streaming.png")
        expect(figures(page)).to_have_count(3)
        wait_idle(page)
    finally:
        app.fake.token_delay = 0.01
    assert_no_errors(page)
    for name in models:  # each answer keeps its model's name once the run is over
        expect(page.get_by_test_id("stColumn").get_by_text(name, exact=True).first).to_be_visible()
    expect(page.get_by_text("Thanks for your question").first).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_text("By model")).to_be_visible()
    page.screenshot(path="/tmp/issue4-e2e-compare.png", full_page=True)
    engine = app.engine()
    run = outputs.list_runs(engine)[0]
    assert run.outputs == 3 and run.errors == 0 and run.status == "done"
    engine.dispose()


def test_cancel_stops_the_outstanding_calls(page: Page, app: RunningApp) -> None:
    open_page(page, app, "compare")
    choose_models(page, ["Local fake server · fake-slow", "Local fake server · fake-small"])
    page.get_by_role("button", name="Run").click()
    # fake-slow (one word every 0.2 s) has begun its answer; fake-small may already be done.
    slow = streaming_cell(page, "Local fake server · fake-slow")
    expect(slow.get_by_text(re.compile(r"^Thanks for your question"))).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text(re.compile(r"^Cancelled after \d+ characters"))).to_be_visible()
    wait_idle(page)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    engine = app.engine()
    run = outputs.list_runs(engine)[0]
    assert run.status == "cancelled"
    stored = {o.model_name: o for o in outputs.run_outputs(engine, run.id)}
    assert stored["fake-slow"].status == "cancelled" and stored["fake-slow"].text
    engine.dispose()


def test_sentinel_key_is_nowhere_after_real_calls(page: Page, app: RunningApp) -> None:
    open_page(page, app, "compare")
    choose_models(
        page, ["OpenAI · fake-large", "OpenAI · fake-429", "OpenAI · no-such-model", "Refusing · fake-small"]
    )
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(3)
    expect(figures(page)).to_have_count(1)
    wait_idle(page)
    expect(page.get_by_text("the API key was refused").first).to_be_visible()
    texts = [page.locator("body").inner_text()]
    open_page(page, app, "settings")
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    texts.append(page.locator("body").inner_text())
    engine = app.engine()
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    run = outputs.list_runs(engine)[0]
    stored = outputs.run_outputs(engine, run.id)
    engine.dispose()
    assert any(o.status == "ok" for o in stored)  # the sentinel key was accepted and used
    texts += [o.error_message or "" for o in stored]
    blobs = [p.read_bytes() for p in app.database.parent.glob("workbench.db*")]
    log = app.log.read_text(errors="replace")
    assert "HTTP Request" in log or "Request options" in log  # SDK debug logging was on
    for secret in (SENTINEL, REFUSED):
        pieces = [secret] + [secret[i : i + 8] for i in range(len(secret) - 7)]
        for piece in pieces:
            assert all(piece not in t for t in texts), f"{piece!r} on a page or in a message"
            assert all(piece.encode() not in b for b in blobs), f"{piece!r} in the database file"
            assert piece not in log, f"{piece!r} in the streamlit log"
