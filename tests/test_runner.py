"""The runner against the fake server with the real SDKs: limits, errors per cell, cancel,
cache, and outputs stored while the run is still going."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.runs.live import LiveRun
from workbench.runs.runner import (
    CallSettings,
    Cell,
    ModelChoice,
    RowInput,
    RunListener,
    RunOptions,
    plan,
    run_cells,
    start_run,
)
from workbench.store.engine import session_scope
from workbench.store.tables import Output, Run

KEY = "sk-test-runner-key-0123456789"


def lookup(name: str) -> str | None:
    return {"WB_KEY": KEY, "WB_BAD_KEY": "bad-key-0123456789abc"}.get(name)


@pytest.fixture
def hr(seeded_engine: Engine) -> Any:
    """The seeded HR prompt's good version (v2) and its project, made internal: these tests add
    their own endpoints, which the demo's confidential HR policy would keep from being called."""
    prompt = next(p for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    with session_scope(seeded_engine) as session:
        project_records.update_project(session, prompt.project_id, actor="test", sensitivity="internal")
    return versions.latest_version(seeded_engine, prompt.id), prompt.project_id


def add_endpoint(
    engine: Engine, server: FakeLLMServer, name: str, models: list[str], **settings: Any
) -> list[int]:
    kind = settings.pop("provider", "openai_compatible")
    base = server.anthropic_base_url if kind == "anthropic" else server.openai_base_url
    settings.setdefault("api_key_env", "WB_KEY")
    settings.setdefault("max_retries", 0)
    settings.setdefault("timeout_s", 5)
    endpoint = endpoints.add_endpoint(
        engine, actor="test", name=name, provider=kind, base_url=base, **settings
    )
    return [endpoints.add_model(engine, actor="test", endpoint_id=endpoint.id, model=m).id for m in models]


def options(project_id: int, **overrides: Any) -> RunOptions:
    return RunOptions(project_id=project_id, actor="tester", **overrides)


QUESTIONS = (
    "How much paid time off does an employee get each year?",
    "How many days of paid sick leave do employees get?",
    "How long is parental leave?",
    "How many days per week may I work remotely?",
)


def questions(n: int) -> list[RowInput]:
    return [RowInput({"question": QUESTIONS[i % len(QUESTIONS)]}) for i in range(n)]


@pytest.fixture
def own_server() -> Iterator[FakeLLMServer]:
    """A private server, so in-flight counts see no stragglers from other tests."""
    with FakeLLMServer(latency=0.3) as server:
        yield server


def test_every_cell_is_stored_with_its_figures(seeded_engine: Engine, fake_server: FakeLLMServer, hr) -> None:
    version, project_id = hr
    fake_server.token_delay = 0.005
    large, small = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large", "fake-small"])
    with session_scope(seeded_engine) as session:
        endpoints.update_model(
            session, large, actor="t", price_input_per_mtok=2.0, price_output_per_mtok=10.0
        )
    cells = plan(
        [version.id],
        [ModelChoice(large, CallSettings(temperature=0.2, max_tokens=300)), ModelChoice(small)],
        questions(2),
    )
    report = run_cells(seeded_engine, cells, options(project_id), lookup=lookup)
    assert report.status == "done" and len(report.outputs) == 4
    stored = outputs.run_outputs(seeded_engine, report.run_id)
    assert {o.id for o in stored} == {o.id for o in report.outputs}
    first = next(o for o in stored if o.model_id == large and o.row_index == 0)
    assert first.status == "ok" and "25 days" in first.text and first.finish_reason == "stop"
    assert first.tokens_in and first.tokens_out and first.latency_ms >= first.ttft_ms > 0
    assert first.cost_usd == pytest.approx((first.tokens_in * 2.0 + first.tokens_out * 10.0) / 1e6)
    assert first.params == {"temperature": 0.2, "max_tokens": 300}
    assert first.messages[0]["role"] == "system" and QUESTIONS[0] in first.messages[-1]["content"]
    assert first.endpoint_name == "Fake" and first.model_name == "fake-large" and not first.cache_hit
    body = fake_server.chat_requests()[0].body
    assert body["stream"] is True
    assert outputs.get_run(seeded_engine, report.run_id).status == "done"


def test_non_streaming_run_has_no_time_to_first_token(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    report = run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(large)], questions(1)),
        options(project_id, stream=False),
        lookup=lookup,
    )
    (out,) = report.outputs
    assert out.status == "ok" and out.ttft_ms is None and out.latency_ms > 0
    assert not fake_server.chat_requests()[0].body.get("stream")


def test_per_endpoint_limits_are_respected(seeded_engine: Engine, own_server: FakeLLMServer, hr) -> None:
    version, project_id = hr
    (a,) = add_endpoint(seeded_engine, own_server, "A", ["fake-large"], max_concurrency=2)
    (b,) = add_endpoint(seeded_engine, own_server, "B", ["fake-small"], max_concurrency=3)
    cells = plan([version.id], [ModelChoice(a), ModelChoice(b)], questions(9))
    report = run_cells(seeded_engine, cells, options(project_id), lookup=lookup)
    assert report.count("ok") == 18
    assert own_server.max_in_flight_by_model == {"fake-large": 2, "fake-small": 3}
    assert own_server.max_in_flight == 5


def test_overall_limit_is_respected(seeded_engine: Engine, own_server: FakeLLMServer, hr) -> None:
    version, project_id = hr
    ids = [
        add_endpoint(seeded_engine, own_server, f"E{i}", [m])[0]
        for i, m in enumerate(["fake-large", "fake-small", "fake-lazy"])
    ]
    cells = plan([version.id], [ModelChoice(i) for i in ids], questions(6))
    report = run_cells(seeded_engine, cells, options(project_id, max_concurrency=4), lookup=lookup)
    assert report.count("ok") == 18
    assert own_server.max_in_flight == 4


def test_errors_are_per_cell_name_the_fix_and_the_others_complete(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    fake_server.hang_seconds = 1
    models = ["fake-large", "fake-429", "fake-timeout", "fake-garbage", "fake-drop", "no-such-model"]
    ids = add_endpoint(seeded_engine, fake_server, "Fake", models, max_retries=1, timeout_s=0.3)
    (no_key,) = add_endpoint(seeded_engine, fake_server, "Keyless", ["fake-small"], api_key_env="WB_MISSING")
    (refused,) = add_endpoint(
        seeded_engine, fake_server, "Refused", ["fake-small"], provider="anthropic", api_key_env="WB_BAD_KEY"
    )
    choices = [ModelChoice(i) for i in [*ids, no_key, refused]]
    report = run_cells(
        seeded_engine, plan([version.id], choices, questions(1)), options(project_id), lookup=lookup
    )
    by_model = {(o.endpoint_name, o.model_name): o for o in outputs.run_outputs(seeded_engine, report.run_id)}
    expected = {
        ("Fake", "fake-large"): ("ok", None, None),
        ("Fake", "fake-429"): ("error", "rate_limited", "lower the endpoint's concurrency in Settings"),
        ("Fake", "fake-timeout"): ("error", "timeout", "raise the endpoint's timeout in Settings"),
        ("Fake", "fake-garbage"): ("error", "bad_response", "Check that the base URL"),
        ("Fake", "fake-drop"): ("incomplete", "incomplete", "partial text is kept"),
        ("Fake", "no-such-model"): ("error", "unknown_model", "Pick a model"),
        ("Keyless", "fake-small"): ("error", "auth", "Set WB_MISSING in your environment"),
        ("Refused", "fake-small"): ("error", "auth", "Check WB_BAD_KEY"),
    }
    for name, (status, kind, fix) in expected.items():
        out = by_model[name]
        assert (out.status, out.error_kind) == (status, kind), name
        if fix:
            assert fix in out.error_message, (name, out.error_message)
    assert "25 days" in by_model[("Fake", "fake-large")].text
    dropped = by_model[("Fake", "fake-drop")]
    assert dropped.text and len(dropped.text.split()) <= 3
    # The SDK's own retry (max_retries=1), and none of ours: 2 requests for the rate-limited cell.
    assert sum(r.body["model"] == "fake-429" for r in fake_server.chat_requests()) == 2
    assert "bad-key-0123456789abc" not in " ".join(o.error_message or "" for o in by_model.values())


def test_a_cell_that_cannot_render_fails_alone_without_a_call(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    rows = [RowInput({"question": "How many sick days?"}), RowInput({})]
    report = run_cells(
        seeded_engine, plan([version.id], [ModelChoice(large)], rows), options(project_id), lookup=lookup
    )
    ok, broken = sorted(report.outputs, key=lambda o: o.row_index)
    assert ok.status == "ok" and "10 days" in ok.text
    assert broken.status == "error" and broken.error_kind == "template"
    assert "Variable 'question' has no value" in broken.error_message
    assert len(fake_server.chat_requests()) == 1


def test_a_disabled_model_is_refused_per_cell(seeded_engine: Engine, fake_server: FakeLLMServer, hr) -> None:
    version, project_id = hr
    large, small = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large", "fake-small"])
    with session_scope(seeded_engine) as session:
        endpoints.update_model(session, small, actor="t", enabled=False)
    report = run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(large), ModelChoice(small)], questions(1)),
        options(project_id),
        lookup=lookup,
    )
    refused = next(o for o in report.outputs if o.model_id == small)
    assert refused.status == "error" and "Enable it in Settings" in refused.error_message
    assert next(o for o in report.outputs if o.model_id == large).status == "ok"


def test_system_override_replaces_the_version_system_message(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    override = CallSettings(
        temperature=0.0, max_tokens=50, system_override="Answer like a pirate about {{ question }}."
    )
    run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(large, override)], questions(1)),
        options(project_id),
        lookup=lookup,
    )
    sent = fake_server.chat_requests()[0].body
    assert sent["messages"][0] == {
        "role": "system",
        "content": f"Answer like a pirate about {QUESTIONS[0]}.",
    }
    assert sent["temperature"] == 0.0 and sent["max_tokens"] == 50


def test_cancel_stops_outstanding_calls_and_records_them(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    fake_server.token_delay = 0.2  # a full answer takes several seconds
    (slow,) = add_endpoint(seeded_engine, fake_server, "Slow", ["fake-large"], max_concurrency=2)
    cells = plan([version.id], [ModelChoice(slow)], questions(6))
    live = LiveRun(cells, ["Slow · fake-large"])
    began = time.perf_counter()
    handle = start_run(seeded_engine, cells, options(project_id), lookup=lookup, listener=live)
    live.attach(handle)
    deadline = time.monotonic() + 10
    while not any(c.text for c in live.snapshot().cells) and time.monotonic() < deadline:
        time.sleep(0.01)
    handle.cancel()
    assert handle.wait(10)
    assert time.perf_counter() - began < 5  # three rounds of full answers would take over 15 s
    stored = outputs.run_outputs(seeded_engine, handle.run_id)
    assert len(stored) == 6 and {o.status for o in stored} == {"cancelled"}
    started = [o for o in stored if "after" in o.error_message]
    assert len(started) == 2 and all(o.text for o in started)  # the partial text is kept
    assert all("before it started" in o.error_message and not o.text for o in stored if o not in started)
    assert len(fake_server.chat_requests()) == 2  # queued cells never called
    assert outputs.get_run(seeded_engine, handle.run_id).status == "cancelled"
    snap = live.snapshot()
    assert snap.finished and snap.done == 6 and snap.cancel_requested


def test_cache_hit_copies_the_earlier_answer(seeded_engine: Engine, fake_server: FakeLLMServer, hr) -> None:
    version, project_id = hr
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    cells = plan(
        [version.id], [ModelChoice(large, CallSettings(temperature=0.0, max_tokens=200))], questions(2)
    )
    first = run_cells(seeded_engine, cells, options(project_id, use_cache=True), lookup=lookup)
    second = run_cells(seeded_engine, cells, options(project_id, use_cache=True), lookup=lookup)
    assert len(fake_server.chat_requests()) == 2
    for old, new in zip(first.outputs, second.outputs, strict=True):
        assert new.cache_hit and not old.cache_hit and new.id != old.id
        assert (new.text, new.tokens_out, new.cache_key) == (old.text, old.tokens_out, old.cache_key)
    assert second.cost_usd == 0.0 < first.cost_usd
    changed = plan(
        [version.id], [ModelChoice(large, CallSettings(temperature=0.5, max_tokens=200))], questions(1)
    )
    third = run_cells(seeded_engine, changed, options(project_id, use_cache=True), lookup=lookup)
    assert not third.outputs[0].cache_hit and len(fake_server.chat_requests()) == 3
    without = run_cells(seeded_engine, cells, options(project_id), lookup=lookup)
    assert not any(o.cache_hit for o in without.outputs)


def test_outputs_are_in_the_database_before_the_run_ends(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    fake_server.hang_seconds = 1.5
    fast, hanging = add_endpoint(
        seeded_engine, fake_server, "Fake", ["fake-small", "fake-timeout"], timeout_s=5
    )
    seen: list[tuple[str, str]] = []

    class Observer(RunListener):
        def cell_finished(self, cell: Cell, output: Output) -> None:
            with session_scope(seeded_engine) as session:
                row = session.get(Output, output.id)
                run = session.exec(select(Run).where(Run.id == output.run_id)).one()
                seen.append((row.status, run.status))

    cells = plan([version.id], [ModelChoice(fast), ModelChoice(hanging)], questions(2))
    run_cells(seeded_engine, cells, options(project_id), lookup=lookup, listener=Observer())
    assert len(seen) == 4
    assert seen[:2] == [("ok", "running"), ("ok", "running")]  # stored while the slow ones still ran


def test_live_run_shows_streamed_text_before_the_cell_finishes(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    fake_server.token_delay = 0.03
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    cells = plan([version.id], [ModelChoice(large)], questions(1))
    live = LiveRun(cells, ["Fake · fake-large"])
    handle = start_run(seeded_engine, cells, options(project_id), lookup=lookup, listener=live)
    live.attach(handle)
    partial = None
    while not handle.done:
        (view,) = live.snapshot().cells
        if view.status == "running" and view.text:
            partial = view
        time.sleep(0.01)
    final = live.snapshot()
    assert partial is not None and partial.output_id is None
    assert final.finished and final.done == 1 and final.progress == 1.0
    (view,) = final.cells
    assert view.status == "ok" and view.text.startswith(partial.text) and view.output_id
    assert view.revision > partial.revision


def test_a_run_spans_versions_models_and_test_cases(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    _, project_id = hr
    prompt = next(p for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    both = [v.id for v in versions.list_versions(seeded_engine, prompt.id)]
    large, small = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large", "fake-small"])
    from workbench.store.tables import TestCase

    with session_scope(seeded_engine) as session:
        cases = list(session.exec(select(TestCase).where(TestCase.prompt_id == prompt.id)))[:3]
    rows = [RowInput(c.variables, test_case_id=c.id) for c in cases]
    cells = plan(both, [ModelChoice(large), ModelChoice(small)], rows)
    report = run_cells(seeded_engine, cells, options(project_id, kind="eval"), lookup=lookup)
    assert len(report.outputs) == 12 and report.count("ok") == 12
    assert {(o.prompt_version_id, o.test_case_id, o.model_id) for o in report.outputs} == {
        (v, c.id, m) for v in both for c in cases for m in (large, small)
    }
    run = outputs.get_run(seeded_engine, report.run_id)
    assert (
        run.kind == "eval" and run.prompt_version_id is None and run.settings["version_ids"] == sorted(both)
    )


def test_previous_runs_can_be_listed_and_reopened(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    large, small = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large", "fake-small"])
    choices = [
        ModelChoice(large, CallSettings(temperature=0.2, max_tokens=100)),
        ModelChoice(small, CallSettings(temperature=0.9, max_tokens=100)),
    ]
    report = run_cells(
        seeded_engine, plan([version.id], choices, questions(2)), options(project_id), lookup=lookup
    )
    summary = next(
        r for r in outputs.list_runs(seeded_engine, prompt_version_id=version.id) if r.id == report.run_id
    )
    assert summary.outputs == 4 and summary.errors == 0
    assert summary.models == ("Fake · fake-large", "Fake · fake-small") and summary.cost_usd > 0
    titles, cells = outputs.stored_grid(seeded_engine, report.run_id)
    assert titles == ["Fake · fake-large", "Fake · fake-small"]
    assert {(c.row_index, c.column) for c in cells} == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert all(c.output_id and c.status == "ok" for c in cells)


def test_starting_a_run_is_audited(seeded_engine: Engine, fake_server: FakeLLMServer, hr) -> None:
    from workbench.store import audit

    version, project_id = hr
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    report = run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(large)], questions(1)),
        options(project_id),
        lookup=lookup,
    )
    with session_scope(seeded_engine) as session:
        (event,) = audit.events(session, action="run.start")
    assert (
        event.actor == "tester" and event.entity_id == str(report.run_id) and event.project_id == project_id
    )


def test_listener_failures_do_not_lose_the_run(seeded_engine: Engine, fake_server: FakeLLMServer, hr) -> None:
    version, project_id = hr
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])

    class Broken(RunListener):
        def cell_delta(self, cell: Cell, text: str) -> None:
            raise RuntimeError("view bug")

    report = run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(large)], questions(1)),
        options(project_id),
        lookup=lookup,
        listener=Broken(),
    )
    assert report.outputs[0].status == "ok"


def test_start_run_returns_before_the_calls_finish(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    fake_server.latency = 1.5
    (large,) = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large"])
    began = time.perf_counter()
    handle = start_run(
        seeded_engine,
        plan([version.id], [ModelChoice(large)], questions(1)),
        options(project_id),
        lookup=lookup,
    )
    assert time.perf_counter() - began < 1.0 and not handle.done
    assert handle.wait(10) and handle.report is not None and handle.report.status == "done"


def test_runs_outputs_and_cache_on_each_backend(storage_engine: Engine) -> None:
    """Persistence, listing and the cache on SQLite and PostgreSQL, with the offline Echo model."""
    from workbench.projects import project_records

    endpoints.ensure_builtin_endpoints(storage_engine)
    echo = next(m for m in endpoints.list_models(storage_engine) if m.model == "echo")
    with session_scope(storage_engine) as session:
        project = project_records.create_project(session, actor="t", name="Backends")
        prompt = versions.create_prompt(session, project_id=project.id, name="P", actor="t")
        version = versions.save_version(
            session,
            prompt_id=prompt.id,
            system_template="Be brief.",
            user_template="Hi {{ who }}",
            author="t",
        )
    choices = [
        ModelChoice(echo.id, CallSettings(temperature=0.0, max_tokens=50)),
        ModelChoice(echo.id, CallSettings(temperature=1.0, max_tokens=50)),
    ]
    cells = plan([version.id], choices, [RowInput({"who": "Ann"}), RowInput({"who": "Bo"})])
    opts = RunOptions(project_id=project.id, actor="t", use_cache=True)
    first = run_cells(storage_engine, cells, opts)
    second = run_cells(storage_engine, cells, opts)
    assert first.count("ok") == 4 and "Hi Ann" in first.outputs[0].text
    assert all(o.cache_hit for o in second.outputs) and not any(o.cache_hit for o in first.outputs)
    runs = outputs.list_runs(storage_engine, prompt_version_id=version.id)
    assert [r.id for r in runs] == [second.run_id, first.run_id] and runs[0].outputs == 4
    titles, grid = outputs.stored_grid(storage_engine, first.run_id)
    assert titles == ["Echo · echo", "Echo · echo"]  # one model, two settings: two columns
    assert {(c.row_index, c.column) for c in grid} == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_models_that_answered_lists_working_models_newest_first(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:
    version, project_id = hr
    large, failing = add_endpoint(seeded_engine, fake_server, "Fake", ["fake-large", "fake-500"])
    (small,) = add_endpoint(seeded_engine, fake_server, "Fake 2", ["fake-small"])
    run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(large), ModelChoice(failing)], questions(1)),
        options(project_id),
        lookup=lookup,
    )
    run_cells(
        seeded_engine,
        plan([version.id], [ModelChoice(small)], questions(1)),
        options(project_id),
        lookup=lookup,
    )
    answered = outputs.models_that_answered(seeded_engine)
    assert answered[:2] == [small, large]  # newest success first
    assert failing not in answered
