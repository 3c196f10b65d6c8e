"""Full-text search over a project's passages, in the database's own engine.

SQLite: the FTS5 table ``passage_fts`` ranked with ``bm25()``. PostgreSQL: the stored
``search_vector`` column and its GIN index, queried with ``websearch_to_tsquery`` and ranked
with ``ts_rank``. Both are created by migration ``0004_documents``; no Python loop ever reads all
passages.

A question in plain words ("How many days of sick leave do I get?") becomes an OR of its
content words: every passage that shares a word is a candidate and the ranking (term rarity,
frequency, passage length) puts the best first. An AND of every word would find nothing as soon
as the question uses one word the handbook does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from workbench.errors import ConfigError
from workbench.store.tables import Document, Passage

MAX_TERMS = 32
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "please",
        "tell",
        "know",
        "want",
        "need",
        "much",
        "many",
    ]
)


@dataclass(frozen=True)
class Hit:
    """One passage found, with where it comes from (for the context and for the trace)."""

    passage_id: int
    document_id: int
    title: str
    source_name: str
    heading: str
    position: int
    text: str
    tokens: int
    score: float

    def trace(self) -> dict[str, object]:
        """What an answer keeps about the passages it was given (``Output.passages``)."""
        return {
            "passage_id": self.passage_id,
            "document_id": self.document_id,
            "title": self.title,
            "source": self.source_name,
            "heading": self.heading,
            "position": self.position,
            "score": round(self.score, 4),
        }


def terms(query: str) -> list[str]:
    """The query's content words, lower-cased, in order, without repeats."""
    seen: list[str] = []
    for word in re.findall(r"\w+", query.lower()):
        if len(word) > 1 and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_TERMS]


# The full-text engine ranks every match first and only the best ``pool`` are joined to their
# documents and filtered; when filtering leaves fewer than k (other projects' passages ranked
# higher), the query runs again without the pool.
_SQLITE = """
WITH ranked AS (
    SELECT rowid AS id, bm25(passage_fts) AS rank FROM passage_fts
    WHERE passage_fts MATCH :match ORDER BY rank {pool}
)
SELECT p.id, p.document_id, d.title, d.source_name, p.heading, p.position, p.text, p.tokens, -ranked.rank
FROM ranked
JOIN passage AS p ON p.id = ranked.id
JOIN document AS d ON d.id = p.document_id
WHERE p.project_id = :project AND NOT d.excluded {only}
ORDER BY ranked.rank, p.id
LIMIT :k
"""

_POSTGRES = """
WITH q AS (SELECT websearch_to_tsquery('english', :match) AS query),
ranked AS (
    SELECT p.id, ts_rank(p.search_vector, q.query) AS rank
    FROM passage AS p, q
    WHERE p.search_vector @@ q.query AND p.project_id = :project
    ORDER BY rank DESC {pool}
)
SELECT p.id, p.document_id, d.title, d.source_name, p.heading, p.position, p.text, p.tokens, ranked.rank
FROM ranked
JOIN passage AS p ON p.id = ranked.id
JOIN document AS d ON d.id = p.document_id
WHERE NOT d.excluded {only}
ORDER BY ranked.rank DESC, p.id
LIMIT :k
"""
POOL = 200


COMMON = 0.5  # a word in more than this share of all passages tells them apart too little
MIN_PASSAGES = 20  # below this, shares mean nothing: every word is searched
SAMPLE = 200  # PostgreSQL judges shares on the newest passages (counting a common word costs)
_SQLITE_COUNT = "SELECT count(*) FROM (SELECT 1 FROM passage_fts WHERE passage_fts MATCH :word LIMIT :cap)"


def _shares(session: Session, dialect: str, words: list[str]) -> dict[str, float] | None:
    """The share of passages each word occurs in (``None`` when there are too few passages).
    SQLite counts in the index (a doclist walk, stopped once the word is known to be common);
    PostgreSQL counts in a sample of the newest passages, since counting there visits rows."""
    if dialect == "sqlite":
        total = int(session.execute(text("SELECT count(*) FROM passage")).scalar_one())
        if total < MIN_PASSAGES:
            return None
        cap = int(COMMON * total) + 1
        count = text(_SQLITE_COUNT)
        return {
            w: int(session.execute(count, {"word": f'"{w}"', "cap": cap}).scalar_one()) / total for w in words
        }
    filters = ", ".join(
        f"count(*) FILTER (WHERE search_vector @@ plainto_tsquery('english', :w{i}))"
        for i in range(len(words))
    )
    sql = f"WITH sample AS (SELECT search_vector FROM passage ORDER BY id DESC LIMIT {SAMPLE}) SELECT count(*), {filters} FROM sample"
    row = session.execute(text(sql), {f"w{i}": w for i, w in enumerate(words)}).one()
    if row[0] < MIN_PASSAGES:
        return None
    return {w: row[i + 1] / row[0] for i, w in enumerate(words)}


def informative(session: Session, dialect: str, words: list[str]) -> list[str]:
    """The words worth searching for: those in at most half of the passages. A word in most
    passages adds nearly nothing to the ranking (BM25 gives it no weight) but makes the engine
    score every passage; when every word is that common, only the rarest is kept."""
    shares = _shares(session, dialect, words)
    if shares is None:
        return words
    kept = [w for w in words if shares[w] <= COMMON]
    return kept or [min(words, key=shares.__getitem__)]


def _documents_tagged(session: Session, project_id: int, tags: Sequence[str]) -> list[int]:
    """Documents of the project with any of ``tags`` (reads ids and tags only, never texts)."""
    wanted = {t.casefold() for t in tags}
    rows = session.exec(select(Document.id, Document.tags).where(Document.project_id == project_id))
    return [doc_id for doc_id, doc_tags in rows if wanted & {str(t).casefold() for t in doc_tags or []}]  # type: ignore[misc]


def search(
    session: Session, project_id: int, query: str, *, k: int = 4, tags: Sequence[str] = ()
) -> list[Hit]:
    """The ``k`` passages of the project's included documents that best match ``query``
    (optionally only documents with one of ``tags``); best first."""
    words = terms(query)
    if not words or k <= 0:
        return []
    params: dict[str, object] = {"project": project_id, "k": int(k)}
    only = ""
    if tags:
        ids = _documents_tagged(session, project_id, tags)
        if not ids:
            return []
        only = "AND p.document_id IN ({})".format(", ".join(str(int(i)) for i in ids))
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - the workbench supports these two
        raise ConfigError(
            f"Searching documents needs SQLite or PostgreSQL; this database is {dialect}. "
            "Set WORKBENCH_DATABASE_URL to one of those."
        )
    words = informative(session, dialect, words)
    if not words:
        return []
    if dialect == "sqlite":
        params["match"] = " OR ".join(f'"{w}"' for w in words)
        sql = _SQLITE
    else:
        params["match"] = " or ".join(words)
        sql = _POSTGRES
    rows = list(session.execute(text(sql.format(only=only, pool=f"LIMIT {max(POOL, k)}")), params))
    if len(rows) < k:
        rows = list(session.execute(text(sql.format(only=only, pool="")), params))
    return [_hit(*row) for row in rows]


def _hit(
    passage_id: int,
    document_id: int,
    title: str,
    source_name: str,
    heading: str,
    position: int,
    body: str,
    tokens: int,
    rank: float | None,
) -> Hit:
    """One result row of ``_SQLITE`` or ``_POSTGRES`` (their columns in order) as a ``Hit``."""
    return Hit(
        passage_id, document_id, title, source_name, heading, position, body, tokens, float(rank or 0.0)
    )


def passage_count(session: Session, project_id: int) -> int:
    return int(
        session.exec(select(func.count(col(Passage.id))).where(Passage.project_id == project_id)).one()
    )
