"""Accepted fine-tuning pairs generated from documents, as an export source.

Pairs are a second source of the fine-tuning JSONL (next to well-rated answers) and are also
exported on their own as "the big spreadsheet" (CSV or XLSX): one row per pair with its prompt,
its answer (the document) and its provenance (document, file, project, generation run,
reviewer). Pairs belong to a project, not to a prompt, so a selection narrowed to prompts has
none. Reading documents' text needs the ``documents.export`` right; callers check it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from workbench.errors import InvalidInput
from workbench.exports.files import ExportFile, record_export, stamp
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection
from workbench.generate.acceptance import Pair, accepted_pairs
from workbench.store.engine import session_scope
from workbench.store.tables import Project

COLUMNS = [
    "prompt",
    "completion",
    "document",
    "source_file",
    "project",
    "pair_id",
    "document_id",
    "run_id",
    "reviewed_by",
]
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def selected_pairs(engine: Engine, selection: Selection) -> list[Pair]:
    """The accepted pairs within the selection's projects (none when it names prompts)."""
    if selection.prompt_ids:
        return []
    projects: set[int] | None = set(selection.project_ids) if selection.project_ids else None
    if selection.allowed_project_ids is not None:
        projects = (projects or set(selection.allowed_project_ids)) & set(selection.allowed_project_ids)
    with session_scope(engine) as session:
        return accepted_pairs(session, sorted(projects) if projects is not None else None)


def provenance(pair: Pair) -> dict[str, Any]:
    return {
        "source": "document_pair",
        "pair_id": pair.id,
        "document_id": pair.document_id,
        "document": pair.document,
    }


def rows(engine: Engine, pairs: list[Pair]) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        names = dict(session.exec(select(Project.id, Project.name)).all())
    return [
        {
            "prompt": p.prompt,
            "completion": p.answer,
            "document": p.document,
            "source_file": p.source,
            "project": names.get(p.project_id, ""),
            "pair_id": p.id,
            "document_id": p.document_id,
            "run_id": p.run_id,
            "reviewed_by": p.reviewed_by,
        }
        for p in pairs
    ]


def export_pairs(
    engine: Engine, selection: Selection, fmt: str, *, actor: str, scrub: Scrubber
) -> ExportFile:
    """The big spreadsheet of accepted pairs (``csv`` or ``xlsx``); audited as ``export.pairs_<fmt>``."""
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("Pairs are exported as csv or xlsx.", field="format")
    table = rows(engine, selected_pairs(engine, selection))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
        data = scrub(buffer.getvalue()).encode("utf-8-sig")
        mime = "text/csv"
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("pairs")
        sheet.append(COLUMNS)
        for row in table:
            sheet.append([scrub(str(row[c])) if isinstance(row[c], str) else row[c] for c in COLUMNS])
        buffer_b = io.BytesIO()
        book.save(buffer_b)
        data, mime = buffer_b.getvalue(), XLSX_MIME
    record_export(engine, actor=actor, fmt=f"pairs_{fmt}", selection=selection, counts={"pairs": len(table)})
    return ExportFile(f"workbench-pairs-{stamp()}.{fmt}", mime, data, {"pairs": len(table)})
