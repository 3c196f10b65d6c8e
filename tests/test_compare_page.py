"""The Compare page through AppTest, with the seeded database and the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import page_path, sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.runs import outputs

PAGE = "pages/compare.py"


@pytest.fixture
def local(app_env: Path, fake_server: FakeLLMServer) -> dict[str, int]:
    """Point the seeded "Local fake server" at the test server; returns model ids by name."""
    engine = sqlite_engine_for(app_env)
    endpoint = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.update_endpoint(
        engine, endpoint.id, actor="test", base_url=fake_server.openai_base_url, max_retries=0
    )
    endpoints.add_models(engine, actor="test", endpoint_id=endpoint.id, models=["fake-429", "fake-drop"])
    ids = {m.model: m.id for m in endpoints.list_models(engine)}
    engine.dispose()
    return ids


def texts(at) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "error", "warning", "info", "success")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_compare_runs_the_default_models_and_shows_figures(app, local, app_env: Path) -> None:
    at = app(page=PAGE)
    assert not at.exception
    assert any(s.label == "Prompt" for s in at.selectbox)
    version_box = next(s for s in at.selectbox if s.label == "Version")
    assert "production" in version_box.format_func(version_box.value)
    default = at.multiselect(key="compare_models").value
    engine = sqlite_engine_for(app_env)
    # Models that have answered here come first (the demo's), then the others that can be called.
    assert default == outputs.models_that_answered(engine)[:3]
    chosen = [local["echo"], local["fake-large"], local["fake-lazy"]]
    at.multiselect(key="compare_models").set_value(chosen).run()
    at.button(key="compare_run").click().run()
    assert not at.exception and not at.error
    page = texts(at)
    assert "Thanks for your question" in page  # fake-large's answer
    assert "\\[system\\]" in page  # Echo returns the rendered prompt (escaped: shown as [system])
    assert "Row 1" in page and "order_id" in page
    figures = [c.value for c in at.caption if "tokens" in c.value and " in / " in c.value]
    assert len(figures) == 3 and all("s · first token" in f and "finish: complete" in f for f in figures)
    assert any("$0.0" in f for f in figures)
    engine = sqlite_engine_for(app_env)
    run = outputs.list_runs(engine)[0]  # newest first; the demo's own runs are older
    assert run.outputs == 3 and run.status == "done"


def test_an_error_stays_in_its_cell_and_names_the_fix(app, local) -> None:
    at = app(page=PAGE)
    at.multiselect(key="compare_models").set_value(
        [local["fake-large"], local["fake-429"], local["fake-drop"]]
    ).run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    (error,) = at.error
    assert "rate limit" in error.value and "lower the endpoint's concurrency in Settings" in error.value
    (warning,) = at.warning
    assert "partial text is kept" in warning.value
    assert "Thanks for your question" in texts(at)


def test_several_rows_of_values_make_a_grid(app, local, app_env: Path) -> None:
    at = app(page=PAGE)
    engine = sqlite_engine_for(app_env)
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")
    version = versions.latest_version(engine, prompt.id)
    at.multiselect(key="compare_models").set_value([local["fake-large"], local["fake-small"]]).run()
    second = {"order_id": "777", "order_date": "June 2", "status": "lost", "expected_delivery": "never"}
    at.button(key=f"compare_add_row_{version.id}").click().run()
    for name, value in second.items():
        at.text_input(key=f"compare_cell_{version.id}_1_{name}").input(value)
    at.run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    page = texts(at)
    assert "Row 1" in page and "Row 2" in page and "777" in page
    stored = outputs.run_outputs(engine, outputs.list_runs(engine)[0].id)
    assert sorted((o.row_index, o.model_name) for o in stored) == [
        (0, "fake-large"),
        (0, "fake-small"),
        (1, "fake-large"),
        (1, "fake-small"),
    ]
    assert stored[-1].variables["order_id"] in {"12345", "777"}


def test_a_blank_value_keeps_run_disabled_and_names_the_row(app, local, app_env: Path) -> None:
    at = app(page=PAGE)
    engine = sqlite_engine_for(app_env)
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")
    version = versions.latest_version(engine, prompt.id)
    at.multiselect(key="compare_models").set_value([local["fake-large"], local["fake-small"]]).run()
    half = {"order_id": "777", "order_date": "June 2", "status": "", "expected_delivery": ""}
    at.button(key=f"compare_add_row_{version.id}").click().run()
    for name, value in half.items():
        at.text_input(key=f"compare_cell_{version.id}_1_{name}").input(value)
    runs_before = len(outputs.list_runs(engine))
    at.run()
    assert not at.exception
    assert at.button(key="compare_run").disabled
    assert any("row 2: status, expected_delivery" in c.value for c in at.caption)
    assert len(outputs.list_runs(engine)) == runs_before


def test_run_needs_two_to_six_models(app, local) -> None:
    at = app(page=PAGE)
    at.multiselect(key="compare_models").set_value([local["fake-large"]]).run()
    assert at.button(key="compare_run").disabled
    assert any("Pick 2 to 6 models" in c.value for c in at.caption)


def test_model_settings_and_system_override_reach_the_call(app, local, fake_server: FakeLLMServer) -> None:
    at = app(page=PAGE)
    large, small = local["fake-large"], local["fake-small"]
    at.multiselect(key="compare_models").set_value([large, small]).run()
    at.number_input(key=f"compare_{large}_temperature").set_value(0.0)
    at.number_input(key=f"compare_{large}_max_tokens").set_value(64)
    at.text_area(key=f"compare_system_{small}").input("You are terse.")
    at.run()
    at.button(key="compare_run").click().run()
    assert not at.exception
    bodies = {r.body["model"]: r.body for r in fake_server.chat_requests()}
    assert bodies["fake-large"]["temperature"] == 0.0 and bodies["fake-large"]["max_tokens"] == 64
    assert bodies["fake-small"]["messages"][0] == {"role": "system", "content": "You are terse."}
    assert any("own system prompt" in c.value for c in at.caption)


def test_previous_runs_reopen_from_the_database(app, local) -> None:
    first = app(page=PAGE)
    first.multiselect(key="compare_models").set_value(
        [local["echo"], local["fake-large"], local["fake-lazy"]]
    ).run()
    first.button(key="compare_run").click().run()
    assert not first.exception
    again = app(page=PAGE)  # a new session: nothing in memory, everything from the database
    assert not again.exception
    picker = again.selectbox(key="compare_run_pick")
    assert "3 answers" in picker.format_func(picker.value)
    assert "Thanks for your question" in texts(again)
    assert any("By model" in s.value for s in again.subheader)


def test_cached_answers_are_marked(app, local, fake_server: FakeLLMServer) -> None:
    at = app(page=PAGE)
    at.multiselect(key="compare_models").set_value([local["fake-large"], local["fake-lazy"]]).run()
    at.toggle(key="compare_cache").set_value(True).run()
    at.button(key="compare_run").click().run()
    calls = len(fake_server.chat_requests())
    at.button(key="compare_run").click().run()
    assert not at.exception
    assert len(fake_server.chat_requests()) == calls
    assert any("cache hit" in m.value for m in at.markdown)


def test_the_chosen_models_survive_a_visit_to_another_page(app, local) -> None:
    at = app(page=PAGE)
    chosen = [local["fake-large"], local["fake-small"]]
    at.multiselect(key="compare_models").set_value(chosen).run()
    at.switch_page(page_path("pages/leaderboard.py")).run()
    assert not at.exception
    at.switch_page(page_path(PAGE)).run()
    assert not at.exception
    assert at.multiselect(key="compare_models").value == chosen
