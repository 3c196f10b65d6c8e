"""KPIs: criteria validation, and each figure computed from evaluations, answers and ratings."""

from __future__ import annotations

import pytest

from tests.kpi_data import add_bench_results
from workbench.errors import InvalidInput
from workbench.projects import kpis, project_records
from workbench.store.engine import session_scope
from workbench.store.tables import Output, Run

CRITERIA = [
    {"metric": "pass_rate", "op": ">=", "target": 0.75, "label": "Pass rate ≥ 75%"},
    {"metric": "assertion_pass_rate", "op": ">=", "target": 0.9, "label": ""},
    {"metric": "avg_rating", "op": ">=", "target": 4.0, "label": "Average rating ≥ 4"},
    {"metric": "thumbs_up_rate", "op": ">=", "target": 0.5, "label": ""},
    {"metric": "rated_answers", "op": ">=", "target": 2, "label": ""},
    {"metric": "cost_per_answer", "op": "<=", "target": 0.002, "label": ""},
    {"metric": "latency_p95_ms", "op": "<", "target": 1000, "label": ""},
    {"metric": "error_rate", "op": "<=", "target": 0.1, "label": ""},
]


def test_criteria_are_cleaned_and_labelled() -> None:
    rows = [
        {"metric": "pass_rate", "op": ">=", "target": "0.95", "label": ""},
        {"metric": None, "op": None, "target": float("nan"), "label": None},  # an empty editor row
        {"metric": "cost_per_answer", "op": "<=", "target": 0.002, "label": " Cheap "},
        {"metric": "error_rate", "op": "<", "target": 0.1, "label": float("nan")},  # pandas' empty cell
    ]
    assert kpis.validate_criteria(rows) == [
        {"metric": "pass_rate", "op": ">=", "target": 0.95, "label": "Bench pass rate ≥ 95%"},
        {"metric": "cost_per_answer", "op": "<=", "target": 0.002, "label": "Cheap"},
        {"metric": "error_rate", "op": "<", "target": 0.1, "label": "Error rate < 10%"},
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"metric": "happiness", "op": ">=", "target": 1}, "row 1, field 'metric'"),
        ({"metric": "pass_rate", "op": "=~", "target": 1}, "row 1, field 'op'"),
        ({"metric": "pass_rate", "op": ">=", "target": None, "label": "x"}, "Give a target"),
        ({"metric": "pass_rate", "op": ">=", "target": 95}, "write 0.95 for 95%"),
        ({"metric": "avg_rating", "op": ">=", "target": 7}, "1-5 scale"),
        ({"metric": "cost_per_answer", "op": "<=", "target": "cheap"}, "'cheap' is not a number"),
    ],
)
def test_bad_criteria_are_refused_with_the_row_and_field(row: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        kpis.validate_criteria([row])


def test_p95_is_a_value_that_occurred() -> None:
    assert kpis.p95([]) is None
    assert kpis.p95([100.0]) == 100.0
    assert kpis.p95([float(v) for v in range(1, 101)]) == 95.0
    assert kpis.p95([10.0, 20.0, 30.0]) == 30.0


def test_a_new_project_says_no_data_yet_for_every_kpi(engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="New")
    report = kpis.evaluate(engine, project.id, CRITERIA)  # type: ignore[arg-type]
    assert {r.status for r in report.results} == {kpis.NO_DATA}
    reasons = {r.metric: r.basis for r in report.results}
    assert reasons["pass_rate"].startswith("No bench evaluation has finished yet")
    assert reasons["avg_rating"] == "Nobody has rated this project's answers yet."
    assert reasons["cost_per_answer"].startswith("No answers yet")


def test_kpis_come_from_the_latest_finished_evaluation_and_all_ratings(engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="Bench")
    add_bench_results(engine, project.id)  # type: ignore[arg-type]
    report = kpis.evaluate(engine, project.id, CRITERIA)  # type: ignore[arg-type]
    by_metric = {r.metric: r for r in report.results}
    assert report.evaluation_name == "latest"
    # 4 answers: 1 all passed, 1 partly, 1 passed, 1 failed call -> 2 of 4
    assert by_metric["pass_rate"].value == pytest.approx(0.5)
    assert by_metric["pass_rate"].status == kpis.NOT_MET
    assert "evaluation 'latest'" in by_metric["pass_rate"].basis
    assert by_metric["assertion_pass_rate"].value == pytest.approx(4 / 5)
    assert by_metric["avg_rating"].value == pytest.approx(11 / 3)
    assert by_metric["avg_rating"].status == kpis.NOT_MET
    assert by_metric["thumbs_up_rate"].value == pytest.approx(0.5)
    assert by_metric["thumbs_up_rate"].status == kpis.MET
    assert by_metric["rated_answers"].value == 2
    assert by_metric["cost_per_answer"].value == pytest.approx(0.001)  # not the compare run's $1
    assert by_metric["cost_per_answer"].status == kpis.MET
    assert by_metric["latency_p95_ms"].value == 300.0
    assert by_metric["error_rate"].value == pytest.approx(0.25)
    assert by_metric["error_rate"].status == kpis.NOT_MET
    assert report.met == 4
    assert by_metric["pass_rate"].shown_value == "50%"
    assert by_metric["pass_rate"].shown_target == "≥ 75%"
    assert by_metric["cost_per_answer"].attainment == pytest.approx(2.0)


def test_before_any_evaluation_cost_comes_from_recent_answers(engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="Compare only")
    with session_scope(engine) as s:
        run = Run(project_id=project.id, kind="compare")  # type: ignore[arg-type]
        s.add(run)
        s.flush()
        s.add_all([Output(run_id=run.id, status="ok", cost_usd=c, latency_ms=50.0) for c in (0.001, 0.003)])
    (cost,) = kpis.evaluate(engine, project.id, [CRITERIA[5]]).results  # type: ignore[arg-type]
    assert cost.value == pytest.approx(0.002)
    assert cost.status == kpis.MET
    assert cost.basis == "the last 2 answers (no evaluation yet)"


def test_pass_rate_history_lists_finished_evaluations_oldest_first(engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="History")
    add_bench_results(engine, project.id)  # type: ignore[arg-type]
    history = kpis.pass_rate_history(engine, project.id)  # type: ignore[arg-type]
    assert [(name, rate) for _, name, rate in history] == [("old", 0.0), ("latest", 0.5)]
