"""The library as a table, one row per output: CSV for scripts, XLSX for Excel.

Columns: project, prompt, version, variables (JSON), model, output, ratings ("Ana: 4/5;
Ben: thumbs up"), average score and count, tags, comments, assertion results ("contains: pass;
length: fail (why)") and whether all passed, then status, error, latency, tokens, cost, time,
test case and output id. One query builds every column, texts joined per output inside the
database (``sqltext``). CSV streams to the file in batches of rows, each quoted a column at a
time, so 200,000 outputs export in a few seconds without the whole table ever being held in
Python (``benchmarks/export_scale.py``).

CSV is UTF-8 with a BOM (Excel reads accents right) and keeps every text exactly. XLSX stores
every text as text, never as a formula, even when it starts with ``=``; characters Excel cannot
hold (control characters) are dropped and cells are cut at Excel's 32,767-character limit.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Generator, Iterator, Sequence
from datetime import UTC, datetime
from types import NoneType
from typing import IO, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, Numeric, Row, case, cast, func
from sqlalchemy.sql import Select
from sqlmodel import col, select

from workbench.errors import InvalidInput
from workbench.exports import personal_data
from workbench.exports.files import ExportFile, bulk, read_ahead, record_export, snapshot, stamp
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import IdRange, Selection, id_ranges, in_selection
from workbench.store.lookup import select_columns
from workbench.store.sqltext import as_text, iso_utc, temp_in_memory, text_agg, when
from workbench.store.tables import (
    AssertionResult,
    Output,
    Project,
    Prompt,
    PromptVersion,
    Rating,
    RatingTag,
    TestCase,
)

COLUMNS = [
    "project",
    "prompt",
    "version",
    "variables",
    "model",
    "output",
    "ratings",
    "average_score",
    "rating_count",
    "tags",
    "comments",
    "assertion_results",
    "assertions_passed",
    "status",
    "error",
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "created_at",
    "test_case",
    "output_id",
]
VARIABLES, RATING_COUNT = COLUMNS.index("variables"), COLUMNS.index("rating_count")
CHUNK_IDS = 10_000  # output ids read, formatted, scrubbed and written at a time
QUOTE_MARKS = (",", '"', "\n", "\r")
NEEDS_QUOTES = re.compile(r'[,"\n\r]').search
EXCEL_CELL_LIMIT = 32_767
MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _ratings(dialect: str, selection: Selection, within: IdRange | None) -> Any:
    text = when(
        Rating.kind == "thumbs",
        Rating.rater + ": thumbs " + when(Rating.value == 1, "up", "down"),
        Rating.rater + ": " + as_text(Rating.value) + "/5",
    )
    comment = when(Rating.comment != "", Rating.rater + ": " + Rating.comment, None)
    return (
        select_columns(
            col(Rating.output_id).label("output_id"),
            text_agg(dialect, text, "; ", Rating.id).label("texts"),
            func.round(cast(func.avg(Rating.score), Numeric), 2).label("average"),
            func.count().label("count"),
            text_agg(dialect, comment, " | ", Rating.id).label("comments"),
        )
        .where(in_selection(Rating.output_id, selection, within))
        .group_by(col(Rating.output_id))
        .subquery()
    )


def _tags(dialect: str, selection: Selection, within: IdRange | None) -> Any:
    counted = (
        select(
            col(Rating.output_id).label("output_id"), col(RatingTag.tag).label("tag"), func.count().label("n")
        )
        .join(RatingTag, col(RatingTag.rating_id) == Rating.id)
        .where(in_selection(Rating.output_id, selection, within))
        .group_by(col(Rating.output_id), col(RatingTag.tag))
        .subquery()
    )
    label = counted.c.tag + when(counted.c.n > 1, " ×" + as_text(counted.c.n), "")
    return (
        select(counted.c.output_id, text_agg(dialect, label, ", ", counted.c.tag).label("tags"))
        .group_by(counted.c.output_id)
        .subquery()
    )


def _assertions(dialect: str, selection: Selection, within: IdRange | None) -> Any:
    reason = when(AssertionResult.reason != "", " (" + AssertionResult.reason + ")", "")
    text = AssertionResult.assertion_type + ": " + when(AssertionResult.passed, "pass", "fail" + reason)
    return (
        select(
            col(AssertionResult.output_id).label("output_id"),
            text_agg(
                dialect, text, "; ", (AssertionResult.evaluation_id, AssertionResult.assertion_index)
            ).label("results"),
            func.min(when(AssertionResult.passed, 1, 0)).label("all_passed"),
        )
        .where(in_selection(AssertionResult.output_id, selection, within))
        .group_by(col(AssertionResult.output_id))
        .subquery()
    )


def table_query(dialect: str, selection: Selection, within: IdRange | None = None) -> Select:
    """One row per selected output (with an id ``within`` the range, when given), every column
    of ``COLUMNS`` computed in the database."""
    ratings, tags, checks = (
        _ratings(dialect, selection, within),
        _tags(dialect, selection, within),
        _assertions(dialect, selection, within),
    )
    model = when(
        Output.endpoint_name != "", Output.endpoint_name + " · " + Output.model_name, Output.model_name
    )
    return (
        select_columns(
            Project.name,
            Prompt.name,
            PromptVersion.number,
            as_text(Output.variables),
            model,
            Output.text,
            func.coalesce(ratings.c.texts, ""),
            ratings.c.average,
            func.coalesce(ratings.c.count, 0),
            func.coalesce(tags.c.tags, ""),
            func.coalesce(ratings.c.comments, ""),
            func.coalesce(checks.c.results, ""),
            case((checks.c.all_passed == 1, "yes"), (checks.c.all_passed == 0, "no"), else_=""),
            Output.status,
            func.coalesce(Output.error_message, ""),
            Output.latency_ms,
            Output.tokens_in,
            Output.tokens_out,
            Output.cost_usd,
            iso_utc(dialect, Output.created_at),
            func.coalesce(TestCase.name, ""),
            Output.id,
        )
        .join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
        .join(Prompt, col(Prompt.id) == PromptVersion.prompt_id)
        .join(Project, col(Project.id) == Prompt.project_id)
        .outerjoin(ratings, ratings.c.output_id == Output.id)
        .outerjoin(tags, tags.c.output_id == Output.id)
        .outerjoin(checks, checks.c.output_id == Output.id)
        .outerjoin(TestCase, col(TestCase.id) == Output.test_case_id)
        .where(in_selection(Output.id, selection, within))
        .order_by(col(Output.id))
    )


def _readable(raw: str | None) -> str | None:
    """Stored JSON escapes non-ASCII (``\\u00e9``); show it as itself."""
    if raw and "\\u" in raw:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    return raw


def _readable_json(row: Sequence[Any]) -> Sequence[Any]:
    raw = row[VARIABLES]
    readable = _readable(raw)
    return row if readable is raw else (*row[:VARIABLES], readable, *row[VARIABLES + 1 :])


def row_batches(engine: Engine, selection: Selection | None = None) -> Iterator[Sequence[Row]]:
    """The selected outputs' rows in ``COLUMNS`` order, oldest first, a range of
    ``CHUNK_IDS`` output ids at a time, read one range ahead on a second thread, all in one
    read transaction. Memory holds a few ranges, never the whole table."""
    chosen = selection or Selection()
    dialect = engine.dialect.name

    def ranges() -> Generator[Sequence[Row], None, None]:
        with engine.connect() as conn, temp_in_memory(conn), snapshot(conn):
            for within in id_ranges(conn, chosen, CHUNK_IDS):
                rows = conn.execute(table_query(dialect, chosen, within)).all()
                if rows:
                    yield rows

    return read_ahead(ranges)


def output_rows(engine: Engine, selection: Selection | None = None) -> list[Sequence[Any]]:
    """The selected outputs as rows in ``COLUMNS`` order, oldest first."""
    with bulk():
        return [_readable_json(row) for rows in row_batches(engine, selection) for row in rows]


def outputs_frame(engine: Engine, selection: Selection | None = None) -> pd.DataFrame:
    """``output_rows`` as a DataFrame (times as UTC timestamps, scores as floats)."""
    rows = output_rows(engine, selection)
    with bulk():
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in COLUMNS]
        frame = pd.DataFrame(dict(zip(COLUMNS, columns, strict=True)), columns=COLUMNS)
    frame["average_score"] = pd.to_numeric(frame["average_score"], errors="coerce").astype("Float64")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame


def csv_value(value: Any) -> str:
    """One field as ``csv.writer`` writes it (excel dialect): nothing for None, text quoted
    (quotes doubled) when it holds a comma, a quote or a line break, numbers as ``str``."""
    if value is None:
        return ""
    if isinstance(value, str):
        if any(mark in value for mark in QUOTE_MARKS):
            return '"' + value.replace('"', '""') + '"'
        return value
    return str(value)  # a float's repr, as csv.writer writes it; Decimal (PostgreSQL): str


def _csv_column(values: tuple[Any, ...]) -> Sequence[str]:
    """A batch's values of one column as CSV fields. One look at the whole column decides:
    texts none of which needs quoting pass as they are, and only the texts that need it are
    quoted (the csv module looks at every character of every field, which was half the time
    of the 200,000-answer export)."""
    kinds = set(map(type, values))
    if kinds == {str} and not any(mark in "\x00".join(values) for mark in QUOTE_MARKS):
        return values
    if kinds <= {str, NoneType}:
        needs_quotes = NEEDS_QUOTES
        return [
            "" if value is None else '"' + value.replace('"', '""') + '"' if needs_quotes(value) else value
            for value in values
        ]
    if kinds <= {int, float}:
        return list(map(str, values))
    return list(map(csv_value, values))


def write_csv(engine: Engine, selection: Selection, out: IO[bytes], scrub: Scrubber) -> dict[str, int]:
    """The selected outputs as CSV, streamed into ``out`` a batch of rows at a time: UTF-8 with
    a BOM, ISO 8601 UTC times, every text kept exactly (secrets aside), byte for byte what
    ``csv.writer`` writes. Returns the counts (outputs, rated)."""
    out.write(codecs.BOM_UTF8 + scrub(",".join(map(csv_value, COLUMNS)) + "\r\n").encode("utf-8"))
    outputs = rated = 0
    with bulk():
        for batch in row_batches(engine, selection):
            columns = list(zip(*batch, strict=True))
            columns[VARIABLES] = tuple(map(_readable, columns[VARIABLES]))
            lines = list(map(",".join, zip(*map(_csv_column, columns), strict=True)))
            lines.append("")
            out.write(scrub("\r\n".join(lines)).encode("utf-8"))
            outputs += len(batch)
            rated += len(batch) - columns[RATING_COUNT].count(0)
    return {"outputs": outputs, "rated": rated}


def _excel_value(value: Any, scrub: Scrubber) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        return (stamp.tz_convert(UTC) if stamp.tzinfo else stamp).tz_localize(None).to_pydatetime()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", scrub(value))[:EXCEL_CELL_LIMIT]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def to_xlsx(frame: pd.DataFrame, scrub: Scrubber, *, about: dict[str, Any] | None = None) -> bytes:
    """An Excel workbook: sheet "Outputs" (times in UTC), and "About" with what was exported."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Outputs")
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False, name=None):
        row: list[Any] = []
        for value in values:
            cell = _excel_value(value, scrub)
            if isinstance(cell, str) and cell.startswith("="):
                text = WriteOnlyCell(sheet, value=cell)
                text.data_type = "s"  # text, never a formula
                row.append(text)
            else:
                row.append(cell)
        sheet.append(row)
    notes = book.create_sheet("About")
    for key, value in {
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **(about or {}),
    }.items():
        notes.append([key, scrub(json.dumps(value, ensure_ascii=False, default=str))])
    notes.append(
        ["note", "Times are UTC. Texts are stored as text (never formulas); control characters are dropped."]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_table(
    engine: Engine,
    selection: Selection,
    fmt: str,
    out: IO[bytes],
    *,
    actor: str,
    scrub: Scrubber,
    redact_personal_data: bool = True,
) -> tuple[dict[str, Any], str]:
    """Write the selected outputs as ``fmt`` ("csv" or "xlsx") into ``out``, audited as
    ``export.<fmt>``; returns the counts and the note the reader should see. CSV streams; XLSX is
    built whole (Excel's format). Personal data of confidential and restricted projects is
    redacted unless ``redact_personal_data`` is off (``exports.personal_data``); the workbook's
    About sheet and the note say so."""
    if fmt not in MIME:
        raise InvalidInput(f"Table exports are csv or xlsx, not '{fmt}'.", field="format")
    personal = personal_data.in_export(engine, selection, redact=redact_personal_data)
    scrub = personal.scrubber(scrub)
    counts: dict[str, Any]
    if fmt == "csv":
        counts = dict(write_csv(engine, selection, out, scrub))
    else:
        frame = outputs_frame(engine, selection)
        about: dict[str, Any] = {"selection": selection.as_dict(), "outputs": len(frame)}
        if personal.note():
            about["personal_data"] = personal.note()
        out.write(to_xlsx(frame, scrub, about=about))
        counts = {"outputs": len(frame), "rated": int((frame["rating_count"] > 0).sum())}
    counts.update(personal.counts())
    record_export(engine, actor=actor, fmt=fmt, selection=selection, counts=counts)
    return counts, personal.note()


def export_table(
    engine: Engine,
    selection: Selection,
    fmt: str,
    *,
    actor: str,
    scrub: Scrubber,
    redact_personal_data: bool = True,
) -> ExportFile:
    """``write_table`` into memory, as a named file (for a download button)."""
    buffer = io.BytesIO()
    counts, note = write_table(
        engine, selection, fmt, buffer, actor=actor, scrub=scrub, redact_personal_data=redact_personal_data
    )
    return ExportFile(f"workbench-outputs-{stamp()}.{fmt}", MIME[fmt], buffer.getvalue(), counts, note)
