"""Evaluations through the runner: the seeded HR bench against the fake server, stored and
reopened (on SQLite and PostgreSQL), in the background with progress, with a judge, and the
pieces around them (cells, policy, naming models, history)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from tests.fakes.server import FakeLLMServer
from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput, NotFound
from workbench.evals import cases, evaluations, matrix, outbound, past_runs
from workbench.evals import naming as selection
from workbench.evals.snapshot import EvaluationConfig, JudgeSettings, snapshot_config
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope

LARGE, LAZY = "Local fake server · fake-large", "Local fake server · fake-lazy"


def hr(engine: Engine, fake: FakeLLMServer) -> tuple[int, int, int, dict[str, int]]:
    """The HR prompt, its v1 and v2, and model ids by name, with the fake server wired in."""
    local = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.update_endpoint(engine, local.id, actor="t", base_url=fake.openai_base_url, max_retries=0)  # type: ignore[union-attr, arg-type]
    pid = next(p.id for p in versions.list_prompts(engine) if p.name == "HR policy answer")
    v2, v1 = (v.id for v in versions.list_versions(engine, pid))  # type: ignore[arg-type]
    return pid, v1, v2, {m.model: m.id for m in endpoints.list_models(engine)}  # type: ignore[return-value, misc]


def test_an_evaluation_is_stored_and_reopens_and_compares(
    storage_engine: Engine, fake_server: FakeLLMServer
) -> None:
    seed_demo(storage_engine)
    pid, v1, v2, ids = hr(storage_engine, fake_server)
    config = snapshot_config(
        storage_engine, prompt_id=pid, version_ids=[v1, v2], model_ids=[ids["fake-large"], ids["fake-lazy"]]
    )
    first = matrix.run_evaluation(storage_engine, config, actor="dana", name="before")
    assert first.evaluation.status == "done" and first.summary["pass_rate"] == 0.25
    pto = cases.list_cases(storage_engine, pid)[0]
    with session_scope(storage_engine) as session:
        cases.update_case(session, pto.id, actor="dana", assertions=[{"type": "contains", "value": "PTO"}])  # type: ignore[arg-type]
    again = snapshot_config(
        storage_engine, prompt_id=pid, version_ids=[v1, v2], model_ids=[ids["fake-large"]]
    )
    second = matrix.run_evaluation(storage_engine, again, actor="sam")

    reopened = evaluations.report(storage_engine, first.evaluation.id)  # type: ignore[arg-type]
    assert reopened.config == config and reopened.matrix.to_dict() == {
        LARGE: {"v1": 0.0, "v2": 1.0},
        LAZY: {"v1": 0.0, "v2": 0.0},
    }
    assert reopened.grid.loc["PTO days", f"v2 · {LAZY}"] == "✗ fail: contains '25 days': Missing '25 days'."
    assert [line.id for line in past_runs.lines(storage_engine, pid)] == [
        second.evaluation.id,
        first.evaluation.id,
    ]
    line = past_runs.lines(storage_engine, pid)[1]
    assert line.label.endswith("· dana · v1, v2 × fake-large, fake-lazy · 25% passed (10/40)")
    found = past_runs.compare(second, reopened)  # put in order, older first
    assert found.before.evaluation.id == first.evaluation.id
    assert found.rates().to_dict("records") == [
        {"version": "v1", "model": LARGE, "before": 0.0, "after": 0.0, "change": 0.0},
        {"version": "v2", "model": LARGE, "before": 1.0, "after": 1.0, "change": 0.0},
    ]
    assert found.case_changes().empty and found.delta_matrix().shape == (2, 1)


def test_a_background_evaluation_reports_progress_then_its_verdicts(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    fake_server.latency = 0.05
    pid, _v1, v2, ids = hr(seeded_engine, fake_server)
    config = snapshot_config(
        seeded_engine, prompt_id=pid, version_ids=[v2], model_ids=[ids["fake-large"]], concurrency=2
    )
    progress = matrix.start_evaluation(seeded_engine, config, actor="dana")
    seen = []
    while not (snap := progress.snapshot()).finished:
        seen.append(snap.done)
        time.sleep(0.02)
    assert snap.phase == "done" and (snap.done, snap.total) == (10, 10) and snap.text == "10 of 10 answers"
    assert seen[0] < 10 and seen == sorted(seen)
    evaluation = evaluations.get_evaluation(seeded_engine, progress.evaluation_id)
    assert evaluation.status == "done" and evaluation.summary["pass_rate"] == 1.0
    assert fake_server.max_in_flight <= 2


def test_a_judge_grades_rubric_cases_inside_the_matrix(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    pid, _v1, v2, ids = hr(seeded_engine, fake_server)
    pto = cases.list_cases(seeded_engine, pid)[0]
    rubric = [{"type": "llm_judge", "rubric": "Gives the handbook's PTO figure."}]
    with session_scope(seeded_engine) as session:
        cases.update_case(session, pto.id, actor="d", assertions=rubric)  # type: ignore[arg-type]
    judge = selection.judge_named(seeded_engine, "Local fake server/fake-small")
    config = snapshot_config(
        seeded_engine,
        prompt_id=pid,
        version_ids=[v2],
        model_ids=[ids["fake-large"], ids["fake-lazy"]],
        judge=judge,
    )
    report = matrix.run_evaluation(seeded_engine, config, actor="dana")
    judged = report.frame[report.frame.case == "PTO days"].set_index("model")
    assert judged.passed.to_dict() == {LARGE: True, LAZY: False}
    assert (
        judged.failures[LAZY]
        == 'llm_judge "Gives the handbook\'s PTO figure.": The answer misses facts the rubric expects.'
    )
    graded = [r for r in fake_server.requests if r.body and r.body.get("model") == "fake-small"]
    assert len(graded) == 2


def test_cells_take_version_then_suite_then_model_settings(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    pid, v1, v2, ids = hr(seeded_engine, fake_server)
    config = snapshot_config(
        seeded_engine,
        prompt_id=pid,
        version_ids=[v1, v2],
        model_ids=[ids["fake-large"], ids["fake-small"]],
        params={"max_tokens": 99},
        model_params={ids["fake-small"]: {"temperature": 0.9}},
    )
    cells = matrix.cells_for(seeded_engine, config)
    assert len(cells) == 40 and len({c.key for c in cells}) == 40
    small = next(c for c in cells if c.model_id == ids["fake-small"] and c.prompt_version_id == v1)
    large = next(c for c in cells if c.model_id == ids["fake-large"] and c.prompt_version_id == v2)
    assert (small.settings.temperature, small.settings.max_tokens) == (0.9, 99)
    assert (large.settings.temperature, large.settings.max_tokens) == (0.0, 99)  # v2's own temperature
    last = cases.list_cases(seeded_engine, pid)[-1]
    with session_scope(seeded_engine) as session:
        cases.delete_case(session, last.id, actor="d")  # type: ignore[arg-type]
    rows = {c.row_index: c.test_case_id for c in matrix.cells_for(seeded_engine, config)}
    assert rows[9] is None and rows[0] == config.cases[0].id
    with pytest.raises(InvalidInput, match="Unknown call parameter"):
        snapshot_config(
            seeded_engine,
            prompt_id=pid,
            version_ids=[v1],
            model_ids=[ids["fake-large"]],
            params={"frequency_penalty": 1},
        )


def test_a_rerun_finds_each_model_by_name_or_says_which_is_gone(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    pid, _v1, v2, ids = hr(seeded_engine, fake_server)
    config = snapshot_config(seeded_engine, prompt_id=pid, version_ids=[v2], model_ids=[ids["fake-large"]])
    stale = replace(config, models=(replace(config.models[0], id=999999),))
    assert matrix.current_models(seeded_engine, stale).models[0].id == ids["fake-large"]
    gone = replace(config, models=(replace(config.models[0], model="fake-retired"),))
    with pytest.raises(NotFound, match="add model 'fake-retired' to endpoint 'Local fake server'"):
        matrix.current_models(seeded_engine, gone)


def test_policy_sees_each_endpoint_and_redaction_happens_in_the_cases(seeded_engine: Engine) -> None:
    pid = next(p.id for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    v2 = versions.latest_version(seeded_engine, pid).id  # type: ignore[union-attr]
    ids = {m.model: m.id for m in endpoints.list_models(seeded_engine)}
    question = "Dana (dana@example.com) asks: may dana@example.com work remotely?"
    with session_scope(seeded_engine) as session:
        cases.add_case(session, prompt_id=pid, actor="d", name="Dana", variables={"question": question})  # type: ignore[arg-type]
    config = snapshot_config(
        seeded_engine,
        prompt_id=pid,
        version_ids=[v2],  # type: ignore[list-item]
        model_ids=[ids["fake-large"], ids["echo"]],
        judge=JudgeSettings("OpenAI", "gpt-4o-mini"),
    )
    found = outbound.requests_by_destination(seeded_engine, config)
    assert [t.name for t in found] == ["Local fake server", "Echo", "OpenAI"]
    assert len(found[outbound.Destination("Local fake server", "openai_compatible")]) == 11
    assert found[outbound.Destination("OpenAI", "openai")] == []  # no rubric case: the judge gets nothing
    verdicts = outbound.decisions(seeded_engine, config)
    assert [d.outcome for d in verdicts.values()] == ["warn", "allowed", "blocked"]  # OpenAI is not allowed
    clean = outbound.redacted(seeded_engine, config)
    assert clean.cases[-1].variables["question"] == "Dana ([EMAIL_1]) asks: may [EMAIL_1] work remotely?"
    assert clean.cases[:-1] == config.cases[:-1]
    hr_project = project_records.find_project(seeded_engine, "HR handbook assistant")
    with session_scope(seeded_engine) as session:
        project_records.update_project(session, hr_project.id, actor="a", pii_names=["Dana"])  # type: ignore[union-attr, arg-type]
    assert (
        outbound.redacted(seeded_engine, config)
        .cases[-1]
        .variables["question"]
        .startswith("[NAME_1] ([EMAIL_1])")
    )
    leaky = replace(
        config, versions=(replace(config.versions[0], system_template="Escalate to hr@example.com."),)
    )
    with pytest.raises(InvalidInput, match="Personal data remains in version 2's template"):
        outbound.redacted(seeded_engine, leaky)


def test_models_are_named_endpoint_slash_model_or_by_a_unique_model_id(seeded_engine: Engine) -> None:
    ids = {(m.endpoint_id, m.model): m.id for m in endpoints.list_models(seeded_engine)}
    local = endpoints.find_endpoint(seeded_engine, "Local fake server")
    large = ids[(local.id, "fake-large")]  # type: ignore[union-attr]
    assert selection.model_ids(seeded_engine, ["Local fake server/fake-large"]) == [large]
    assert selection.model_ids(seeded_engine, ["Local fake server:fake-large"]) == [large]  # issue 14's form
    assert selection.model_ids(seeded_engine, ["fake-large", " Local fake server · fake-large "]) == [large]
    other = endpoints.add_endpoint(
        seeded_engine,
        actor="t",
        name="Router",
        provider="openai_compatible",
        base_url="http://127.0.0.1:9/v1",
    )
    endpoints.add_models(
        seeded_engine,
        actor="t",
        endpoint_id=other.id,
        models=["fake-large", "meta-llama/llama-3.1-8b", "llama3:8b"],
    )  # type: ignore[arg-type]
    with pytest.raises(
        InvalidInput,
        match="listed by several endpoints: write one of Local fake server/fake-large, Router/fake-large",
    ):
        selection.model_ids(seeded_engine, ["fake-large"])
    slashed = selection.model_ids(
        seeded_engine, ["meta-llama/llama-3.1-8b", "Router/meta-llama/llama-3.1-8b"]
    )
    assert len(slashed) == 1
    colon = selection.model_ids(seeded_engine, ["llama3:8b", "Router:llama3:8b", "Router/llama3:8b"])
    assert len(colon) == 1
    with pytest.raises(NotFound, match="No enabled model 'gpt-5'"):
        selection.model_ids(seeded_engine, ["gpt-5"])


def test_prompts_are_found_by_name_and_versions_by_number_or_label(seeded_engine: Engine) -> None:
    prompt = selection.find_prompt(seeded_engine, "HR policy answer")
    v2, v1 = (v.id for v in versions.list_versions(seeded_engine, prompt.id))  # type: ignore[arg-type]
    assert selection.version_ids(
        seeded_engine, prompt, [("version", 1), ("label", "production"), ("version", 2)]
    ) == [v1, v2]
    with session_scope(seeded_engine) as session:
        other = project_records.create_project(session, actor="t", name="Second HR")
        versions.create_prompt(session, project_id=other.id, name="HR policy answer", actor="t")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="Several projects have a prompt named 'HR policy answer'"):
        selection.find_prompt(seeded_engine, "HR policy answer")
    assert selection.find_prompt(seeded_engine, "HR policy answer", "HR handbook assistant").id == prompt.id
    with pytest.raises(NotFound, match="No project named 'Nope'"):
        selection.find_prompt(seeded_engine, "HR policy answer", "Nope")


def test_an_old_snapshot_without_model_settings_still_reads(seeded_engine: Engine) -> None:
    pid = next(p.id for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    ids = {m.model: m.id for m in endpoints.list_models(seeded_engine)}
    config = snapshot_config(
        seeded_engine,
        prompt_id=pid,
        version_ids=[versions.latest_version(seeded_engine, pid).id],
        model_ids=[ids["fake-large"]],
    )  # type: ignore[union-attr, list-item]
    data = config.to_json()
    for model in data["models"]:
        del model["params"]
    assert EvaluationConfig.from_json(data).models[0].params == {}
