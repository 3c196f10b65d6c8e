"""A project's documents: added (converted, cleaned, scanned, split and indexed), excluded,
deleted and read back.

Adding is two steps so that a batch is all or nothing: ``prepare`` converts and checks every
file and raises one ``InvalidInput`` naming each bad file (empty, too big, corrupt, of another
kind than its name says, binary, an exact duplicate) before anything is written; ``add`` then
writes the documents, their passages (the full-text index follows by itself) and one audit
event each, in the caller's transaction.

Every document is scanned by the personal-data detectors when it is added; what was found is
kept as counts per kind (never the values) and shown in the readiness summary. Near-duplicates
(at least ``NEAR_DUPLICATE`` similar to a document already there) are added but flagged.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from rapidfuzz import fuzz
from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from workbench.documents.chunking import PassageDraft, split_passages
from workbench.documents.cleaning import Cleaned, clean_text, fold, word_count
from workbench.documents.convert import Converted, convert
from workbench.errors import InvalidInput
from workbench.governance import pii
from workbench.store import audit
from workbench.store.lookup import fetch
from workbench.store.tables import Document, GenerationCandidate, Passage, Project

NEAR_DUPLICATE = 0.9  # similarity (0-1) at which a new document is flagged as a near-duplicate
_COMPARED_CHARS = 6000  # near-duplicates are judged on the start of each text
_SKETCH = 128  # shingle hashes kept per text
_MAY_BE_NEAR = 0.5  # estimated shared wording below which two texts cannot be 90 % similar


@dataclass(frozen=True)
class Source:
    """One file (``data``) or pasted text (``text``), with what the user typed about it."""

    name: str
    data: bytes | None = None
    text: str | None = None
    title: str = ""
    author: str = ""
    published: date | None = None
    tags: tuple[str, ...] = ()


@dataclass
class Prepared:
    """A document checked and ready to write."""

    source: Source
    converted: Converted
    cleaned: Cleaned
    title: str
    content_hash: str
    personal_data: dict[str, int]
    passages: list[PassageDraft]
    near_duplicate: tuple[int, str, float] | None = None  # (document id, title, similarity)
    notes: list[str] = field(default_factory=list)

    @property
    def words(self) -> int:
        return word_count(self.cleaned.text)


def content_hash(text: str) -> str:
    """Identity of a document's content: its cleaned text with whitespace runs folded."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _title(source: Source, converted: Converted, text: str) -> str:
    if source.title.strip():
        return source.title.strip()[:300]
    if converted.title.strip():
        return converted.title.strip()[:300]
    heading = re.search(r"^#{1,6}\s+(.+)$", text, re.M)
    if heading:
        return heading.group(1).strip()[:300]
    if source.data is not None:
        return re.sub(r"[_-]+", " ", PurePath(source.name).stem).strip()[:300] or source.name
    first = next((line.strip() for line in text.splitlines() if line.strip()), "Pasted text")
    return first[:80]


def _convert(source: Source) -> Converted:
    if source.data is not None:
        return convert(source.name, source.data)
    if source.text is None or not source.text.strip():
        raise InvalidInput(f"{source.name or 'Pasted text'}: there is no text to add.", field="text")
    if "\x00" in source.text:
        raise InvalidInput(f"{source.name or 'Pasted text'}: the text contains NUL bytes.", field="text")
    return Converted(source.text, "text")


def _prepare_one(source: Source, names: Sequence[str]) -> Prepared:
    converted = _convert(source)
    cleaned = clean_text(converted.text, paged=converted.kind == "pdf")
    if not cleaned.text.strip():
        raise InvalidInput(
            f"{source.name}: nothing is left once control characters are removed.", field="file"
        )
    findings = pii.scan(cleaned.text, names)
    return Prepared(
        source=source,
        converted=converted,
        cleaned=cleaned,
        title=_title(source, converted, cleaned.text),
        content_hash=content_hash(cleaned.text),
        personal_data=pii.summarise(findings),
        passages=split_passages(cleaned.text),
    )


def _existing(session: Session, project_id: int) -> list[tuple[int, str, str, str]]:
    """(id, title, content hash, start of the folded text) of the project's documents."""
    rows = session.exec(
        select(Document.id, Document.title, Document.content_hash, Document.text).where(
            Document.project_id == project_id
        )
    )
    return [(i, t, h, fold(x[:_COMPARED_CHARS])) for i, t, h, x in rows]  # type: ignore[misc]


def sketch(folded: str) -> frozenset[int]:
    """A bottom-k sketch of the text's 3-word shingles: how much two sketches overlap estimates
    how much wording the texts share in microseconds, so the exact comparison runs only on the
    few documents that may be near-duplicates (not on every pair, which grows with the square).
    Python's string hash is fine here: sketches are compared within one process, never stored."""
    words = folded.split()
    shingles = {hash((words[i], words[i + 1], words[i + 2])) for i in range(len(words) - 2)} or {hash(folded)}
    return frozenset(heapq.nsmallest(_SKETCH, shingles))


def _resemblance(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def _near(
    folded: str, others: Sequence[tuple[int, str, str, str, frozenset[int]]]
) -> tuple[int, str, float] | None:
    mine = sketch(folded)
    best: tuple[int, str, float] | None = None
    for doc_id, title, _hash, text, theirs in others:
        if not text or abs(len(text) - len(folded)) > (1 - NEAR_DUPLICATE) * max(len(text), len(folded)):
            continue  # lengths too far apart to be this similar: skip the comparison
        if _resemblance(mine, theirs) < _MAY_BE_NEAR:
            continue
        score = fuzz.ratio(folded, text, score_cutoff=NEAR_DUPLICATE * 100) / 100
        if score and (best is None or score > best[2]):
            best = (doc_id, title, score)
    return best


def prepare(session: Session, project_id: int, sources: Sequence[Source]) -> list[Prepared]:
    """Convert and check every source; ``InvalidInput`` naming each bad one, nothing written."""
    project = fetch(session, Project, project_id)
    if not sources:
        raise InvalidInput("Choose at least one file, or paste some text.", field="file")
    existing = [(*row, sketch(row[3])) for row in _existing(session, project_id)]
    by_hash = {h: (i, t) for i, t, h, _, _ in existing}
    problems: list[str] = []
    ready: list[Prepared] = []
    batch: list[tuple[int, str, str, str, frozenset[int]]] = []  # the batch's texts, for near-duplicates
    for source in sources:
        try:
            item = _prepare_one(source, project.pii_names or [])
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        label = source.name or "Pasted text"
        if item.content_hash in by_hash:
            doc_id, title = by_hash[item.content_hash]
            problems.append(f"{label}: the same text is already here as '{title}' (document {doc_id}).")
            continue
        earlier = next((r for r in ready if r.content_hash == item.content_hash), None)
        if earlier is not None:
            problems.append(f"{label}: the same text as {earlier.source.name or 'another pasted text'}.")
            continue
        folded = fold(item.cleaned.text[:_COMPARED_CHARS])
        item.near_duplicate = _near(folded, existing) or _near(folded, batch)
        ready.append(item)
        batch.append((-1, item.title, item.content_hash, folded, sketch(folded)))
    if problems:
        raise InvalidInput(
            ("Nothing was added. " if len(sources) > 1 else "") + " ".join(problems), field="file"
        )
    return ready


def add(session: Session, project_id: int, prepared: Sequence[Prepared], *, actor: str) -> list[Document]:
    """Write prepared documents with their passages (indexed by the database), audited."""
    added: list[Document] = []
    for item in prepared:
        near = item.near_duplicate
        document = Document(
            project_id=project_id,
            title=item.title,
            source_name=item.source.name if item.source.data is not None else "",
            source_kind=item.converted.kind,
            author=(item.source.author or item.converted.author).strip()[:200],
            published=item.source.published or item.converted.published,
            tags=sorted({t.strip() for t in item.source.tags if t.strip()}),
            content_hash=item.content_hash,
            text=item.cleaned.text,
            words=item.words,
            cleaning=item.cleaned.report,
            personal_data=item.personal_data,
            near_duplicate_of=near[0] if near and near[0] > 0 else None,
            similarity=near[2] if near else None,
            created_by=actor,
        )
        session.add(document)
        session.flush()
        session.execute(
            insert(Passage),
            [
                {
                    "document_id": document.id,
                    "project_id": project_id,
                    "position": i,
                    "heading": p.heading,
                    "text": p.text,
                    "tokens": p.tokens,
                }
                for i, p in enumerate(item.passages)
            ],
        )
        audit.record(
            session,
            actor=actor,
            action="document.add",
            entity_type="document",
            entity_id=document.id,
            project_id=project_id,
            after={
                "title": document.title,
                "file": document.source_name,
                "words": document.words,
                "passages": len(item.passages),
                "personal_data": document.personal_data,
                "cleaning": document.cleaning,
            },
        )
        added.append(document)
    session.flush()
    return added


def add_sources(
    session: Session, project_id: int, sources: Sequence[Source], *, actor: str
) -> list[Document]:
    """``prepare`` then ``add``: the documents, or ``InvalidInput`` and nothing written."""
    return add(session, project_id, prepare(session, project_id, sources), actor=actor)


def list_documents(session: Session, project_id: int) -> list[Document]:
    """The project's documents, newest first (texts included: callers hold editor rights)."""
    query = select(Document).where(Document.project_id == project_id).order_by(col(Document.id).desc())
    return list(session.exec(query))


def passages_of(session: Session, document_id: int) -> list[Passage]:
    query = select(Passage).where(Passage.document_id == document_id).order_by(col(Passage.position))
    return list(session.exec(query))


def set_excluded(session: Session, document_ids: Sequence[int], excluded: bool, *, actor: str) -> int:
    """Exclude documents from retrieval and generation (or include them again); audited."""
    changed = 0
    for document_id in document_ids:
        document = fetch(session, Document, document_id)
        if document.excluded == excluded:
            continue
        document.excluded = excluded
        session.add(document)
        changed += 1
        audit.record(
            session,
            actor=actor,
            action="document.exclude",
            entity_type="document",
            entity_id=document.id,
            project_id=document.project_id,
            before={"excluded": not excluded},
            after={"excluded": excluded},
            detail=document.title,
        )
    return changed


def older_than(session: Session, project_id: int, cutoff: date) -> list[int]:
    """Documents dated before ``cutoff`` (undated ones are not)."""
    query = select(Document.id).where(
        Document.project_id == project_id,
        col(Document.published).is_not(None),
        col(Document.published) < cutoff,
    )
    return list(session.exec(query))  # type: ignore[arg-type]


def delete_document(session: Session, document_id: int, *, actor: str) -> None:
    """Delete a document, its passages and the candidates still waiting for review (accepted
    test cases stay on the bench); audited with its title only."""
    document = fetch(session, Document, document_id)
    pending = select(GenerationCandidate.id).where(
        GenerationCandidate.document_id == document_id, GenerationCandidate.status != "accepted"
    )
    dropped = len(list(session.exec(pending)))
    session.exec(
        delete(GenerationCandidate).where(
            col(GenerationCandidate.document_id) == document_id, col(GenerationCandidate.status) != "accepted"
        )
    )
    for kept in session.exec(
        select(GenerationCandidate).where(GenerationCandidate.document_id == document_id)
    ):
        kept.document_id = None
        kept.passage_id = None
        session.add(kept)
    for twin in session.exec(select(Document).where(Document.near_duplicate_of == document_id)):
        twin.near_duplicate_of = None
        session.add(twin)
    session.exec(delete(Passage).where(col(Passage.document_id) == document_id))
    session.flush()
    session.delete(document)
    audit.record(
        session,
        actor=actor,
        action="document.delete",
        entity_type="document",
        entity_id=document_id,
        project_id=document.project_id,
        before={"title": document.title, "file": document.source_name, "words": document.words},
        after={"candidates_deleted": dropped},
    )
