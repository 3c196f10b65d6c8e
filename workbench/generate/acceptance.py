"""Reviewing generated candidates: accept, edit or reject; accepted cases join the bench.

An accepted test case becomes a bench case of its prompt: the question in the prompt's
question variable, the expected answer, and a similarity check against it (editable on the
Bench page like any case). The candidate keeps the link (``test_case_id``), so the case can be
traced to its document and passage. An accepted pair joins the fine-tuning export with its
provenance (``accepted_pairs``). Every review is in the audit log (``generate.review``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from workbench.documents.context import settings_of
from workbench.errors import InvalidInput
from workbench.evals.cases import add_case
from workbench.generate.parsing import quote_found
from workbench.prompts.templates import PromptTemplate
from workbench.store import audit
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import (
    Document,
    GenerationCandidate,
    Passage,
    Prompt,
    PromptVersion,
    TestCase,
    utcnow,
)

REVIEWABLE = ("proposed", "accepted", "rejected")
CASE_CHECK = {"type": "similarity", "metric": "token_set_ratio", "threshold": 0.7}


@dataclass(frozen=True)
class CandidateView:
    """One row of the review table (plain data)."""

    id: int
    kind: str
    status: str
    question: str
    answer: str
    quote: str
    reason: str
    document: str
    document_id: int | None
    passage_id: int | None
    test_case_id: int | None


def candidates(
    session: Session,
    project_id: int,
    kind: str,
    *,
    statuses: Sequence[str] = ("proposed",),
    run_id: int | None = None,
) -> list[CandidateView]:
    query = (
        select(GenerationCandidate, Document.title)
        .join(Document, col(Document.id) == GenerationCandidate.document_id, isouter=True)
        .where(
            GenerationCandidate.project_id == project_id,
            GenerationCandidate.kind == kind,
            col(GenerationCandidate.status).in_(list(statuses)),
        )
        .order_by(col(GenerationCandidate.id))
    )
    if run_id is not None:
        query = query.where(GenerationCandidate.run_id == run_id)
    return [
        CandidateView(
            id=id_of(c),
            kind=c.kind,
            status=c.status,
            question=c.question,
            answer=c.answer,
            quote=c.quote,
            reason=c.reason,
            document=title or "(deleted document)",
            document_id=c.document_id,
            passage_id=c.passage_id,
            test_case_id=c.test_case_id,
        )
        for c, title in session.exec(query)
    ]


def question_variable(session: Session, prompt_id: int) -> str:
    """The variable a generated question fills: the latest version's retrieval query variable,
    else its only variable; otherwise the caller must say."""
    version = session.exec(
        select(PromptVersion)
        .where(PromptVersion.prompt_id == prompt_id)
        .order_by(col(PromptVersion.number).desc())
    ).first()
    if version is None:
        raise InvalidInput("The prompt has no version yet: save one in Draft first.", field="prompt")
    settings = settings_of(version.params)
    if settings is not None:
        return settings.query_variable
    names = PromptTemplate(version.system_template, version.user_template).variables()
    if len(names) == 1:
        return names[0]
    raise InvalidInput(
        f"Version {version.number} has {len(names)} variables ({', '.join(names) or 'none'}): "
        "say which one the question fills.",
        field="variable",
    )


def _candidate(session: Session, project_id: int, candidate_id: int) -> GenerationCandidate:
    row = fetch(session, GenerationCandidate, candidate_id)
    if row.project_id != project_id:
        raise InvalidInput(f"Candidate {candidate_id} belongs to another project.", field="candidate")
    return row


def edit(
    session: Session, project_id: int, candidate_id: int, changes: Mapping[str, str], *, actor: str
) -> None:
    """Change a proposed candidate's question, answer or quote; an edited quote must still be
    in its passage."""
    row = _candidate(session, project_id, candidate_id)
    if row.status != "proposed":
        raise InvalidInput(
            f"Candidate {candidate_id} is {row.status}; only proposed ones can be edited.", field="candidate"
        )
    before = {k: getattr(row, k) for k in changes}
    for name, value in changes.items():
        if name not in ("question", "answer", "quote"):
            raise InvalidInput(f"'{name}' cannot be edited.", field=name)
        if not str(value).strip():
            raise InvalidInput(f"The {name} of candidate {candidate_id} cannot be empty.", field=name)
        setattr(row, name, str(value).strip())
    if row.kind == "case" and "quote" in changes:
        passage = session.get(Passage, row.passage_id) if row.passage_id else None
        if passage is None or not quote_found(row.quote, passage.text):
            raise InvalidInput(
                f"Candidate {candidate_id}: the edited quote is not in its passage word for word.",
                field="quote",
            )
    session.add(row)
    audit.record(
        session,
        actor=actor,
        action="generate.review",
        entity_type="generation_candidate",
        entity_id=candidate_id,
        project_id=project_id,
        before=before,
        after={"edited": sorted(changes)},
    )


def review(
    session: Session,
    project_id: int,
    *,
    accept: Sequence[int] = (),
    reject: Sequence[int] = (),
    actor: str,
    variable: str | None = None,
) -> dict[str, int]:
    """Accept and reject proposed candidates; accepted cases become bench cases. Returns counts."""
    accepted = rejected = 0
    for candidate_id in accept:
        row = _candidate(session, project_id, candidate_id)
        if row.status != "proposed":
            continue
        if row.kind == "case":
            row.test_case_id = _to_case(session, row, actor, variable).id
        row.status, row.reviewed_by, row.reviewed_at = "accepted", actor, utcnow()
        session.add(row)
        accepted += 1
    for candidate_id in reject:
        row = _candidate(session, project_id, candidate_id)
        if row.status != "proposed":
            continue
        row.status, row.reviewed_by, row.reviewed_at = "rejected", actor, utcnow()
        session.add(row)
        rejected += 1
    if accepted or rejected:
        audit.record(
            session,
            actor=actor,
            action="generate.review",
            entity_type="generation_candidate",
            entity_id=",".join(str(i) for i in [*accept, *reject])[:60],
            project_id=project_id,
            after={"accepted": accepted, "rejected": rejected},
        )
    return {"accepted": accepted, "rejected": rejected}


def _to_case(session: Session, row: GenerationCandidate, actor: str, variable: str | None) -> TestCase:
    if row.prompt_id is None:
        raise InvalidInput(f"Candidate {row.id} names no prompt to add the case to.", field="prompt")
    name_of = variable or question_variable(session, row.prompt_id)
    document = session.get(Document, row.document_id) if row.document_id else None
    label = f"{document.title}: " if document else ""
    return add_case(
        session,
        prompt_id=row.prompt_id,
        actor=actor,
        variables={name_of: row.question},
        name=(label + row.question)[:120],
        expected=row.answer,
        assertions=[dict(CASE_CHECK)],
    )


@dataclass(frozen=True)
class Pair:
    """An accepted fine-tuning pair with where it comes from."""

    id: int
    project_id: int
    prompt: str
    answer: str
    document_id: int | None
    document: str
    source: str
    run_id: int | None
    reviewed_by: str


def accepted_pairs(session: Session, project_ids: Sequence[int] | None = None) -> list[Pair]:
    """Accepted pairs (of these projects, or all), oldest first."""
    query = (
        select(GenerationCandidate, Document.title, Document.source_name)
        .join(Document, col(Document.id) == GenerationCandidate.document_id, isouter=True)
        .where(GenerationCandidate.kind == "pair", GenerationCandidate.status == "accepted")
        .order_by(col(GenerationCandidate.id))
    )
    if project_ids is not None:
        query = query.where(col(GenerationCandidate.project_id).in_(list(project_ids)))
    return [
        Pair(
            id=id_of(c),
            project_id=c.project_id,
            prompt=c.question,
            answer=c.answer,
            document_id=c.document_id,
            document=title or "",
            source=source or "",
            run_id=c.run_id,
            reviewed_by=c.reviewed_by,
        )
        for c, title, source in session.exec(query)
    ]


def case_sources(session: Session, prompt_id: int) -> dict[int, str]:
    """Bench cases that were generated, with the document they come from ("Sick leave, passage 2")."""
    query = (
        select(GenerationCandidate.test_case_id, Document.title, Passage.position)
        .join(Document, col(Document.id) == GenerationCandidate.document_id, isouter=True)
        .join(Passage, col(Passage.id) == GenerationCandidate.passage_id, isouter=True)
        .where(GenerationCandidate.prompt_id == prompt_id, col(GenerationCandidate.test_case_id).is_not(None))
    )
    return {
        int(case_id): f"{title or '(deleted document)'}"
        + (f", passage {position + 1}" if position is not None else "")
        for case_id, title, position in session.exec(query)
        if case_id is not None  # the query keeps only candidates that became cases
    }


def prompt_names(session: Session, project_id: int) -> dict[int, str]:
    return dict(session.exec(select(Prompt.id, Prompt.name).where(Prompt.project_id == project_id)).all())  # type: ignore[arg-type]
