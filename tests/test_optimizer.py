"""Improve on the bench, against the fake server: it finds the one instruction that fixes the
failing cases and confirms it on held-out cases; it says so plainly when nothing helps (on
training, or only on training); it never exceeds its ceiling, counted at the server; Cancel
keeps what was tested; a stored run reopens the same."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from tests.fakes.replies import HANDBOOK_EDIT
from tests.fakes.server import FakeLLMServer
from tests.optimizer_support import (
    canteen_bench,
    hr_prompt,
    hr_version,
    mixed_bench,
    partial_handbook,
    wire,
)
from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput
from workbench.evals import cases
from workbench.evals.snapshot import JudgeSettings
from workbench.improve import optimization_runs, optimizer
from workbench.improve.optimization_plan import SearchSettings, plan_optimization
from workbench.improve.optimization_report import report
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.tables import ModelCall, Output, PromptVersion, Run

HALF = SearchSettings(train_share=0.5, seed=0)  # 10 cases: training 1, 3, 5, 7, 8; held-out 0, 2, 4, 6, 9


def labels(engine: Engine, prompt_id: int) -> dict[str, int]:
    return {lb.name: lb.version_id for lb in versions.labels_for_prompt(engine, prompt_id)}


def version_count(engine: Engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(PromptVersion)).one()


def test_it_finds_the_instruction_that_fixes_the_failing_cases(
    storage_engine: Engine, fake_server: FakeLLMServer
) -> None:
    seed_demo(storage_engine)  # on SQLite, and on PostgreSQL when the test run has one
    seeded_engine = storage_engine
    ids = wire(seeded_engine, fake_server)
    start = partial_handbook(seeded_engine, lines=(0, 1, 2, 3))  # held-out 0 and 2 pass, 4, 6, 9 fail
    prompt = hr_prompt(seeded_engine)
    before_labels = labels(seeded_engine, prompt.id)  # type: ignore[arg-type]
    plan = plan_optimization(
        seeded_engine, prompt_id=prompt.id, version_id=start.id, model_id=ids["fake-large"], search=HALF
    )  # type: ignore[arg-type]
    assert (plan.train, plan.heldout) == ((1, 3, 5, 7, 8), (0, 2, 4, 6, 9))

    run = optimizer.run_optimization(seeded_engine, plan, actor="dana")

    assert run.outcome == "improved" and run.status == "done"
    opened = report(seeded_engine, run.id)  # type: ignore[arg-type]
    train, held = opened.shares()
    assert (train.before.pass_rate, train.after.pass_rate) == (0.4, 1.0)  # type: ignore[union-attr]
    assert (held.before.pass_rate, held.after.pass_rate) == (0.4, 1.0)  # type: ignore[union-attr]
    assert held.after.score == 1.0 and held.before.score == pytest.approx(0.4)  # type: ignore[union-attr]
    assert "passes 5 of 5 (100%) against 2 of 5 (40%)" in run.message
    chosen = opened.chosen
    assert chosen is not None and HANDBOOK_EDIT in chosen.system_template and chosen.on_front
    changes = {(share, name): change.change for share, name, change in opened.case_changes()}
    assert (
        changes[("heldout", "Remote work")] == "fixed" and changes[("heldout", "PTO days")] == "still passes"
    )
    assert "broken" not in changes.values()
    assert opened.diff() is not None and opened.diff().changed  # type: ignore[union-attr]

    saved = versions.get_version(seeded_engine, run.saved_version_id)  # type: ignore[arg-type]
    assert saved.system_template == chosen.system_template and saved.parent_id == start.id
    assert f"run #{run.id}" in saved.change_note and chosen.reason in saved.change_note
    assert saved.params == start.params
    after_labels = labels(seeded_engine, prompt.id)  # type: ignore[arg-type]
    assert after_labels["candidate"] == saved.id
    assert after_labels["production"] == before_labels["production"]  # never moved

    # Every call went through the one path, and the ceiling held, counted at the server.
    assert run.calls_used == len(fake_server.chat_requests()) <= run.max_calls
    with Session(seeded_engine) as s:
        proposals = list(s.exec(select(ModelCall).where(ModelCall.purpose == "optimize")))
        runs = list(s.exec(select(Run).where(Run.kind == "optimize")))
        answers = list(s.exec(select(Output).where(col(Output.run_id).in_([r.id for r in runs]))))
    assert len(proposals) == 1 and proposals[0].actor == "dana"
    assert answers and all(o.prompt_version_id is None for o in answers)  # candidates are no versions
    assert all(c.proposal_call_id == proposals[0].id for c in opened.candidates if c.round == 1)

    # The request showed the failing training cases with the checks' reasons, and never a
    # held-out case; this new version has no ratings yet.
    sent = json.dumps(proposals[0].messages)
    assert "How many days of paid sick leave" not in sent  # held-out (case 2)
    assert "What is the notice period after probation?" not in sent  # held-out (case 6)
    assert (
        "The probation period" not in sent and "How long is the probation period" in sent
    )  # training, failing
    assert "Missing '3 months'" in sent
    assert "No ratings yet." in sent


def test_when_no_candidate_helps_it_says_so_and_labels_nothing(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    ids = wire(seeded_engine, fake_server)
    start = canteen_bench(seeded_engine)
    before = (version_count(seeded_engine), labels(seeded_engine, start.prompt_id))
    plan = plan_optimization(
        seeded_engine, prompt_id=start.prompt_id, version_id=start.id, model_id=ids["fake-large"]
    )
    run = optimizer.run_optimization(seeded_engine, plan, actor="dana")
    assert run.outcome == "no_improvement" and run.saved_version_id is None
    assert (
        run.message.startswith("No improvement found: none of the")
        and "Nothing was saved or labelled." in run.message
    )
    assert (version_count(seeded_engine), labels(seeded_engine, start.prompt_id)) == before
    opened = report(seeded_engine, run.id)  # type: ignore[arg-type]
    tried = [c for c in opened.candidates if c.round > 0]
    assert len(tried) > 4 and not opened.confirmed  # several rounds, no held-out spent
    assert all(c.train_passed == 0 for c in tried if c.status == "evaluated")
    assert opened.shares()[1].after is None


def test_a_candidate_better_only_on_training_is_not_saved(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    ids = wire(seeded_engine, fake_server)
    start = mixed_bench(seeded_engine, train=(1, 3, 5, 7, 8))
    before = version_count(seeded_engine)
    plan = plan_optimization(
        seeded_engine, prompt_id=start.prompt_id, version_id=start.id, model_id=ids["fake-large"], search=HALF
    )
    run = optimizer.run_optimization(seeded_engine, plan, actor="dana")
    assert run.outcome == "no_improvement" and run.saved_version_id is None
    assert "passes 5 of 5 (100%) training cases against 0 of 5 (0%)" in run.message
    assert "on the held-out cases it passes 0 of 5 (0%) against 0 of 5 (0%)" in run.message
    assert version_count(seeded_engine) == before and "candidate" not in labels(
        seeded_engine, start.prompt_id
    )
    assert report(seeded_engine, run.id).confirmed  # type: ignore[arg-type]


@pytest.mark.parametrize("judged", [False, True], ids=["checks", "with-judge"])
def test_the_run_never_exceeds_its_ceiling(
    seeded_engine: Engine, fake_server: FakeLLMServer, judged: bool
) -> None:
    ids = wire(seeded_engine, fake_server)
    prompt, v1 = hr_prompt(seeded_engine), hr_version(seeded_engine, 1)
    judge = None
    if judged:  # two cases graded by the judge as well: one more call per answer to them
        for case in cases.list_cases(seeded_engine, prompt.id)[:2]:  # type: ignore[arg-type]
            rubric = {"type": "llm_judge", "rubric": "States the handbook's figure."}
            with session_scope(seeded_engine) as session:
                cases.update_case(session, case.id, actor="t", assertions=[*case.assertions, rubric])  # type: ignore[arg-type]
        judge = JudgeSettings("Local fake server", "fake-small")
    plan = plan_optimization(
        seeded_engine, prompt_id=prompt.id, version_id=v1.id, model_id=ids["fake-large"], judge=judge
    )  # type: ignore[arg-type]
    ceiling = plan.shape.minimum + plan.shape.per_candidate + 3  # room for two candidates, not three
    assert plan.estimate.calls > ceiling
    with pytest.raises(InvalidInput, match=f"takes {plan.shape.minimum} calls"):
        plan.with_ceiling(plan.shape.minimum - 1)

    run = optimizer.run_optimization(seeded_engine, plan.with_ceiling(ceiling), actor="dana")

    served = len(fake_server.chat_requests())
    assert served == run.calls_used <= ceiling == run.max_calls
    with Session(seeded_engine) as s:
        (request,) = s.exec(select(ModelCall).where(ModelCall.purpose == "optimize")).all()
    sent = json.dumps(request.messages)  # what reviewers said about v1, with their tags
    assert "[off-topic] Restates the question instead of answering it." in sent
    opened = report(seeded_engine, run.id)  # type: ignore[arg-type]
    assert sum(c.round > 0 and c.status == "evaluated" for c in opened.candidates) == 2
    assert any("leaves room only for the final check" in line for line in run.summary["log"])
    if judged:
        with Session(seeded_engine) as s:
            graded = s.exec(
                select(func.count()).select_from(ModelCall).where(ModelCall.purpose == "judge")
            ).one()
        assert graded > 0


def test_cancel_keeps_what_was_tested_and_saves_nothing(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    ids = wire(seeded_engine, fake_server)
    fake_server.latency = 1.0  # slow enough that Cancel lands long before the last answer
    prompt, v1 = hr_prompt(seeded_engine), hr_version(seeded_engine, 1)
    plan = plan_optimization(
        seeded_engine,
        prompt_id=prompt.id,
        version_id=v1.id,
        model_id=ids["fake-large"],
        concurrency=2,
    )  # type: ignore[arg-type]
    before = version_count(seeded_engine)
    progress = optimizer.start_optimization(seeded_engine, plan, actor="dana")
    deadline = time.monotonic() + 30
    while progress.snapshot().answers_done < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    progress.cancel()
    while not progress.snapshot().finished and time.monotonic() < deadline:
        time.sleep(0.05)
    snap = progress.snapshot()
    assert snap.finished and snap.outcome == "cancelled" and snap.cancel_requested
    run = optimization_runs.get_optimization(seeded_engine, progress.optimization_id)
    assert (
        run.status == "cancelled" and run.saved_version_id is None and version_count(seeded_engine) == before
    )
    assert run.message.startswith("Cancelled in round 0")
    start = report(seeded_engine, run.id).start  # type: ignore[arg-type]
    assert start is not None and 2 <= (start.train_total or 0) + (start.heldout_total or 0) < 10
    with Session(seeded_engine) as s:
        stored = s.exec(
            select(Output).join(Run, col(Run.id) == Output.run_id).where(Run.kind == "optimize")
        ).all()
    assert {o.status for o in stored} <= {"ok", "cancelled"} and sum(o.status == "ok" for o in stored) >= 2


def test_an_unreadable_proposal_is_reported_not_raised(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    ids = wire(seeded_engine, fake_server)
    prompt, v1 = hr_prompt(seeded_engine), hr_version(seeded_engine, 1)
    plan = plan_optimization(
        seeded_engine,
        prompt_id=prompt.id,
        version_id=v1.id,
        model_id=ids["fake-large"],
        proposer_model_id=ids["fake-lazy"],  # answers without any <candidate> block
        search=SearchSettings(rounds=2),
    )  # type: ignore[arg-type]
    run = optimizer.run_optimization(seeded_engine, plan, actor="dana")
    assert run.outcome == "no_improvement"
    assert (
        run.summary["log"][1]
        == "Round 1: Local fake server · fake-lazy proposed nothing to test (its answer held no candidate)."
    )
    assert run.calls_used == 10 + 2  # the starting version on every case, two requests


def test_a_model_that_never_answers_stops_the_run_after_the_first_measure(
    seeded_engine: Engine, fake_server: FakeLLMServer
) -> None:
    wire(seeded_engine, fake_server)
    prompt, v1 = hr_prompt(seeded_engine), hr_version(seeded_engine, 1)
    local = endpoints.find_endpoint(seeded_engine, "Local fake server")
    (broken,) = endpoints.add_models(seeded_engine, actor="t", endpoint_id=local.id, models=["fake-500"])  # type: ignore[union-attr, arg-type]
    plan = plan_optimization(
        seeded_engine,
        prompt_id=prompt.id,  # type: ignore[arg-type]
        version_id=v1.id,  # type: ignore[arg-type]
        model_id=broken.id,  # type: ignore[arg-type]
        proposer_model_id=wire(seeded_engine, fake_server)["fake-large"],
    )
    run = optimizer.run_optimization(seeded_engine, plan, actor="dana")
    assert run.outcome == "failed" and run.status == "failed" and run.saved_version_id is None
    assert run.message.startswith("No call returned an answer, so nothing was tried: the call ended 'error'")
    assert run.calls_used == len(fake_server.chat_requests()) == 10  # no request for candidates
