"""Generation runs: test cases from passages, fine-tuning pairs from documents.

Every generation is a run of the same runner as Compare (``RunOptions.kind = "generate"``):
its cells carry their exact messages and no prompt version, so the data policy check,
concurrency limits, progress, Cancel, cost and storing each answer as it arrives are the
runner's and the gateway's, and nothing here calls a model another way. An output without a
version never shows as a prompt's answer (library, review, exports).

``collect`` then turns a run's answers into review candidates, once per answer (it can be
called again while the run is still going, or after it): cases whose quote is not in their
passage are rejected automatically, and questions already asked (in this run, in earlier
candidates or on the prompt's bench) are merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput
from workbench.generate.instructions import PairsInstruction, cases_messages, pairs_messages
from workbench.generate.parsing import problem_with, prompts, same_question, triples
from workbench.models.settings import CallSettings
from workbench.runs.plan import Cell
from workbench.runs.runner import RunOptions
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import Document, GenerationCandidate, Output, Passage, Prompt, Run, TestCase

KIND = "generate"
MAX_CELLS = 200  # one generation's calls at most: choose fewer documents for more
SETTINGS = CallSettings(temperature=0.3, max_tokens=1200)


@dataclass(frozen=True)
class CasesRequest:
    """Test cases for ``prompt_id`` from the chosen documents' passages."""

    project_id: int
    document_ids: tuple[int, ...]
    model_id: int
    prompt_id: int
    per_passage: int = 3
    settings: CallSettings = SETTINGS


@dataclass(frozen=True)
class PairsRequest:
    """Fine-tuning pairs whose answers are the chosen documents."""

    project_id: int
    document_ids: tuple[int, ...]
    model_id: int
    per_document: int = 2
    instruction: PairsInstruction = field(default_factory=PairsInstruction)
    settings: CallSettings = SETTINGS


def _documents(session: Session, project_id: int, ids: Sequence[int]) -> list[Document]:
    if not ids:
        raise InvalidInput("Choose at least one document to generate from.", field="documents")
    found = list(
        session.exec(
            select(Document)
            .where(Document.project_id == project_id, col(Document.id).in_(list(ids)))
            .order_by(col(Document.id))
        )
    )
    missing = set(ids) - {d.id for d in found}
    if missing:
        raise InvalidInput(f"Documents {sorted(missing)} are not in this project.", field="documents")
    excluded = [d.title for d in found if d.excluded]
    if excluded:
        raise InvalidInput(
            f"Excluded documents are not used: {', '.join(excluded)}. Include them first.", field="documents"
        )
    return found


def _check_count(count: int, low: int, high: int, what: str) -> None:
    if not low <= count <= high:
        raise InvalidInput(f"{what} is between {low} and {high}.", field="count")


def case_cells(engine: Engine, request: CasesRequest) -> list[Cell]:
    """One cell per passage of the chosen documents, asking for ``per_passage`` cases."""
    _check_count(request.per_passage, 1, 10, "Questions per passage")
    with session_scope(engine) as session:
        prompt = fetch(session, Prompt, request.prompt_id)
        if prompt.project_id != request.project_id:
            raise InvalidInput("The prompt belongs to another project.", field="prompt")
        documents = {d.id: d for d in _documents(session, request.project_id, request.document_ids)}
        passages = list(
            session.exec(
                select(Passage)
                .where(col(Passage.document_id).in_(list(documents)))
                .order_by(col(Passage.document_id), col(Passage.position))
            )
        )
    if len(passages) > MAX_CELLS:
        raise InvalidInput(
            f"These documents have {len(passages)} passages; one generation asks about {MAX_CELLS} at most. "
            "Choose fewer documents.",
            field="documents",
        )
    return [
        Cell(
            prompt_version_id=None,
            model_id=request.model_id,
            variables={
                "kind": "case",
                "document_id": p.document_id,
                "passage_id": p.id,
                "prompt_id": request.prompt_id,
            },
            settings=request.settings,
            row_index=i,
            messages=tuple(cases_messages(documents[p.document_id].title, p.text, request.per_passage)),
        )
        for i, p in enumerate(passages)
    ]


def pair_cells(engine: Engine, request: PairsRequest) -> list[Cell]:
    """One cell per chosen document, asking for ``per_document`` prompts it answers."""
    _check_count(request.per_document, 1, 10, "Prompts per document")
    if not request.instruction.instruction.strip():
        raise InvalidInput("Write the instruction for the generating model.", field="instruction")
    with session_scope(engine) as session:
        documents = _documents(session, request.project_id, request.document_ids)
    if len(documents) > MAX_CELLS:
        raise InvalidInput(f"Choose at most {MAX_CELLS} documents at once.", field="documents")
    return [
        Cell(
            prompt_version_id=None,
            model_id=request.model_id,
            variables={"kind": "pair", "document_id": d.id},
            settings=request.settings,
            row_index=i,
            messages=tuple(pairs_messages(d.title, d.text, request.per_document, request.instruction)),
        )
        for i, d in enumerate(documents)
    ]


def run_options(project_id: int, actor: str, what: str, *, prompt_id: int | None = None) -> RunOptions:
    return RunOptions(
        project_id=project_id,
        actor=actor,
        kind=KIND,
        max_concurrency=8,
        settings={"generate": what, "prompt_id": prompt_id},
    )


@dataclass
class Collected:
    """What ``collect`` made of a run's answers (counts of candidates by status)."""

    proposed: int = 0
    invalid: int = 0
    merged: int = 0
    failed_calls: int = 0

    @property
    def total(self) -> int:
        return self.proposed + self.invalid + self.merged


def _known_questions(session: Session, project_id: int, prompt_id: int | None) -> list[tuple[int, str]]:
    query = select(GenerationCandidate.id, GenerationCandidate.question).where(
        GenerationCandidate.project_id == project_id,
        GenerationCandidate.kind == "case",
        col(GenerationCandidate.status).in_(("proposed", "accepted")),
    )
    known = [(i, q) for i, q in session.exec(query) if i is not None]  # stored rows always have an id
    if prompt_id is not None:
        for case_id, variables in session.exec(
            select(TestCase.id, TestCase.variables).where(TestCase.prompt_id == prompt_id)
        ):
            if case_id is not None:
                known.extend(
                    (-int(case_id), str(v)) for v in (variables or {}).values() if isinstance(v, str)
                )
    return known


def collect(session: Session, run_id: int) -> Collected:
    """Candidates from the run's answers not collected yet; counts of what was made."""
    run = fetch(session, Run, run_id)
    if run.kind != KIND:
        raise InvalidInput(f"Run {run_id} is not a generation.", field="run")
    done = set(
        session.exec(select(GenerationCandidate.output_id).where(GenerationCandidate.run_id == run_id))
    )
    outputs = [
        o
        for o in session.exec(select(Output).where(Output.run_id == run_id).order_by(col(Output.id)))
        if o.id not in done
    ]
    result = Collected()
    known: list[tuple[int, str]] | None = None
    for output in outputs:
        info = output.variables or {}
        if output.status != "ok":
            result.failed_calls += 1
            continue
        if info.get("kind") == "pair":
            _collect_pairs(session, run, output, result)
            continue
        if known is None:
            known = _known_questions(session, run.project_id, info.get("prompt_id"))
        _collect_cases(session, run, output, known, result)
    session.flush()
    return result


def _add(session: Session, row: GenerationCandidate, result: Collected) -> GenerationCandidate:
    session.add(row)
    session.flush()
    setattr(result, row.status, getattr(result, row.status) + 1)
    return row


def _collect_cases(
    session: Session, run: Run, output: Output, known: list[tuple[int, str]], result: Collected
) -> None:
    info = output.variables
    passage = session.get(Passage, info.get("passage_id"))
    base: dict[str, Any] = dict(
        project_id=run.project_id,
        kind="case",
        run_id=run.id,
        output_id=output.id,
        document_id=info.get("document_id") if passage else None,
        passage_id=passage.id if passage else None,
        prompt_id=info.get("prompt_id"),
    )
    found = triples(output.text)
    if found is None or not found:
        _add(
            session,
            GenerationCandidate(
                **base,
                status="invalid",
                reason="The model did not answer with the JSON asked for.",
                answer=output.text[:2000],
            ),
            result,
        )
        return
    for triple in found:
        reason = (
            problem_with(triple, passage.text if passage else "") if passage else "The passage was deleted."
        )
        status = "invalid" if reason else "proposed"
        if status == "proposed":
            twin = same_question(triple.question, known)
            if twin is not None:
                status = "merged"
                reason = (
                    f"Same question as test case {-twin} on the bench."
                    if twin < 0
                    else f"Same question as candidate {twin}."
                )
        row = _add(
            session,
            GenerationCandidate(
                **base,
                question=triple.question,
                answer=triple.answer,
                quote=triple.quote,
                status=status,
                reason=reason or "",
            ),
            result,
        )
        if status == "proposed":
            known.append((id_of(row), row.question))


def _collect_pairs(session: Session, run: Run, output: Output, result: Collected) -> None:
    document = session.get(Document, output.variables.get("document_id"))
    base: dict[str, Any] = dict(project_id=run.project_id, kind="pair", run_id=run.id, output_id=output.id)
    found = prompts(output.text)
    if document is None:
        _add(
            session, GenerationCandidate(**base, status="invalid", reason="The document was deleted."), result
        )
        return
    if not found:
        _add(
            session,
            GenerationCandidate(
                **base,
                document_id=document.id,
                status="invalid",
                reason="The model did not answer with the JSON asked for.",
                question=output.text[:2000],
            ),
            result,
        )
        return
    seen: list[tuple[int, str]] = []
    for text in found:
        twin = same_question(text, seen)
        status, reason = (
            ("merged", f"Same prompt as candidate {twin}.") if twin is not None else ("proposed", "")
        )
        row = _add(
            session,
            GenerationCandidate(
                **base,
                document_id=document.id,
                question=text,
                answer=document.text,
                status=status,
                reason=reason,
            ),
            result,
        )
        if status == "proposed":
            seen.append((id_of(row), text))
