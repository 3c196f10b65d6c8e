"""Retrieval in the database's own full-text engine (FTS5 on SQLite, tsvector on PostgreSQL):
known questions find the handbook passage that answers them, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.documents_support import project_with_handbook
from workbench.documents import records
from workbench.documents.context import (
    RetrievalSettings,
    filled_variables,
    retrieve,
    settings_of,
    with_settings,
)
from workbench.documents.search import search, terms
from workbench.errors import InvalidInput
from workbench.store.engine import session_scope

KNOWN = [
    ("How many days of paid sick leave do employees get?", "10 days of paid sick leave"),
    ("Can unused PTO carry over to next year?", "carries over to the next year"),
    ("How long is parental leave for the primary caregiver?", "16 weeks at full pay"),
    ("Which expenses need approval from a director?", "above 500 dollars"),
    ("What is the notice period after probation?", "notice period after probation is 1 month"),
    ("How many days per week may employees work remotely?", "up to 2 days per week"),
]


@pytest.mark.parametrize(("question", "expected"), KNOWN)
def test_known_questions_find_their_passage_on_each_backend(
    storage_engine: Engine, question: str, expected: str
) -> None:
    project_id = project_with_handbook(storage_engine)
    with session_scope(storage_engine) as session:
        hits = search(session, project_id, question, k=3)
    assert hits, question
    assert expected in hits[0].text
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_excluded_documents_and_other_projects_are_never_found(storage_engine: Engine) -> None:
    project_id = project_with_handbook(storage_engine, "HR")
    other = project_with_handbook(storage_engine, "Other")
    with session_scope(storage_engine) as session:
        (hit,) = search(session, project_id, "paid sick leave", k=1)
        records.set_excluded(session, [hit.document_id], True, actor="t")
    with session_scope(storage_engine) as session:
        again = search(session, project_id, "paid sick leave", k=5)
        elsewhere = search(session, other, "paid sick leave", k=5)
    assert hit.document_id not in {h.document_id for h in again}
    assert {h.document_id for h in elsewhere}.isdisjoint({h.document_id for h in again})


def test_tags_limit_the_documents_searched(storage_engine: Engine) -> None:
    project_id = project_with_handbook(storage_engine)
    with session_scope(storage_engine) as session:
        assert search(session, project_id, "sick leave", tags=("handbook",))
        assert search(session, project_id, "sick leave", tags=("contracts",)) == []


def test_a_question_of_stop_words_or_punctuation_finds_nothing_without_error(engine: Engine) -> None:
    project_id = project_with_handbook(engine)
    assert terms('What "is" it? OR AND NOT * (') == []
    assert terms('NEAR(sick leave) "pay"') == ["near", "sick", "leave", "pay"]
    with session_scope(engine) as session:
        assert search(session, project_id, "what is it?") == []
        assert search(session, project_id, 'sick" OR leave *') != []
        assert search(session, project_id, 'NEAR(sick leave) "pay"') != []


def test_context_is_numbered_with_sources_and_bounded_by_the_token_ceiling(engine: Engine) -> None:
    project_id = project_with_handbook(engine)
    settings = RetrievalSettings(query_variable="question", k=5, max_tokens=80)
    with session_scope(engine) as session:
        found = retrieve(session, project_id, settings, {"question": "paid sick leave days"})
    assert found.text.startswith("[1] Sick leave\n")
    assert len(found.text) <= 80 * 4 + 20
    assert found.traces()[0]["title"] == "Sick leave"


def test_retrieval_settings_round_trip_through_version_params() -> None:
    settings = RetrievalSettings(query_variable="question", context_variable="handbook", k=3, max_tokens=500)
    params = with_settings({"temperature": 0.1}, settings)
    assert settings_of(params) == settings
    assert filled_variables(params) == {"handbook"}
    assert settings_of(with_settings(params, None)) is None
    with pytest.raises(InvalidInput, match="two different variables"):
        RetrievalSettings(query_variable="q", context_variable="q")
