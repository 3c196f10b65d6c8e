"""Is the document store ready to use? One summary, computed in the database, and the export.

The summary answers what the source talk asks before any retrieval or fine-tuning: how much is
there (documents, words, passages), from when (the date range; "blog posts from 2018 are
different than blog posts from 2023", so documents older than a chosen date can be excluded),
how clean (near-duplicates, what cleaning repaired) and how radioactive (documents with
personal data, by kind).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine, case
from sqlmodel import Session, col, func, select

from workbench.documents.records import list_documents, older_than, set_excluded
from workbench.errors import InvalidInput
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import select_columns
from workbench.store.tables import Document, Passage


@dataclass
class Readiness:
    documents: int = 0
    included: int = 0
    words: int = 0
    passages: int = 0
    earliest: date | None = None
    latest: date | None = None
    undated: int = 0
    near_duplicates: int = 0
    with_personal_data: int = 0
    personal_data: dict[str, int] = field(default_factory=dict)  # documents per kind
    cleaned: dict[str, int] = field(default_factory=dict)  # repairs per kind, summed
    older: int = 0  # included documents dated before the chosen date

    def lines(self) -> list[str]:
        """The summary as short sentences for a page or the CLI."""
        span = (
            f"dated {self.earliest.isoformat()} to {self.latest.isoformat()}"
            if self.earliest and self.latest
            else "no dates"
        )
        out = [
            f"{self.documents} documents ({self.included} used), {self.words:,} words, "
            f"{self.passages} passages, {span}" + (f", {self.undated} undated" if self.undated else ""),
            f"{self.near_duplicates} near-duplicate{'s' if self.near_duplicates != 1 else ''} flagged",
        ]
        if self.with_personal_data:
            kinds = ", ".join(f"{kind} in {n}" for kind, n in self.personal_data.items())
            out.append(f"personal data in {self.with_personal_data} documents ({kinds})")
        else:
            out.append("no personal data found")
        return out


def readiness(session: Session, project_id: int, cutoff: date | None = None) -> Readiness:
    """Counts for the project's documents; ``older`` counts included ones dated before ``cutoff``."""
    where = Document.project_id == project_id
    count, included, words, earliest, latest = session.exec(
        select_columns(
            func.count(col(Document.id)),
            func.sum(case((col(Document.excluded).is_(False), 1), else_=0)),
            func.coalesce(func.sum(Document.words), 0),
            func.min(Document.published),
            func.max(Document.published),
        ).where(where)
    ).one()
    summary = Readiness(
        documents=int(count),
        included=int(included or 0),
        words=int(words),
        earliest=earliest,
        latest=latest,
        passages=int(
            session.exec(select(func.count(col(Passage.id))).where(Passage.project_id == project_id)).one()
        ),
    )
    people: Counter[str] = Counter()
    repairs: Counter[str] = Counter()
    for published, near, found, cleaning, excluded in session.exec(
        select_columns(
            Document.published,
            Document.near_duplicate_of,
            Document.personal_data,
            Document.cleaning,
            Document.excluded,
        ).where(where)
    ):
        summary.undated += published is None
        summary.near_duplicates += near is not None
        summary.with_personal_data += bool(found)
        people.update(dict.fromkeys(found or {}, 1))
        repairs.update({k: int(v) for k, v in (cleaning or {}).items() if v})
        summary.older += bool(cutoff and published and published < cutoff and not excluded)
    summary.personal_data = dict(sorted(people.items()))
    summary.cleaned = dict(sorted(repairs.items()))
    return summary


def exclude_older(session: Session, project_id: int, cutoff: date, *, actor: str) -> int:
    """Exclude every document dated before ``cutoff``; how many changed."""
    return set_excluded(session, older_than(session, project_id, cutoff), True, actor=actor)


def export_documents(engine: Engine, project_id: int, *, actor: str) -> bytes:
    """A ZIP of the project's documents as Markdown files plus ``documents.json`` (metadata and
    provenance); audited as ``export.documents``. The caller checks the reader's role."""
    with session_scope(engine) as session:
        documents = list_documents(session, project_id)
        if not documents:
            raise InvalidInput("This project has no documents to export.", field="documents")
        buffer = io.BytesIO()
        meta = []
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for doc in documents:
                name = f"{doc.id:05d}-{_slug(doc.title)}.md"
                archive.writestr(name, doc.text)
                meta.append(
                    {
                        "file": name,
                        "id": doc.id,
                        "title": doc.title,
                        "source": doc.source_name,
                        "kind": doc.source_kind,
                        "author": doc.author,
                        "date": doc.published.isoformat() if doc.published else None,
                        "tags": doc.tags,
                        "content_hash": doc.content_hash,
                        "excluded": doc.excluded,
                        "personal_data": doc.personal_data,
                    }
                )
            archive.writestr("documents.json", json.dumps(meta, indent=2, ensure_ascii=False))
        audit.record(
            session,
            actor=actor,
            action="export.documents",
            entity_type="project",
            entity_id=project_id,
            project_id=project_id,
            after={"documents": len(documents)},
        )
    return buffer.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "document"
