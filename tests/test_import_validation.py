"""Imports check every value's shape as the app does, refuse damaged files with a clear message,
and create nothing when they refuse, not even the target database file."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from tests.conftest import sqlite_url
from tests.test_export_cli import workbench
from workbench.errors import InvalidInput
from workbench.evals import cases
from workbench.evals.spreadsheets import read_table
from workbench.exports import backup
from workbench.exports.key_scrub import Scrubber
from workbench.prompts import versions
from workbench.store.engine import session_scope


def truncated_xlsx() -> bytes:
    """A workbook that is a valid zip whose sheet is cut in the middle."""
    book = Workbook()
    sheet = book.active
    sheet.append(["question", "expected"])
    for i in range(50):
        sheet.append([f"How many days, case {i}?", f"{i} days"])
    whole = io.BytesIO()
    book.save(whole)
    source, cut = zipfile.ZipFile(io.BytesIO(whole.getvalue())), io.BytesIO()
    with zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            raw = source.read(item.filename)
            target.writestr(item, raw[: len(raw) // 2] if item.filename.endswith("sheet1.xml") else raw)
    return cut.getvalue()


def test_a_truncated_xlsx_is_refused_with_a_clear_message(seeded_engine: Engine) -> None:
    with pytest.raises(InvalidInput, match=r"'cases.xlsx' is damaged or incomplete.*save it again"):
        read_table(truncated_xlsx(), "cases.xlsx")
    prompt = next(p for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer")
    before = cases.list_cases(seeded_engine, prompt.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="damaged"), session_scope(seeded_engine) as session:
        cases.import_cases(session, prompt.id, truncated_xlsx(), "cases.xlsx", actor="t")  # type: ignore[arg-type]
    assert [c.id for c in cases.list_cases(seeded_engine, prompt.id)] == [c.id for c in before]  # type: ignore[arg-type]


def test_the_cli_refuses_a_truncated_xlsx_without_a_traceback(seeded_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(truncated_xlsx())
    done = workbench(
        "import", "--database", sqlite_url(seeded_db), "--cases", str(path), "--prompt", "HR policy answer",
        home=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "is damaged or incomplete" in done.stderr
    assert "Traceback" not in done.stderr


def tampered(seeded_engine: Engine, table: str, column: str, value: object) -> bytes:
    data = json.loads(backup.export_backup(seeded_engine, actor="t", scrub=Scrubber()).data)
    part = data["tables"][table]
    part["rows"][0][part["columns"].index(column)] = value
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("table", "column", "value", "words"),
    [
        ("project", "tags", "not-a-list", "must have the shape list[str]"),
        ("prompt_version", "params", [1, 2, 3], "must have the shape dict[str, Any]"),
        ("prompt_version", "params", {"temperature": "hot"}, "Temperature must be a number"),
        ("test_case", "assertions", [{"type": "no-such-check"}], "no-such-check"),
        ("project", "sensitivity", "secret", "must be one of public, internal"),
        ("output", "messages", {"role": "user"}, "must have the shape list[dict[str, Any]]"),
    ],
)
def test_a_backup_with_a_value_of_the_wrong_shape_restores_nothing(
    seeded_engine: Engine, storage_engine: Engine, table: str, column: str, value: object, words: str
) -> None:
    data = tampered(seeded_engine, table, column, value)
    with pytest.raises(InvalidInput, match="Nothing was restored") as refused:
        backup.restore(storage_engine, data, actor="t")
    assert f"{table}.{column}" in str(refused.value) and words in str(refused.value)
    assert (
        backup._occupied(storage_engine, backup._tables_at(storage_engine, backup.head_revision()).values())
        == {}
    )


def test_a_refused_backup_creates_no_database_file(seeded_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    path.write_bytes(tampered(seeded_engine, "project", "tags", "not-a-list"))
    target = tmp_path / "new" / "workbench.db"
    done = workbench("import", "--database", sqlite_url(target), "--backup", str(path), home=tmp_path)
    assert done.returncode == 2 and "project.tags" in done.stderr and "Traceback" not in done.stderr
    assert not target.exists() and not target.parent.exists()


def test_importing_prompts_into_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "prompts.csv"
    path.write_text("project,prompt,user\nNowhere,P,Hello\n", encoding="utf-8")
    target = tmp_path / "missing.db"
    done = workbench("import", "--database", sqlite_url(target), "--prompts", str(path), home=tmp_path)
    assert done.returncode == 2 and "there is no database at" in done.stderr
    assert not target.exists()


def test_a_good_backup_still_restores_through_the_cli(seeded_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "backup.json"
    path.write_bytes(backup.export_backup(seeded_engine, actor="t", scrub=Scrubber()).data)
    target = tmp_path / "fresh.db"
    done = workbench("import", "--database", sqlite_url(target), "--backup", str(path), home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Restored" in done.stdout and target.exists()
