"""Documents: conversion of real PDF/DOCX/HTML files, cleaning the user can see, refusals that
name the file and write nothing, duplicates, readiness, exclusion, deletion and the audit log."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from tests.documents_support import docx_bytes, handbook_sources, pdf_bytes, project_with_handbook
from workbench.documents import records
from workbench.documents.chunking import split_passages
from workbench.documents.cleaning import clean_text
from workbench.documents.convert import MAX_BYTES, convert
from workbench.documents.readiness import exclude_older, export_documents, readiness
from workbench.documents.records import Source
from workbench.errors import InvalidInput
from workbench.projects import project_records
from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent, Document, Passage


def test_pdf_made_with_a_library_is_read_back_with_its_metadata() -> None:
    data = pdf_bytes(
        [
            ["Travel policy", "Economy class is the rule for flights under 6 hours."],
            ["Hotels up to 150 dollars."],
        ],
        title="Travel",
        author="HR team",
    )
    converted = convert("travel.pdf", data)
    assert "Economy class is the rule for flights under 6 hours." in converted.text
    assert "Hotels up to 150 dollars." in converted.text
    assert (converted.kind, converted.title, converted.author) == ("pdf", "Travel", "HR team")


def test_docx_made_with_a_library_keeps_headings_and_lists() -> None:
    data = docx_bytes(
        [("Heading 1", "Expenses"), ("", "Submit receipts within 30 days."), ("List Bullet", "Taxis")],
        title="Expense rules",
        author="Finance",
    )
    converted = convert("expenses.docx", data)
    assert "## Expenses" in converted.text
    assert "Submit receipts within 30 days." in converted.text
    assert "- Taxis" in converted.text
    assert (converted.title, converted.author) == ("Expense rules", "Finance")


def test_html_becomes_markdown_without_scripts_or_menus() -> None:
    html = (
        b"<html><head><title>Leave</title><script>var x=1;</script></head><body><nav>Home | About</nav>"
        b"<h1>Leave</h1><p>You get <b>25 days</b>.</p><ul><li>Ask early</li></ul></body></html>"
    )
    converted = convert("leave.html", html)
    assert converted.title == "Leave"
    assert (
        "# Leave" in converted.text
        and "You get 25 days." in converted.text
        and "- Ask early" in converted.text
    )
    assert "var x" not in converted.text and "About" not in converted.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf body", "damaged"),
        ("empty.txt", b"   \n", "empty"),
        ("huge.txt", b"a" * (MAX_BYTES + 1), "limit is 50 MB"),
        ("renamed.pdf", None, "Word (DOCX) file with another extension"),
        ("binary.txt", b"hello\x00world", "NUL bytes"),
        ("sheet.xls", b"x", "not supported"),
    ],
)
def test_bad_files_get_one_clear_message_naming_the_file(name: str, data: bytes | None, message: str) -> None:
    payload = data if data is not None else docx_bytes([("", "Some text.")])
    with pytest.raises(InvalidInput) as caught:
        convert(name, payload)
    assert name in str(caught.value) and message in str(caught.value)


def test_a_bad_file_in_a_batch_writes_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="P")
    good = Source(name="good.md", data=b"# Good\n\nA fine document.")
    bad = Source(name="bad.pdf", data=b"%PDF-1.4 garbage")
    with pytest.raises(InvalidInput, match=r"Nothing was added\. bad\.pdf"), session_scope(engine) as session:
        records.add_sources(session, project.id, [good, bad], actor="t")  # type: ignore[arg-type]
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Document)).one() == 0
        assert session.exec(select(func.count()).select_from(Passage)).one() == 0


def test_exact_duplicates_are_refused_and_near_duplicates_flagged(engine: Engine) -> None:
    project_id = project_with_handbook(engine)
    first = handbook_sources()[0]
    with (
        pytest.raises(InvalidInput, match="already here as 'Paid time off'"),
        session_scope(engine) as session,
    ):
        records.add_sources(session, project_id, [Source(name="copy.md", data=first.data)], actor="t")
    text = (first.data or b"").decode().replace("two weeks", "three weeks")
    with session_scope(engine) as session:
        (near,) = records.add_sources(session, project_id, [Source(name="v2.md", text=text)], actor="t")
        original = session.exec(select(Document).where(Document.source_name == first.name)).one()
    assert near.near_duplicate_of == original.id and near.similarity and near.similarity >= 0.9


def test_cleaning_repairs_what_it_says_it_repaired() -> None:
    raw = "Company Handbook\nDon\u00e2\u20ac\u2122t forget\x07 the caf\u00c3\u00a9.\nCompany Handbook\n2\nCompany Handbook\nEnd."
    cleaned = clean_text(raw, paged=True)
    assert "Don’t forget the café." in cleaned.text
    assert cleaned.text.count("Company Handbook") == 1 and "\n2\n" not in cleaned.text
    assert cleaned.report == {
        "control_characters": 1,
        "encoding_fixes": 2,
        "boilerplate_lines": 2,
        "page_numbers": 1,
    }
    assert "1 control character removed" in cleaned.summary()


def test_passages_keep_whole_sentences_under_their_heading() -> None:
    text = (
        "# Leave\n\n"
        + " ".join(f"Sentence number {i} is here." for i in range(60))
        + "\n\n## Sick\n\nTen days."
    )
    passages = split_passages(text, target_tokens=60)
    assert all(p.text.endswith(".") for p in passages)
    assert {p.heading for p in passages} == {"Leave", "Sick"}
    assert all(p.tokens <= 60 for p in passages)


def test_documents_are_scanned_for_personal_data_and_summarised(engine: Engine) -> None:
    project_id = project_with_handbook(engine)
    text = "# Contacts\n\nWrite to dana.smith@example.com or call +44 20 7946 0958."
    with session_scope(engine) as session:
        (doc,) = records.add_sources(
            session, project_id, [Source(name="", text=text, published=date(2019, 5, 1))], actor="t"
        )
        summary = readiness(session, project_id, cutoff=date(2020, 1, 1))
    assert doc.personal_data == {"e-mail address": 1, "phone number": 1}
    assert summary.documents == 7 and summary.with_personal_data == 1 and summary.older == 1
    assert summary.personal_data == {"e-mail address": 1, "phone number": 1}
    assert summary.earliest == date(2019, 5, 1)
    assert any("personal data in 1 documents" in line for line in summary.lines())


def test_excluding_deleting_and_exporting_are_audited(engine: Engine) -> None:
    project_id = project_with_handbook(engine)
    with session_scope(engine) as session:
        records.add_sources(
            session,
            project_id,
            [Source(name="", text="# Old\n\nOld rule.", published=date(2018, 1, 1))],
            actor="t",
        )
        assert exclude_older(session, project_id, date(2020, 1, 1), actor="ana") == 1
        old = session.exec(select(Document).where(Document.title == "Old")).one()
        assert old.excluded
        records.delete_document(session, old.id, actor="ana")  # type: ignore[arg-type]
    archive = zipfile.ZipFile(io.BytesIO(export_documents(engine, project_id, actor="ana")))
    assert "documents.json" in archive.namelist() and len(archive.namelist()) == 7
    with session_scope(engine) as session:
        actions = [
            e.action for e in session.exec(select(AuditEvent).where(AuditEvent.project_id == project_id))
        ]
        assert (
            session.exec(select(func.count()).select_from(Passage).where(Passage.document_id == old.id)).one()
            == 0
        )
    assert actions.count("document.add") == 7
    assert {"document.exclude", "document.delete", "export.documents"} <= set(actions)
