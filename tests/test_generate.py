"""Generating test cases and fine-tuning pairs from documents through the runner and the fake
server: invented quotes rejected, repeated questions merged, accepted cases on the bench with
their source, accepted pairs in the fine-tuning export with one document per side."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.documents_support import project_with_handbook
from tests.fakes.server import FakeLLMServer
from tests.test_runner import add_endpoint, lookup
from workbench.documents.context import RetrievalSettings, with_settings
from workbench.errors import InvalidInput
from workbench.exports import finetune
from workbench.exports.finetune import FineTuneOptions, _split
from workbench.exports.key_scrub import Scrubber
from workbench.exports.pairs import export_pairs
from workbench.exports.scope import Selection
from workbench.generate import acceptance, jobs
from workbench.generate.parsing import Triple, problem_with, quote_found
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs.runner import run_cells
from workbench.store.engine import session_scope
from workbench.store.tables import Document, GenerationCandidate, Output, Run, TestCase


@pytest.fixture
def setup(engine: Engine, fake_server: FakeLLMServer):  # type: ignore[no-untyped-def]
    project_id = project_with_handbook(engine)
    large, lazy = add_endpoint(engine, fake_server, "Fake", ["fake-large", "fake-lazy"])
    with session_scope(engine) as session:
        prompt = versions.create_prompt(session, project_id=project_id, name="HR answer", actor="t")
        versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template="Answer from the handbook only.\n\n{{ context }}",
            user_template="{{ question }}",
            params=with_settings({"temperature": 0}, RetrievalSettings(query_variable="question", k=3)),
            author="t",
        )
        docs = {d.title: d.id for d in session.exec(select(Document))}
    return project_id, prompt.id, large, lazy, docs


def generate_cases(engine: Engine, project_id: int, prompt_id: int, model: int, doc_ids: list[int]) -> int:
    request = jobs.CasesRequest(project_id, tuple(doc_ids), model, prompt_id, per_passage=3)
    report = run_cells(
        engine, jobs.case_cells(engine, request), jobs.run_options(project_id, "t", "cases"), lookup=lookup
    )
    with session_scope(engine) as session:
        jobs.collect(session, report.run_id)
    return report.run_id


def test_cases_come_from_passages_through_the_runner_with_verbatim_quotes(engine: Engine, setup) -> None:  # type: ignore[no-untyped-def]
    project_id, prompt_id, large, _lazy, docs = setup
    run_id = generate_cases(engine, project_id, prompt_id, large, [docs["Sick leave"]])
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        outputs = list(session.exec(select(Output).where(Output.run_id == run_id)))
        found = acceptance.candidates(session, project_id, "case")
    assert run is not None and run.kind == "generate" and run.status == "done"
    assert outputs and all(o.prompt_version_id is None and o.status == "ok" for o in outputs)
    assert len(found) == 3 and all(c.status == "proposed" and c.document == "Sick leave" for c in found)
    with session_scope(engine) as session:
        passages = {c.passage_id: session.get(GenerationCandidate, c.id) for c in found}
    assert all(quote_found(c.quote, c.answer) for c in found)
    assert all(p is not None for p in passages)


def test_the_projects_data_policy_decides_where_its_documents_may_go(
    engine: Engine, setup, fake_server: FakeLLMServer
) -> None:  # type: ignore[no-untyped-def]
    project_id, prompt_id, large, _lazy, docs = setup
    with session_scope(engine) as session:
        project_records.update_project(session, project_id, actor="admin", sensitivity="restricted")
    run_id = generate_cases(engine, project_id, prompt_id, large, [docs["Sick leave"]])
    with session_scope(engine) as session:
        outputs = list(session.exec(select(Output).where(Output.run_id == run_id)))
        found = acceptance.candidates(session, project_id, "case")
    assert outputs and all((o.status, o.error_kind) == ("error", "policy") for o in outputs)
    assert fake_server.chat_requests() == [] and found == []  # no passage left the machine


def test_an_invented_quote_is_rejected_automatically(engine: Engine, setup) -> None:  # type: ignore[no-untyped-def]
    project_id, prompt_id, _large, lazy, docs = setup
    generate_cases(engine, project_id, prompt_id, lazy, [docs["Sick leave"]])
    with session_scope(engine) as session:
        rejected = acceptance.candidates(session, project_id, "case", statuses=("invalid",))
        assert acceptance.candidates(session, project_id, "case") == []
    assert rejected and all("not in the passage word for word" in c.reason for c in rejected)
    assert problem_with(Triple("Q?", "A", "line one   line\ntwo"), "x line one line two y") is None


def test_repeated_questions_are_merged_and_accepted_cases_join_the_bench(engine: Engine, setup) -> None:  # type: ignore[no-untyped-def]
    project_id, prompt_id, large, _lazy, docs = setup
    generate_cases(engine, project_id, prompt_id, large, [docs["Sick leave"]])
    generate_cases(engine, project_id, prompt_id, large, [docs["Sick leave"]])  # the same questions again
    with session_scope(engine) as session:
        proposed = acceptance.candidates(session, project_id, "case")
        merged = acceptance.candidates(session, project_id, "case", statuses=("merged",))
        assert len(proposed) == 3 and len(merged) == 3
        acceptance.edit(
            session, project_id, proposed[0].id, {"question": "How many sick days do I get?"}, actor="ana"
        )
        with pytest.raises(InvalidInput, match="not in its passage"):
            acceptance.edit(session, project_id, proposed[1].id, {"quote": "made up words"}, actor="ana")
    with session_scope(engine) as session:
        counts = acceptance.review(
            session, project_id, accept=[c.id for c in proposed[:2]], reject=[proposed[2].id], actor="ana"
        )
        cases = list(session.exec(select(TestCase).where(TestCase.prompt_id == prompt_id)))
        sources = acceptance.case_sources(session, prompt_id)
    assert counts == {"accepted": 2, "rejected": 1}
    assert cases[0].variables == {"question": "How many sick days do I get?"}
    assert all(c.expected and c.assertions[0]["type"] == "similarity" for c in cases)
    assert set(sources.values()) == {"Sick leave, passage 1"}


def test_pairs_join_the_finetune_export_with_one_document_per_side(engine: Engine, setup) -> None:  # type: ignore[no-untyped-def]
    project_id, _prompt_id, large, _lazy, docs = setup
    request = jobs.PairsRequest(project_id, tuple(docs.values()), large, per_document=3)
    report = run_cells(
        engine, jobs.pair_cells(engine, request), jobs.run_options(project_id, "t", "pairs"), lookup=lookup
    )
    with session_scope(engine) as session:
        collected = jobs.collect(session, report.run_id)
        pairs = acceptance.candidates(session, project_id, "pair")
        acceptance.review(session, project_id, accept=[p.id for p in pairs], actor="ana")
    assert collected.proposed == 18 == len(pairs)
    made = finetune.export_finetune(
        engine,
        Selection(project_ids=(project_id,)),
        FineTuneOptions(validation_share=0.2, seed=3),
        actor="a",
        scrub=Scrubber(),
    )
    train = [json.loads(line) for line in made.train.decode().splitlines()]
    validation = [json.loads(line) for line in made.validation.decode().splitlines()]
    assert len(train) + len(validation) == 18 and len(validation) <= round(18 * 0.2)
    for line in train + validation:
        assert [m["role"] for m in line["messages"]] == ["user", "assistant"]
        assert line["messages"][1]["content"].startswith("# ")
    sides = {}
    for entry in made.summary["pairs"]:
        sides.setdefault(entry["document_id"], set()).add(entry["file"])
    assert len(sides) == 6 and all(len(files) == 1 for files in sides.values())
    sheet = export_pairs(engine, Selection(project_ids=(project_id,)), "csv", actor="a", scrub=Scrubber())
    assert sheet.counts == {"pairs": 18} and b"prompt,completion,document" in sheet.data


def test_the_split_honours_the_share_and_never_splits_a_group() -> None:
    examples = [(f"doc{i % 7}", {"n": i}) for i in range(70)] + [("big", {"n": 100 + i}) for i in range(40)]
    for seed in range(20):
        train, validation = _split(examples, 0.1, seed)
        assert len(validation) <= 11 and len(train) + len(validation) == 110
        groups_in = {e["n"] % 7 if e["n"] < 100 else "big" for e in validation}
        groups_out = {e["n"] % 7 if e["n"] < 100 else "big" for e in train}
        assert not groups_in & groups_out


def test_generation_outputs_never_reach_library_review_feedback_exports_or_leaderboard(
    engine: Engine, setup
) -> None:  # type: ignore[no-untyped-def]
    """A generation's answers have no prompt version (and a run of kind "generate"): even a rated
    one is never a prompt's answer anywhere people read or export answers."""
    from workbench.exports import csv_xlsx
    from workbench.insights import analytics, library
    from workbench.judging import feedback, pairwise
    from workbench.judging import review as review_queue
    from workbench.store.tables import Rating

    project_id, prompt_id, large, _lazy, docs = setup
    run_id = generate_cases(engine, project_id, prompt_id, large, [docs["Sick leave"]])
    with session_scope(engine) as session:
        outputs = list(session.exec(select(Output).where(Output.run_id == run_id)))
        for output in outputs:
            session.add(Rating(output_id=output.id, rater="ana", value=5, score=5.0))  # type: ignore[arg-type]
    version = versions.latest_version(engine, prompt_id)
    assert version is not None
    frame = library.library_frame(engine)
    assert frame.empty or int(frame.get("answers", frame.iloc[:, 0] * 0).sum()) == 0
    scope = analytics.Scope(project_ids=(project_id,))
    assert analytics.distribution_by_model(engine, scope, "latency_ms").empty
    assert analytics.tag_frequencies(engine, scope).empty
    assert analytics.rating_by_version(engine, scope).empty
    assert feedback.ratings_frame(engine, project_id=project_id).empty
    assert review_queue.review_queue(engine, version_id=version.id, rater="ben").total == 0  # type: ignore[arg-type]
    assert pairwise.pairs_to_judge(engine, project_id=project_id, rater="ben") == []
    assert pairwise.votes_frame(engine, project_id).empty
    assert csv_xlsx.output_rows(engine, Selection()) == []
    assert finetune.build(engine, Selection(), FineTuneOptions(min_score=1.0)).summary["counts"]["kept"] == 0


def test_a_retrieval_version_sends_and_keeps_its_passages(engine: Engine, setup) -> None:  # type: ignore[no-untyped-def]
    from workbench.runs.plan import ModelChoice, RowInput, plan
    from workbench.runs.runner import RunOptions

    project_id, prompt_id, large, _lazy, _docs = setup
    version = versions.latest_version(engine, prompt_id)
    cells = plan(
        [version.id], [ModelChoice(large)], [RowInput({"question": "How many days of paid sick leave?"})]
    )  # type: ignore[union-attr,list-item]
    report = run_cells(engine, cells, RunOptions(project_id=project_id, actor="t"), lookup=lookup)
    (output,) = report.outputs
    assert output.passages and output.passages[0]["title"] == "Sick leave"
    assert (
        "[1] Sick leave\nEmployees get 10 days of paid sick leave per year." in output.messages[0]["content"]
    )
    assert "10 days of paid sick leave" in output.text
    assert output.variables == {"question": "How many days of paid sick leave?"}


def test_accepted_cases_evaluate_with_their_context_traced(engine: Engine, setup) -> None:  # type: ignore[no-untyped-def]
    from workbench.evals import matrix
    from workbench.evals.snapshot import snapshot_config

    project_id, prompt_id, large, _lazy, docs = setup
    generate_cases(engine, project_id, prompt_id, large, [docs["Remote work"]])
    with session_scope(engine) as session:
        proposed = acceptance.candidates(session, project_id, "case")
        acceptance.review(session, project_id, accept=[c.id for c in proposed], actor="ana")
    version = versions.latest_version(engine, prompt_id)
    config = snapshot_config(engine, prompt_id=prompt_id, version_ids=[version.id], model_ids=[large])  # type: ignore[union-attr,list-item]
    report = matrix.run_evaluation(engine, config, actor="ana", lookup=lookup)
    assert len(report.frame) == len(proposed) >= 2
    assert report.frame.passed.all()  # the fake model answers from the passages it was given
    assert all("Remote work" in c for c in report.frame.context)
