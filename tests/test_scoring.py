"""Scoring hand-made outputs, storing results, the frames (matrix, grid, regressions), and
evaluations that are snapshotted, finished and reopened."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pytest
from sqlalchemy import Engine

from tests.fakes.replies import LAZY_REPLY
from tests.fakes.server import FakeLLMServer
from workbench.errors import InvalidInput, NotFound
from workbench.evals import cases, evaluations, scoring
from workbench.evals.snapshot import EvaluationConfig, JudgeSettings, snapshot_config
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.tables import Output, Run

LARGE, LAZY = "Local fake server · fake-large", "Local fake server · fake-lazy"


@dataclass
class Bench:
    engine: Engine
    prompt_id: int
    v1: int
    v2: int
    large: int
    lazy: int
    config: EvaluationConfig
    evaluation_id: int


def model_id(engine: Engine, name: str) -> int:
    return next(m.id for m in endpoints.list_models(engine) if m.model == name)  # type: ignore[misc]


def answer(version: int, model: str, case_name: str, expected: str) -> tuple[str, str]:
    """The hand-made matrix: lazy fails everything; large misses Payday in v1 and PTO days in v2."""
    if model == "lazy":
        return "ok", LAZY_REPLY
    if (version, case_name) in {(1, "Payday"), (2, "PTO days")}:
        return "ok", "I am not sure, please ask HR."
    return "ok", expected


def add_outputs(bench: Bench, make=answer) -> list[Output]:  # type: ignore[no-untyped-def]
    rows = []
    with session_scope(bench.engine) as session:
        for number, vid in ((1, bench.v1), (2, bench.v2)):
            run = Run(project_id=2, prompt_version_id=vid, evaluation_id=bench.evaluation_id, kind="eval")
            session.add(run)
            session.flush()
            for key, mid in (("large", bench.large), ("lazy", bench.lazy)):
                for index, case in enumerate(bench.config.cases):
                    status, text = make(number, key, case.name, case.expected or "")
                    output = Output(
                        run_id=run.id,
                        prompt_version_id=vid,
                        model_id=mid,
                        test_case_id=case.id,
                        row_index=index,  # type: ignore[arg-type]
                        text=text,
                        status=status,
                        latency_ms=100.0,
                        cost_usd=0.0001,
                        messages=[{"role": "user", "content": case.variables["question"]}],
                        error_kind="rate_limited" if status == "error" else None,
                        error_message="Rate limited; try later." if status == "error" else None,
                    )
                    session.add(output)
                    rows.append(output)
    return rows


@pytest.fixture
def bench(seeded_engine: Engine) -> Bench:
    pid = next(p.id for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    v2, v1 = (v.id for v in versions.list_versions(seeded_engine, pid))  # type: ignore[misc]
    large, lazy = model_id(seeded_engine, "fake-large"), model_id(seeded_engine, "fake-lazy")
    config = snapshot_config(
        seeded_engine,
        prompt_id=pid,
        version_ids=[v1, v2],
        model_ids=[large, lazy],
        params={"temperature": 0.0},  # type: ignore[list-item]
        min_pass_rate=0.9,
    )
    with session_scope(seeded_engine) as session:
        evaluation = evaluations.create_evaluation(session, config, actor="dana", name="HR bench")
    return Bench(seeded_engine, pid, v1, v2, large, lazy, config, evaluation.id)  # type: ignore[arg-type]


def test_every_assertion_of_each_case_is_scored_on_each_output(bench: Bench) -> None:
    def with_error(version, model, case, expected):  # type: ignore[no-untyped-def]
        return (
            ("error", "")
            if (version, model, case) == (2, "lazy", "PTO days")
            else answer(version, model, case, expected)
        )

    outputs = add_outputs(bench, with_error)
    outcomes = scoring.score_outputs(outputs, bench.config.test_cases())
    assert len(outcomes) == 4 * 11  # 4 version × model cells, 10 cases with 11 assertions in all
    failed_call = [o for o in outcomes if "rate_limited" in o.reason]
    assert len(failed_call) == 2 and not any(o.passed for o in failed_call)
    assert (
        failed_call[0].reason
        == "No answer to check: the call ended 'error' (rate_limited): Rate limited; try later."
    )
    pto = [o for o in outcomes if o.output_id == outputs[0].id]
    assert [(o.assertion_type, o.passed, o.score) for o in pto] == [
        ("contains", True, 1.0),
        ("not_contains", True, 1.0),
    ]


def test_stored_results_rebuild_matrix_grid_and_regressions(bench: Bench) -> None:
    evaluations.score_and_store(bench.engine, bench.evaluation_id, add_outputs(bench))
    report = evaluations.report(bench.engine, bench.evaluation_id)
    assert report.matrix.to_dict() == {LARGE: {"v1": 0.9, "v2": 0.9}, LAZY: {"v1": 0.0, "v2": 0.0}}
    assert list(report.matrix.index) == ["v1", "v2"] and list(report.matrix.columns) == [LARGE, LAZY]
    grid = report.grid
    assert list(grid.columns) == [f"v1 · {LARGE}", f"v1 · {LAZY}", f"v2 · {LARGE}", f"v2 · {LAZY}"]
    assert grid.index[0] == "PTO days" and grid.loc["PTO days", f"v1 · {LARGE}"] == "✓ pass"
    assert grid.loc["PTO days", f"v2 · {LARGE}"] == "✗ fail: contains '25 days': Missing '25 days'."
    assert grid.loc["Payday", f"v1 · {LAZY}"].startswith("✗ fail: contains 'last working day': Missing")
    regressions = report.regressions
    assert regressions.to_dict("records") == [
        {
            "model": LARGE,
            "case": "PTO days",
            "from_version": "v1",
            "to_version": "v2",
            "reason": "contains '25 days': Missing '25 days'.",
        }
    ]
    fixes = scoring.changes(report.frame).query("change == 'fix'")
    assert fixes[["model", "case"]].values.tolist() == [[LARGE, "Payday"]]


def test_finishing_stores_the_summary_and_the_evaluation_reopens_after_cases_change(bench: Bench) -> None:
    evaluations.score_and_store(bench.engine, bench.evaluation_id, add_outputs(bench))
    with session_scope(bench.engine) as session:
        finished = evaluations.finish_evaluation(session, bench.evaluation_id, actor="dana")
    assert finished.status == "done" and finished.finished_at is not None
    assert finished.summary["pass_rate"] == 0.45 and finished.summary["total"] == 40
    assert finished.summary["regressions"] == 1
    assert finished.summary["cells"][0] == {
        "version": "v1",
        "model": LARGE,
        "passed": 9,
        "total": 10,
        "pass_rate": 0.9,
    }
    # Editing and deleting cases later does not change what the evaluation shows.
    first, second = cases.list_cases(bench.engine, bench.prompt_id)[:2]
    with session_scope(bench.engine) as session:
        cases.update_case(session, first.id, actor="lee", name="Renamed", assertions=[])  # type: ignore[arg-type]
        cases.delete_case(session, second.id, actor="lee")  # type: ignore[arg-type]
    reopened = evaluations.report(bench.engine, bench.evaluation_id)
    assert reopened.config == bench.config
    assert reopened.summary == finished.summary
    assert reopened.grid.index[:2].tolist() == ["PTO days", "PTO carry-over"]
    assert [e.id for e in evaluations.list_evaluations(bench.engine, bench.prompt_id)] == [
        bench.evaluation_id
    ]


def test_rescoring_replaces_earlier_results(bench: Bench) -> None:
    outputs = add_outputs(bench)
    evaluations.score_and_store(bench.engine, bench.evaluation_id, outputs)
    evaluations.score_and_store(bench.engine, bench.evaluation_id, outputs[:3])
    assert len(evaluations.stored_results(bench.engine, bench.evaluation_id)) == 4 * 11


def test_the_config_snapshot_round_trips_through_json(bench: Bench) -> None:
    stored = evaluations.get_evaluation(bench.engine, bench.evaluation_id).config
    assert EvaluationConfig.from_json(json.loads(json.dumps(stored))) == bench.config
    assert [v.label for v in bench.config.versions] == ["v1", "v2"]
    assert [m.label for m in bench.config.models] == [LARGE, LAZY]
    assert bench.config.models[0].price_input_per_mtok == 3.0
    assert bench.config.models[0].base_url == "http://127.0.0.1:8787/v1"
    assert bench.config.call_settings(bench.config.versions[1]).to_dict() == {
        "temperature": 0.0,
        "max_tokens": 200,
    }
    assert len(bench.config.cases) == 10 and bench.config.cases[0].assertions[0] == {
        "type": "contains",
        "value": "25 days",
    }


def test_snapshots_refuse_what_could_not_run(bench: Bench) -> None:
    engine, pid = bench.engine, bench.prompt_id
    base = {"prompt_id": pid, "version_ids": [bench.v1], "model_ids": [bench.large]}
    with pytest.raises(InvalidInput, match="1 to 4 versions"):
        snapshot_config(engine, **{**base, "version_ids": []})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="1 to 6 models"):
        snapshot_config(engine, **{**base, "model_ids": [bench.large] * 7})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="Unknown call parameter"):
        snapshot_config(engine, **base, params={"temprature": 1})  # type: ignore[arg-type]
    late = next(p.id for p in versions.list_prompts(engine) if p.name == "Late order reply")
    with pytest.raises(NotFound, match="not a version of this prompt"):
        snapshot_config(engine, **{**base, "prompt_id": late})  # type: ignore[arg-type]
    with session_scope(engine) as session:
        cases.add_case(
            session,
            prompt_id=pid,
            actor="d",
            name="Judged",
            variables={"question": "Is lunch paid?"},
            assertions=[{"type": "llm_judge", "rubric": "Says the handbook does not cover it."}],
        )
    with pytest.raises(InvalidInput, match="Case 'Judged' has an llm_judge assertion: choose a judge model"):
        snapshot_config(engine, **base)  # type: ignore[arg-type]
    with pytest.raises(NotFound, match="judge's endpoint 'Nowhere'"):
        snapshot_config(engine, **base, judge=JudgeSettings("Nowhere", "x"))  # type: ignore[arg-type]
    with session_scope(engine) as session:  # a case stored before validation existed
        session.add(
            cases.TestCase(
                prompt_id=pid,
                name="Legacy",
                variables={"question": "?"},
                assertions=[{"type": "regex", "pattern": "(("}],
            )
        )
    with pytest.raises(InvalidInput, match=r"Case 'Legacy': .*not a valid regular expression"):
        snapshot_config(engine, **base, judge=JudgeSettings("Local fake server", "fake-large"))  # type: ignore[arg-type]
    with session_scope(engine) as session:
        cases.add_case(session, prompt_id=late, actor="d", name="No vars", variables={"order_id": "1"})
    late_v2 = versions.list_versions(engine, late)[0].id
    with pytest.raises(
        InvalidInput, match="Version 2 needs order_date, status, expected_delivery, which case 'No vars'"
    ):
        snapshot_config(engine, prompt_id=late, version_ids=[late_v2], model_ids=[bench.large])  # type: ignore[list-item]


def test_judge_assertions_are_graded_by_the_suite_judge_over_http(
    bench: Bench, fake_server: FakeLLMServer
) -> None:
    local = endpoints.find_endpoint(bench.engine, "Local fake server")
    endpoints.update_endpoint(bench.engine, local.id, actor="t", base_url=fake_server.openai_base_url)  # type: ignore[union-attr,arg-type]
    rubric = [{"type": "llm_judge", "rubric": "States the PTO figure from the handbook."}]
    first = cases.list_cases(bench.engine, bench.prompt_id)[0]
    with session_scope(bench.engine) as session:
        cases.update_case(session, first.id, actor="d", assertions=rubric)  # type: ignore[arg-type]
    judge = JudgeSettings("Local fake server", "fake-small")
    config = snapshot_config(
        bench.engine,
        prompt_id=bench.prompt_id,
        version_ids=[bench.v1, bench.v2],
        model_ids=[bench.large, bench.lazy],
        judge=judge,
    )
    with session_scope(bench.engine) as session:
        evaluation = evaluations.create_evaluation(session, config, actor="dana")
    bench.config, bench.evaluation_id = config, evaluation.id  # type: ignore[assignment]
    grader = evaluations.judge_for(bench.engine, judge)
    outcomes = evaluations.score_and_store(bench.engine, evaluation.id, add_outputs(bench), grader)  # type: ignore[arg-type]
    judged = [o for o in outcomes if o.assertion_type == "llm_judge"]
    assert [o.passed for o in judged] == [True, False, False, False]  # v1 large, v1 lazy, v2 large, v2 lazy
    assert judged[0].score == 1.0 and judged[0].reason == "The answer covers the expected facts."
    graded = [r for r in fake_server.requests if r.body and r.body.get("model") == "fake-small"]
    assert len(graded) == 4 and "<rubric>\nStates the PTO figure" in graded[0].body["messages"][1]["content"]  # type: ignore[index]


def test_repeated_outputs_pass_a_cell_only_when_all_pass() -> None:
    outputs = [
        Output(id=i, run_id=1, prompt_version_id=7, model_id=3, test_case_id=5, text=t)
        for i, t in enumerate(["25 days", "25 days", "20 days"], start=1)
    ]
    case = cases.TestCase(
        id=5, prompt_id=1, name="PTO", assertions=[{"type": "contains", "value": "25 days"}]
    )
    results = scoring.score_outputs(outputs, [case])
    frame = scoring.case_frame(outputs, results, versions={7: "v3"}, models={3: "M"}, cases={5: "PTO"})
    assert frame.passed.tolist() == [True, True, False]
    assert scoring.pass_rate_matrix(frame).loc["v3", "M"] == pytest.approx(2 / 3)
    cell = scoring.cell_results(frame).iloc[0]
    assert (bool(cell.passed), cell.outputs) == (False, 3)
    assert scoring.case_grid(frame).loc["PTO", "v3 · M"] == "✗ fail: contains '25 days': Missing '25 days'."
    empty = scoring.case_frame([], [], versions={}, models={}, cases={})
    assert scoring.pass_rate_matrix(empty).empty and scoring.regressions(empty).empty
    assert scoring.summary(empty)["pass_rate"] is None and isinstance(scoring.case_grid(empty), pd.DataFrame)
