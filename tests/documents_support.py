"""Small real files made with libraries (fpdf2 for PDF, python-docx for DOCX), and the demo
handbook as sources, for the documents tests."""

from __future__ import annotations

import io
from importlib import resources

from sqlalchemy import Engine

from workbench.documents import records
from workbench.documents.records import Source
from workbench.projects import project_records
from workbench.store.engine import session_scope


def pdf_bytes(pages: list[list[str]], *, title: str = "", author: str = "") -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def docx_bytes(paragraphs: list[tuple[str, str]], *, title: str = "", author: str = "") -> bytes:
    """``paragraphs``: (style, text), style "Heading 1", "List Bullet" or "" for body text."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    for style, text in paragraphs:
        document.add_paragraph(text, style=style or None)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def handbook_sources() -> list[Source]:
    folder = resources.files("workbench").joinpath("data/handbook")
    return [
        Source(name=item.name, data=item.read_bytes(), tags=("handbook",))
        for item in sorted(folder.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".md")
    ]


def project_with_handbook(engine: Engine, name: str = "HR") -> int:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name=name, sensitivity="public")
        records.add_sources(session, project.id, handbook_sources(), actor="t")  # type: ignore[arg-type]
        return project.id  # type: ignore[return-value]
