"""Spreadsheet files as tables of text: CSV and XLSX in, CSV and XLSX out.

Everything is read as text (``dtype=str``, no NA guessing), so ``0.80`` stays ``0.80`` and an
empty cell stays empty. CSV is read as UTF-8 with or without a BOM, with ``,``, ``;`` or tab
between columns (Excel in many European locales writes ``;``), and written as UTF-8 with a
BOM so Excel opens accents correctly. XLSX cells are written as text, never formulas, even
when they start with ``=``, which keeps exports safe to open and lets them import back.
"""

from __future__ import annotations

import io
import zlib
from pathlib import PurePath
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError, InvalidFileException

from workbench.errors import InvalidInput

FORMATS = ("csv", "xlsx")
MIME_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """A CSV or XLSX file as text cells; unreadable files are refused with the reason."""
    suffix = PurePath(filename).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(f"'{filename}' is neither a .csv nor an .xlsx file.", field="file")
    try:
        if suffix == "csv":
            first_line = data.split(b"\n", 1)[0]
            # Excel in many European locales writes ';' (or tabs) between columns.
            sep = max((b",", b";", b"\t"), key=first_line.count).decode()
            return pd.read_csv(
                io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig"
            )
        return pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
    except pd.errors.EmptyDataError:
        raise InvalidInput(
            f"'{filename}' is empty: it needs a header row and one row per case.", field="file"
        ) from None
    except (ValueError, pd.errors.ParserError, OSError, KeyError, BadZipFile, InvalidFileException) as exc:
        kind = "CSV (UTF-8)" if suffix == "csv" else "Excel workbook"
        raise InvalidInput(f"'{filename}' could not be read as {kind}: {exc}", field="file") from None
    except (ParseError, zlib.error, EOFError, IndexError, TypeError, AttributeError) as exc:
        # A zip that opens but holds a cut or damaged sheet fails deep inside the XML reader.
        raise InvalidInput(
            f"'{filename}' is damaged or incomplete: its sheet could not be read ({type(exc).__name__}: "
            f"{str(exc)[:120]}). Open it in Excel, save it again, and import that copy.",
            field="file",
        ) from None


def write_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8-sig")


def write_xlsx(frame: pd.DataFrame) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Test cases"
    sheet.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        sheet.append([None] * len(values))
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=sheet.max_row, column=column)
            try:
                cell.value = value if value != "" else None
            except IllegalCharacterError:
                raise InvalidInput(
                    f"Row {sheet.max_row}, column '{frame.columns[column - 1]}' holds a control character that "
                    "Excel cannot store; export as CSV instead.",
                ) from None
            if isinstance(value, str) and value:
                cell.data_type = "s"  # text, never a formula, even when it starts with '='
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
