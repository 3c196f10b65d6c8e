"""``workbench documents add`` and ``workbench generate cases|pairs`` with exit codes as for
``workbench eval``: 0 done, 1 nothing usable came of the run, 2 bad input (and nothing written)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

from tests.conftest import sqlite_url
from tests.documents_support import docx_bytes, pdf_bytes
from tests.fakes.server import FakeLLMServer
from workbench.cli.entry import main
from workbench.models import endpoints
from workbench.store.engine import session_scope
from workbench.store.tables import Document, GenerationCandidate, TestCase

HR = "HR handbook assistant"
LARGE, LAZY = "Local fake server/fake-large", "Local fake server/fake-lazy"


@pytest.fixture
def db(seeded_db: Path, seeded_engine: Engine, fake_server: FakeLLMServer) -> str:
    local = endpoints.find_endpoint(seeded_engine, "Local fake server")
    endpoints.update_endpoint(
        seeded_engine, local.id, actor="t", base_url=fake_server.openai_base_url, max_retries=0
    )  # type: ignore[union-attr, arg-type]
    return sqlite_url(seeded_db)


def documents(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(Document)).one())


def test_documents_add_reads_pdf_and_docx_and_a_bad_file_writes_nothing(
    db: str, seeded_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "travel.pdf").write_bytes(
        pdf_bytes([["Economy class is the rule for flights under 6 hours."]])
    )
    (tmp_path / "cars.docx").write_bytes(
        docx_bytes([("Heading 1", "Cars"), ("", "Company cars are for directors.")])
    )
    (tmp_path / "broken.pdf").write_bytes(docx_bytes([("", "I am a Word file.")]))
    before = documents(seeded_engine)
    code = main(
        [
            "documents",
            "add",
            str(tmp_path / "travel.pdf"),
            str(tmp_path / "broken.pdf"),
            "--project",
            HR,
            "--database",
            db,
        ]
    )
    assert code == 2 and "broken.pdf: this is a Word (DOCX) file" in capsys.readouterr().err
    assert documents(seeded_engine) == before
    code = main(
        [
            "documents",
            "add",
            str(tmp_path / "travel.pdf"),
            str(tmp_path / "cars.docx"),
            "--project",
            HR,
            "--tags",
            "travel",
            "--database",
            db,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "added 'travel'" in out and "added 'Cars'" in out
    assert documents(seeded_engine) == before + 2
    assert main(["documents", "add", str(tmp_path / "cars.docx"), "--project", HR, "--database", db]) == 2
    assert "already here" in capsys.readouterr().err
    assert main(["documents", "add", str(tmp_path / "cars.docx"), "--project", "Nope", "--database", db]) == 2
    assert main(["documents", "list", "--project", HR, "--database", db]) == 0
    assert "no personal data found" in capsys.readouterr().out


def test_generate_cases_proposes_and_accepts_onto_the_bench(
    db: str, seeded_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "generate",
        "cases",
        "--project",
        HR,
        "--prompt",
        "HR policy answer",
        "--model",
        LARGE,
        "--documents",
        "Sick leave",
        "--count",
        "2",
        "--database",
        db,
    ]
    with session_scope(seeded_engine) as session:
        cases_before = int(session.exec(select(func.count()).select_from(TestCase)).one())
    assert main([*args, "--accept"]) == 0
    out = capsys.readouterr().out
    assert "2 proposed" in out and "2 accepted" in out
    with session_scope(seeded_engine) as session:
        assert int(session.exec(select(func.count()).select_from(TestCase)).one()) == cases_before + 2
    assert main([*args[:-2], "--model", LAZY, "--database", db]) == 1  # invented quotes: nothing usable
    assert "rejected automatically" in capsys.readouterr().out
    assert main([*args[:6], "--model", "Nowhere/none", "--database", db]) == 2


def test_generate_pairs_writes_the_big_spreadsheet(
    db: str, seeded_engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pairs.csv"
    code = main(
        [
            "generate",
            "pairs",
            "--project",
            HR,
            "--model",
            LARGE,
            "--count",
            "1",
            "--accept",
            "--out",
            str(out),
            "--database",
            db,
        ]
    )
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    with session_scope(seeded_engine) as session:
        accepted = session.exec(
            select(func.count())
            .select_from(GenerationCandidate)
            .where(GenerationCandidate.status == "accepted", GenerationCandidate.kind == "pair")
        ).one()
    assert len(rows) == accepted >= 6
    assert all(r["prompt"] and r["completion"].startswith("# ") and r["document"] for r in rows)
