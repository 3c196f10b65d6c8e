"""Prompts in and out as CSV/XLSX: new prompts and versions imported all or nothing, every bad
row named with its column, and the export imports back."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.conftest import sqlite_url
from tests.library_support import demo
from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput
from workbench.evals.spreadsheets import write_xlsx
from workbench.exports import prompts_csv
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import open_database, session_scope
from workbench.store.tables import Label, Prompt, PromptVersion

GOOD = (
    "project,prompt,description,system,user,change_note,sample_variables,label\n"
    'Customer service replies,Refund reply,Refunds,Be kind.,"Refund {{ refund_id }} for {{ customer }}.",first,'
    '"{""refund_id"": ""R-1"", ""customer"": ""Ana""}",staging\n'
    "Customer service replies,Refund reply,,Be kinder.,Refund {{ refund_id }}.,second,,\n"
    "Customer service replies,Late order reply,,,Where is order {{ order_id }}?,shorter,,\n"
)


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(t)).one() for t in (Prompt, PromptVersion, Label)
        )  # type: ignore[return-value]


def test_rows_create_prompts_and_add_versions_with_labels(seeded_engine: Engine) -> None:
    before = counts(seeded_engine)
    with session_scope(seeded_engine) as session:
        result = prompts_csv.import_prompts(session, GOOD.encode(), "prompts.csv", actor="Ann")
    assert result == {"prompts_created": 1, "versions_added": 3, "labels_set": 1}
    assert counts(seeded_engine) == (before[0] + 1, before[1] + 3, before[2] + 1)
    refund = next(p for p in versions.list_prompts(seeded_engine) if p.name == "Refund reply")
    v2, v1 = versions.list_versions(seeded_engine, refund.id)  # type: ignore[arg-type]
    assert (v1.number, v1.change_note, v1.author, v1.sample_variables) == (
        1,
        "first",
        "Ann",
        {"refund_id": "R-1", "customer": "Ana"},
    )
    assert (v2.number, v2.system_template) == (2, "Be kinder.")
    assert refund.description == "Refunds"
    assert [
        (label.name, label.version_id) for label in versions.labels_for_prompt(seeded_engine, refund.id)
    ] == [("staging", v1.id)]  # type: ignore[arg-type]
    late = versions.latest_version(seeded_engine, demo(seeded_engine).late_order)
    assert (late.number, late.user_template) == (3, "Where is order {{ order_id }}?")  # type: ignore[union-attr]
    event = audit.search(seeded_engine, actions=["import.csv"])[0]
    assert event.actor == "Ann" and event.after["versions_added"] == 3


def test_any_bad_row_refuses_the_file_naming_row_and_column(seeded_engine: Engine) -> None:
    before = counts(seeded_engine)
    bad = (
        "project,prompt,user,sample_variables,label\n"
        "Customer service replies,Fine,Hello {{ name }},,\n"
        "Nope,B,Hello,,\n"
        "Customer service replies,,Hello,,\n"
        "Customer service replies,C,Hi {{ name,,\n"
        'Customer service replies,D,Hi {{ x }},"[1, 2]",\n'
        "Customer service replies,E,Hi {{ x }},not json,\n"
        "Customer service replies,F,,,\n"
    )
    with (
        pytest.raises(InvalidInput, match="Nothing was imported: 6 problems") as refused,
        session_scope(seeded_engine) as session,
    ):
        prompts_csv.import_prompts(session, bad.encode(), "bad.csv", actor="Ann")
    text = str(refused.value)
    assert "Row 3, column 'project': no project named 'Nope'" in text
    assert "Row 4, column 'prompt': empty" in text
    assert "Row 5, column 'user': line 1: A '{{' is not closed" in text
    assert "Row 6, column 'sample_variables': must be a JSON object" in text
    assert "Row 7, column 'sample_variables': not JSON" in text
    assert "Row 8, column 'user': both messages are empty" in text
    assert (refused.value.row, refused.value.field) == (3, "project")
    assert counts(seeded_engine) == before


def test_unknown_and_missing_columns_are_refused(seeded_engine: Engine) -> None:
    with pytest.raises(InvalidInput) as refused, session_scope(seeded_engine) as session:
        prompts_csv.import_prompts(session, b"project,title\nX,Y\n", "p.csv", actor="Ann")
    assert "Row 1, column 'title': unknown column" in str(refused.value)
    assert "Row 1, column 'prompt': missing" in str(refused.value)
    with pytest.raises(InvalidInput, match="has no prompts"), session_scope(seeded_engine) as session:
        prompts_csv.import_prompts(session, b"project,prompt,user\n", "p.csv", actor="Ann")


def test_rows_outside_the_allowed_projects_are_refused(seeded_engine: Engine) -> None:
    ids = demo(seeded_engine)
    with (
        pytest.raises(InvalidInput, match="you may not import into 'Customer service replies'"),
        session_scope(seeded_engine) as session,
    ):
        prompts_csv.import_prompts(session, GOOD.encode(), "p.csv", actor="Ann", allowed={ids.hr_project})


def test_excel_files_import_too(seeded_engine: Engine) -> None:
    frame = pd.read_csv(io.StringIO(GOOD), dtype=str, keep_default_na=False)
    with session_scope(seeded_engine) as session:
        result = prompts_csv.import_prompts(session, write_xlsx(frame), "prompts.xlsx", actor="Ann")
    assert result["versions_added"] == 3
    assert audit.search(seeded_engine, actions=["import.xlsx"])


def test_the_export_imports_back_as_new_versions(seeded_engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    made = prompts_csv.export_prompts(seeded_engine, Selection(), actor="Ann", scrub=Scrubber())
    frame = pd.read_csv(io.BytesIO(made.data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == prompts_csv.COLUMNS and list(frame["prompt"]) == [
        "Late order reply",
        "HR policy answer",
        "HR policy answer from documents",
    ]
    other = open_database(sqlite_url(tmp_path / "other.db"))
    seed_demo(other)
    before = counts(other)
    with session_scope(other) as session:
        assert (
            prompts_csv.import_prompts(session, made.data, "prompts.csv", actor="Bob")["versions_added"] == 3
        )
    assert counts(other)[1] == before[1] + 3
    other.dispose()


def test_the_example_file_imports(seeded_engine: Engine) -> None:
    with session_scope(seeded_engine) as session:
        imported = prompts_csv.import_prompts(session, prompts_csv.template_csv(), "example.csv", actor="Ann")
    assert imported == {
        "prompts_created": 1,
        "versions_added": 1,
        "labels_set": 1,
    }
