"""Test cases: CRUD with audit, table saves, and CSV/XLSX import and export (all or nothing)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import select

from workbench.demo.seed import seed_demo
from workbench.errors import InvalidInput, NotFound
from workbench.evals import cases
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent, Output, Run, TestCase

HEADER = "name,question,expected,assert:contains,assert:regex\n"


def prompt_id(engine: Engine, name: str = "HR policy answer") -> int:
    return next(p.id for p in versions.list_prompts(engine) if p.name == name)  # type: ignore[misc]


def content(engine: Engine, pid: int) -> list[dict[str, Any]]:
    return [
        c.model_dump(include={"position", "name", "variables", "expected", "assertions"})
        for c in cases.list_cases(engine, pid)
    ]


def audit_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(list(session.exec(select(AuditEvent))))


VARIED = [
    {"type": "contains", "value": ["25", "days"], "match": "any", "case_sensitive": False},
    {"type": "contains", "value": "PTO"},
    {"type": "not_contains", "value": "=365"},
    {"type": "regex", "pattern": r"^[A-Z].*\.$"},
    {"type": "starts_with", "value": "{{ greeting }}"},
    {"type": "is_json"},
    {"type": "json_schema", "schema": {"type": "object", "required": ["days"]}, "code_fence": False},
    {"type": "length", "min": 3, "max": 40},
    {"type": "similarity", "threshold": 0.5, "metric": "token_set_ratio"},
    {"type": "latency", "max_ms": 2500},
    {"type": "cost", "max_usd": 0.002},
    {"type": "llm_judge", "rubric": 'Gives the figure;\nno hedging, "quotes" fine.', "threshold": 0.6},
    {"type": "equals"},
]


def add_varied_case(engine: Engine, pid: int) -> TestCase:
    with session_scope(engine) as session:
        return cases.add_case(
            session,
            prompt_id=pid,
            actor="dana",
            name="Everything, at once",
            variables={"question": "=1+1 is 2?\nSecond line, with ünïcode"},
            expected="  Spaces kept; 25 days.  ",
            assertions=VARIED,
        )


# ---- CRUD -------------------------------------------------------------------------------------


def test_add_update_delete_and_reorder_are_audited(storage_engine: Engine) -> None:
    seed_demo(storage_engine)
    pid = prompt_id(storage_engine)
    first = cases.list_cases(storage_engine, pid)[0]
    with session_scope(storage_engine) as session:
        added = cases.add_case(
            session,
            prompt_id=pid,
            actor="dana",
            name="  Sick leave carry-over ",
            expected="",
            variables={"question": "Does sick leave carry over?"},
            assertions=[{"type": "contains", "value": "no"}],
        )
    assert added.position == 10 and added.name == "Sick leave carry-over" and added.expected is None
    with session_scope(storage_engine) as session:
        updated = cases.update_case(session, added.id, actor="lee", expected="No.")  # type: ignore[arg-type]
    assert updated.expected == "No." and updated.assertions == [{"type": "contains", "value": "no"}]
    ids = [c.id for c in cases.list_cases(storage_engine, pid)]
    with session_scope(storage_engine) as session:
        cases.reorder_cases(session, pid, [ids[-1], *ids[:-1]], actor="lee")  # type: ignore[list-item]
    assert cases.list_cases(storage_engine, pid)[0].id == added.id
    with session_scope(storage_engine) as session:
        cases.delete_case(session, first.id, actor="lee")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        cases.get_case(storage_engine, first.id)  # type: ignore[arg-type]
    with session_scope(storage_engine) as session:
        actions = [e.action for e in audit.events(session, action=None, limit=5)]
        update = audit.events(session, action="test_case.update")[0]
    assert actions[:4] == ["test_case.delete", "test_case.reorder", "test_case.update", "test_case.create"]
    assert (
        update.actor == "lee" and update.before == {"expected": None} and update.after == {"expected": "No."}
    )


def test_invalid_assertions_are_refused_on_add_and_update(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    before = content(seeded_engine, pid)
    with (
        pytest.raises(InvalidInput, match="not a valid regular expression"),
        session_scope(seeded_engine) as session,
    ):
        cases.add_case(
            session,
            prompt_id=pid,
            actor="d",
            variables={"question": "q"},
            assertions=[{"type": "regex", "pattern": "(("}],
        )
    case_id = cases.list_cases(seeded_engine, pid)[0].id
    with (
        pytest.raises(InvalidInput, match="compares with the expected answer"),
        session_scope(seeded_engine) as session,
    ):
        cases.update_case(session, case_id, actor="d", expected="", assertions=[{"type": "equals"}])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="no field"), session_scope(seeded_engine) as session:
        cases.update_case(session, case_id, actor="d", colour="red")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="every test case"), session_scope(seeded_engine) as session:
        cases.reorder_cases(session, pid, [case_id], actor="d")  # type: ignore[list-item]
    assert content(seeded_engine, pid) == before


def test_deleting_a_case_keeps_the_outputs_that_used_it(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    case = cases.list_cases(seeded_engine, pid)[0]
    with session_scope(seeded_engine) as session:
        run = Run(project_id=2, kind="eval")
        session.add(run)
        session.flush()
        output = Output(run_id=run.id, test_case_id=case.id, text="25 days")  # type: ignore[arg-type]
        session.add(output)
        session.flush()
        output_id = output.id
    with session_scope(seeded_engine) as session:
        cases.delete_case(session, case.id, actor="d")  # type: ignore[arg-type]
    with session_scope(seeded_engine) as session:
        output = session.exec(select(Output).where(Output.id == output_id)).one()
    assert output.text == "25 days" and output.test_case_id is None


# ---- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_identical_cases(storage_engine: Engine, fmt: str) -> None:
    seed_demo(storage_engine)
    pid = prompt_id(storage_engine)
    add_varied_case(storage_engine, pid)
    before = content(storage_engine, pid)
    data = cases.export_cases(storage_engine, pid, fmt)
    with session_scope(storage_engine) as session:
        change = cases.import_cases(session, pid, data, f"bench.{fmt}", actor="dana", replace=True)
    assert (change.added, change.deleted) == (11, 11)
    assert content(storage_engine, pid) == before
    assert cases.export_cases(storage_engine, pid, fmt) == data or fmt == "xlsx"  # xlsx embeds a timestamp


def test_xlsx_export_stores_formula_like_text_as_text(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    add_varied_case(seeded_engine, pid)
    sheet = load_workbook(io.BytesIO(cases.export_cases(seeded_engine, pid, "xlsx"))).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["name", "question", "expected"] and "assert:llm_judge" in header
    question = sheet.cell(row=12, column=2)
    assert question.value.startswith("=1+1") and question.data_type == "s"


def test_csv_export_is_excel_friendly_utf8(seeded_engine: Engine) -> None:
    data = cases.export_cases(seeded_engine, prompt_id(seeded_engine), "csv")
    assert data.startswith(
        b"\xef\xbb\xbfname,question,expected,assert:contains,assert:not_contains\r\n"
    ) or data.startswith(b"\xef\xbb\xbfname,question,expected,assert:contains,assert:not_contains\n")


def test_import_appends_after_existing_cases_and_skips_blank_rows(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    csv = HEADER + "New one,Is there a pension?,,pension,\n,,,,\nSecond,What about bikes?,,bike,^[A-Z]\n"
    with session_scope(seeded_engine) as session:
        change = cases.import_cases(session, pid, csv.encode(), "more.csv", actor="dana")
    assert (change.added, change.deleted) == (2, 0)
    rows = cases.list_cases(seeded_engine, pid)
    assert [r.name for r in rows[-2:]] == ["New one", "Second"] and rows[-1].position == 11
    assert rows[-1].assertions == [
        {"type": "contains", "value": "bike"},
        {"type": "regex", "pattern": "^[A-Z]"},
    ]
    with session_scope(seeded_engine) as session:
        event = audit.events(session, action="test_case.import")[0]
    assert event.actor == "dana" and event.after == {"file": "more.csv", "added": 2, "replaced": 0}


def test_variables_of_the_chosen_version_are_required(seeded_engine: Engine) -> None:
    late = prompt_id(seeded_engine, "Late order reply")
    required, allowed = cases.template_variables(seeded_engine, late)
    assert required == ["order_id", "order_date", "status", "expected_delivery"] and allowed == required
    v1 = versions.list_versions(seeded_engine, late)[-1]
    assert cases.template_variables(seeded_engine, late, v1.id)[0] == []
    csv = "name,order_id,expected\nOnly the id,9,\n"
    with session_scope(seeded_engine) as session:
        cases.import_cases(session, late, csv.encode(), "v1.csv", actor="d", version_id=v1.id)
    with (
        pytest.raises(InvalidInput, match="column 'order_date': missing"),
        session_scope(seeded_engine) as session,
    ):
        cases.import_cases(session, late, csv.encode(), "v2.csv", actor="d")


# ---- refused imports --------------------------------------------------------------------------

REFUSED = [
    (
        "unknown type",
        "name,question,assert:contians\nA,Q?,x\n",
        1,
        "assert:contians",
        "unknown assertion type 'contians'",
    ),
    (
        "bad regex",
        HEADER + "A,Q?,,x,\nB,Q2?,,y,([0-9]+\n",
        3,
        "assert:regex",
        "not a valid regular expression",
    ),
    (
        "bad schema",
        'name,question,assert:json_schema\nA,Q?,"{""type"": ""objekt""}"\n',
        2,
        "assert:json_schema",
        "not a valid JSON Schema",
    ),
    ("missing variable", "name,expected,assert:contains\nA,x,x\n", 1, "question", "missing"),
    ("empty variable", HEADER + "A,Q?,,x,\nB,,,x,\n", 3, "question", "empty"),
    ("bad JSON cell", HEADER + 'A,Q?,,"{""value"": ""x""",\n', 2, "assert:contains", "not valid JSON"),
    ("unknown column", "name,question,notes\nA,Q?,hello\n", 1, "notes", "not a variable of this prompt"),
    (
        "needs expected",
        "name,question,assert:similarity\nA,Q?,0.8\n",
        2,
        "expected",
        "compares with the expected",
    ),
    (
        "bad number",
        "name,question,assert:latency\nA,Q?,fast\n",
        2,
        "assert:latency",
        "'fast' is not a number",
    ),
]


@pytest.mark.parametrize(("label", "csv", "row", "column", "words"), REFUSED, ids=[r[0] for r in REFUSED])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_bad_file_is_refused_naming_row_and_column_and_nothing_is_written(
    seeded_engine: Engine, label: str, csv: str, row: int, column: str, words: str, fmt: str
) -> None:
    pid = prompt_id(seeded_engine)
    before, events = content(seeded_engine, pid), audit_count(seeded_engine)
    data = csv.encode()
    if fmt == "xlsx":
        buffer = io.BytesIO()
        pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False).to_excel(buffer, index=False)
        data = buffer.getvalue()
    with pytest.raises(InvalidInput) as caught, session_scope(seeded_engine) as session:
        cases.import_cases(session, pid, data, f"bad.{fmt}", actor="dana", replace=True)
    message = str(caught.value)
    assert message.startswith("Nothing was imported")
    assert f"Row {row}, column '{column}': " in message and words in message
    assert (caught.value.row, caught.value.field) == (row, column)
    assert content(seeded_engine, pid) == before and audit_count(seeded_engine) == events


def test_every_problem_of_a_file_is_listed_at_once(seeded_engine: Engine) -> None:
    csv = HEADER + "A,,,x,((\nB,Q?,,,[\n"
    with pytest.raises(InvalidInput) as caught, session_scope(seeded_engine) as session:
        cases.import_cases(session, prompt_id(seeded_engine), csv.encode(), "bad.csv", actor="d")
    lines = str(caught.value).splitlines()
    assert lines[0] == "Nothing was imported: 3 problems."
    assert [line.split("': ")[0] for line in lines[1:]] == [
        "Row 2, column 'question",
        "Row 2, column 'assert:regex",
        "Row 3, column 'assert:regex",
    ]


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"", "empty.csv", "is empty"),
        (b"name,question\n", "header.csv", "has no test cases"),
        (b"not a workbook", "bench.xlsx", "could not be read as Excel workbook"),
        (b"\xff\xfe\x00bad", "bench.csv", "could not be read as CSV"),
        (b"a,b\n", "bench.txt", "neither a .csv nor an .xlsx"),
    ],
)
def test_unreadable_files_are_refused(seeded_engine: Engine, data: bytes, filename: str, words: str) -> None:
    pid = prompt_id(seeded_engine)
    before = content(seeded_engine, pid)
    with pytest.raises(InvalidInput, match=words), session_scope(seeded_engine) as session:
        cases.import_cases(session, pid, data, filename, actor="d", replace=True)
    assert content(seeded_engine, pid) == before


# ---- the editor's table -----------------------------------------------------------------------


def test_a_saved_table_updates_adds_deletes_and_reorders(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    frame = cases.cases_frame(seeded_engine, pid, with_id=True, extra_types=["llm_judge"])
    assert list(frame.columns) == [
        "id",
        "name",
        "question",
        "expected",
        "assert:contains",
        "assert:not_contains",
        "assert:llm_judge",
    ]
    frame.loc[0, "assert:contains"] = '["25 days", "PTO"]'
    frame.loc[1, "assert:llm_judge"] = "Mentions the 5-day cap."
    frame = frame.drop(index=2)
    new = {
        "id": pd.NA,
        "name": "Bikes",
        "question": "Is there a bike scheme?",
        "expected": "",
        "assert:contains": "bike",
    }
    frame = pd.concat([pd.DataFrame([new]), frame], ignore_index=True)
    with session_scope(seeded_engine) as session:
        change = cases.save_table(session, pid, frame, actor="dana")
    assert (change.added, change.updated, change.deleted) == (1, 2, 1)
    rows = cases.list_cases(seeded_engine, pid)
    assert [r.name for r in rows[:3]] == ["Bikes", "PTO days", "PTO carry-over"]
    assert rows[1].assertions[0] == {"type": "contains", "value": ["25 days", "PTO"]}
    assert rows[2].assertions[-1] == {"type": "llm_judge", "rubric": "Mentions the 5-day cap."}
    assert "Sick leave" not in [r.name for r in rows] and [r.position for r in rows] == list(range(10))


def test_a_bad_table_saves_nothing(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    before = content(seeded_engine, pid)
    frame = cases.cases_frame(seeded_engine, pid, with_id=True)
    frame.loc[0, "name"] = "Renamed"
    frame.loc[4, "assert:contains"] = '{"valeu": "x"}'
    with pytest.raises(InvalidInput) as caught, session_scope(seeded_engine) as session:
        cases.save_table(session, pid, frame, actor="dana")
    assert "Nothing was saved" in str(caught.value) and "Row 5, column 'assert:contains'" in str(caught.value)
    assert content(seeded_engine, pid) == before


def test_a_table_save_leaves_cases_added_meanwhile_by_someone_else(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    frame = cases.cases_frame(seeded_engine, pid, with_id=True)
    shown = frame.id.tolist()
    with session_scope(seeded_engine) as session:
        theirs = cases.add_case(
            session, prompt_id=pid, actor="lee", name="Lee's case", variables={"question": "Q?"}
        )
    mine = frame.drop(index=0)
    with session_scope(seeded_engine) as session:
        change = cases.save_table(session, pid, mine, actor="dana", shown_ids=shown)
    assert (change.added, change.updated, change.deleted) == (0, 0, 1)
    rows = cases.list_cases(seeded_engine, pid)
    assert [r.name for r in rows][-1] == "Lee's case" and rows[-1].id == theirs.id
    assert "PTO days" not in [r.name for r in rows] and [r.position for r in rows] == list(range(10))
    frame.loc[0, "name"] = "Gone already"
    with (
        pytest.raises(InvalidInput, match="Row 1: this case was deleted meanwhile"),
        session_scope(seeded_engine) as session,
    ):
        cases.save_table(session, pid, frame, actor="dana", shown_ids=shown)


def test_a_variable_called_name_gets_a_prefixed_column_and_round_trips(seeded_engine: Engine) -> None:
    project = next(p for p in versions.list_prompts(seeded_engine) if p.name == "HR policy answer").project_id
    with session_scope(seeded_engine) as session:
        prompt = versions.create_prompt(session, project_id=project, name="Greeting", actor="d")
        versions.save_version(
            session,
            prompt_id=prompt.id,
            system_template="",
            author="d",  # type: ignore[arg-type]
            user_template="Greet {{ name }} about {{ expected }}.",
        )
    csv = "name,var:name,var:expected,expected,assert:contains\nFirst,Ann,a parcel,Hi Ann,Ann\n"
    with session_scope(seeded_engine) as session:
        cases.import_cases(session, prompt.id, csv.encode(), "g.csv", actor="d")  # type: ignore[arg-type]
    [case] = cases.list_cases(seeded_engine, prompt.id)  # type: ignore[arg-type]
    assert (case.name, case.variables, case.expected) == (
        "First",
        {"name": "Ann", "expected": "a parcel"},
        "Hi Ann",
    )
    exported = cases.export_cases(seeded_engine, prompt.id, "csv").decode("utf-8-sig")  # type: ignore[arg-type]
    assert exported.splitlines()[0] == "name,var:name,var:expected,expected,assert:contains"
    with (
        pytest.raises(InvalidInput, match="column 'var:name': missing"),
        session_scope(seeded_engine) as session,
    ):
        cases.import_cases(session, prompt.id, b"name,expected\nA,b\n", "g.csv", actor="d")  # type: ignore[arg-type]


def test_semicolon_separated_csv_from_european_excel_is_read(seeded_engine: Engine) -> None:
    pid = prompt_id(seeded_engine)
    data = b"name;question;expected;assert:contains\nCommas, too;Is lunch paid, or not?;No.;no\n"
    with session_scope(seeded_engine) as session:
        cases.import_cases(session, pid, data, "semi.csv", actor="d")
    last = cases.list_cases(seeded_engine, pid)[-1]
    assert (last.name, last.variables["question"]) == ("Commas, too", "Is lunch paid, or not?")
