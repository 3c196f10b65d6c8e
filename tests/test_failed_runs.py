"""A run in which every call failed is a failure, not a run of bad answers: it is shown as
failed, has no pass rate (not 0 %), and is left out of the Library's and Insights' pass rates."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.fakes.server import FakeLLMServer
from tests.test_eval_matrix import hr
from workbench.evals import matrix, past_runs
from workbench.evals.snapshot import snapshot_config
from workbench.insights import analytics, library
from workbench.models import endpoints
from workbench.runs import outputs
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, plan, run_cells


def broken_model(engine: Engine) -> int:
    local = endpoints.find_endpoint(engine, "Local fake server")
    return endpoints.add_model(engine, actor="t", endpoint_id=local.id, model="fake-500").id  # type: ignore[union-attr,arg-type,return-value]


def test_a_compare_run_whose_every_call_failed_is_shown_as_failed(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    _, _, v2, _ = hr(seeded_engine, fake_server)
    failing = broken_model(seeded_engine)
    cells = plan(
        [v2], [ModelChoice(failing)], [RowInput({"question": "Sick days?"}), RowInput({"question": "PTO?"})]
    )
    report = run_cells(seeded_engine, cells, RunOptions(project_id=1, actor="t"))
    assert report.status == "failed"
    summary = outputs.list_runs(seeded_engine, prompt_version_id=v2)[0]
    assert summary.status == "failed" and "failed: none of the 2 calls answered" in summary.label


def test_an_evaluation_whose_every_call_failed_has_no_pass_rate_and_is_left_out(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    pid, _, v2, ids = hr(seeded_engine, fake_server)
    good = matrix.run_evaluation(
        seeded_engine,
        snapshot_config(seeded_engine, prompt_id=pid, version_ids=[v2], model_ids=[ids["fake-large"]]),
        actor="t",
    )
    failing = broken_model(seeded_engine)
    bad = matrix.run_evaluation(
        seeded_engine,
        snapshot_config(seeded_engine, prompt_id=pid, version_ids=[v2], model_ids=[failing]),
        actor="t",
    )
    assert bad.evaluation.status == "failed"
    assert bad.summary["pass_rate"] is None and bad.summary["answered"] == 0 and bad.summary["total"] > 0
    newest = past_runs.lines(seeded_engine, pid)[0]
    assert (
        newest.id == bad.evaluation.id and "failed: none of the" in newest.label and "0%" not in newest.label
    )
    row = library.library_frame(seeded_engine).set_index("prompt_id").loc[pid]
    assert row["pass_rate"] == good.summary["pass_rate"]  # the failed one is left out, not counted as 0 %
    rates = analytics.pass_rate_by_model(seeded_engine, analytics.Scope())
    assert "Local fake server · fake-500" not in set(rates["model"])


def test_a_run_cancelled_before_any_answer_says_so_and_one_with_answers_counts_them() -> None:
    def shown(answers: int, failed: int) -> str:
        summary = outputs.RunSummary(
            id=1, status="cancelled", created_at=None, created_by="", outputs=answers, errors=failed,
            cost_usd=0.0, models=("m",),
        )  # fmt: skip
        return summary.label.split(" · ")[2]

    assert shown(3, 3) == "cancelled before any answer came back"  # cancelled calls are stored as failed
    assert shown(3, 1) == "3 answers, 1 failed (cancelled)"
