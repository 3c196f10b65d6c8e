"""The Bench page in AppTest: edit a case, refuse a bad file, import a good one, export, check an answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.state.common import user_key_from_element_id

from tests.conftest import sqlite_engine_for
from tests.fakes.server import FakeLLMServer
from workbench.evals import cases
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.ui.shell import state

PAGE = "pages/bench.py"


ENGINE: list[Any] = []  # the test's own engine on the app's database, set per test


@pytest.fixture(autouse=True)
def _engine(app_env: Path) -> Any:
    ENGINE[:] = [sqlite_engine_for(app_env)]
    yield
    ENGINE.pop().dispose()


def hr_bench(app: Callable[..., Any]) -> Any:
    """The Bench page with the HR project active (its prompt has the seeded bench)."""
    at = app(page=PAGE)
    hr = project_records.find_project(ENGINE[0], "HR handbook assistant")
    at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    assert not at.exception
    return at


def hr_prompt() -> int:
    return next(p.id for p in versions.list_prompts(ENGINE[0]) if p.name == "HR policy answer")  # type: ignore[misc]


def editor_key(at: Any) -> str:
    """The table's widget key (it changes whenever the table reloads from the database)."""
    key = user_key_from_element_id(at.data_editor[0].proto.id)
    assert key is not None and key.startswith("bench_cases_"), key
    return key


def test_the_page_shows_the_prompts_test_cases(app: Callable[..., Any]) -> None:
    at = hr_bench(app)
    assert at.title[0].value == "Bench"
    hr = project_records.find_project(ENGINE[0], "HR handbook assistant")
    assert at.selectbox(key=f"bench_prompt_{hr.id}").value == hr_prompt()  # type: ignore[union-attr]
    table = at.data_editor[0].value
    assert list(table.columns)[1:] == [
        "name",
        "question",
        "expected",
        "assert:contains",
        "assert:not_contains",
    ]
    assert table["name"].tolist()[:2] == ["PTO days", "PTO carry-over"] and len(table) == 10
    assert at.caption[1].value.startswith("10 test cases")
    assert not at.exception


def test_editing_a_case_in_the_table_saves_it(app: Callable[..., Any]) -> None:
    at = hr_bench(app)
    at.text_input(key=state.RATER_NAME).input("Dana").run()
    at.session_state[editor_key(at)] = {
        "edited_rows": {0: {"assert:contains": '["25 days", "PTO"]', "name": "PTO days per year"}},
        "added_rows": [{"name": "Bikes", "question": "Is there a bike scheme?", "assert:contains": "bike"}],
        "deleted_rows": [9],
    }
    at.run()
    at.button(key="bench_save").click().run()
    assert not at.exception
    assert at.success[0].value == "Saved: 1 added, 1 updated, 1 deleted."
    rows = cases.list_cases(ENGINE[0], hr_prompt())
    assert rows[0].name == "PTO days per year" and rows[0].assertions[0]["value"] == ["25 days", "PTO"]
    assert rows[-1].name == "Bikes" and "Payday" not in [r.name for r in rows]
    assert len(at.data_editor[0].value) == 10  # the table reloaded from the database


def test_a_bad_edit_shows_row_and_column_and_saves_nothing(app: Callable[..., Any]) -> None:
    at = hr_bench(app)
    before = [c.assertions for c in cases.list_cases(ENGINE[0], hr_prompt())]
    at.session_state[editor_key(at)] = {
        "edited_rows": {2: {"assert:contains": '{"valeu": "10 days"}'}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="bench_save").click().run()
    assert not at.exception
    assert (
        "Row 3, column 'assert:contains'" in at.error[0].value and "no parameter 'valeu'" in at.error[0].value
    )
    assert [c.assertions for c in cases.list_cases(ENGINE[0], hr_prompt())] == before


BAD_FILES = [
    (
        b"name,question,assert:regex\nOK,Fine?,^Yes\nBroken,Why?,([0-9]+\n",
        "Row 3, column 'assert:regex': regex: 'pattern' is not a valid regular expression",
    ),
    (
        b"name,question,assert:contians\nA,Q?,x\n",
        "Row 1, column 'assert:contians': unknown assertion type 'contians'",
    ),
    (
        b'name,question,assert:json_schema\nA,Q?,"{""type"": ""objekt""}"\n',
        "Row 2, column 'assert:json_schema': ",
    ),
    (b"name,expected,assert:contains\nA,x,x\n", "Row 1, column 'question': "),
]


@pytest.mark.parametrize(("bad", "words"), BAD_FILES, ids=["regex", "type", "schema", "variable"])
def test_importing_a_bad_file_shows_the_error_and_writes_nothing(
    app: Callable[..., Any], bad: bytes, words: str
) -> None:
    at = hr_bench(app)
    before = [(c.name, c.variables, c.assertions) for c in cases.list_cases(ENGINE[0], hr_prompt())]
    at.file_uploader(key=f"bench_upload_{hr_prompt()}_0").set_value(("bad.csv", bad, "text/csv")).run()
    at.radio(key="bench_mode").set_value("replace the existing ones").run()
    at.button(key="bench_import").click().run()
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Nothing was imported: 1 problem.")
    assert words in message
    assert [(c.name, c.variables, c.assertions) for c in cases.list_cases(ENGINE[0], hr_prompt())] == before


def test_importing_a_good_file_adds_its_cases(app: Callable[..., Any]) -> None:
    at = hr_bench(app)
    good = (
        b"name,question,expected,assert:contains,assert:length\nPension,Is there a pension?,Yes.,pension,30\n"
    )
    at.file_uploader(key=f"bench_upload_{hr_prompt()}_0").set_value(("more.csv", good, "text/csv")).run()
    at.button(key="bench_import").click().run()
    assert not at.exception
    assert at.success[0].value == "Imported more.csv: 1 added, 0 updated, 0 deleted."
    last = cases.list_cases(ENGINE[0], hr_prompt())[-1]
    assert (last.name, last.expected) == ("Pension", "Yes.")
    assert last.assertions == [{"type": "contains", "value": "pension"}, {"type": "length", "max": 30}]
    assert "assert:length" in at.data_editor[0].value.columns
    # a new, empty uploader: pressing Import again cannot import the same file twice
    assert [u.key for u in at.file_uploader] == [f"bench_upload_{hr_prompt()}_1"]
    assert not at.file_uploader(key=f"bench_upload_{hr_prompt()}_1").value


def test_export_buttons_offer_the_import_format(app: Callable[..., Any]) -> None:
    at = hr_bench(app)
    csv = at.download_button(key="bench_export_csv")
    assert csv.proto.label == "Export CSV"
    assert cases.export_cases(ENGINE[0], hr_prompt(), "csv").startswith(b"\xef\xbb\xbfname,question,expected")
    assert at.download_button(key="bench_export_xlsx").proto.label == "Export XLSX"
    assert not at.exception


def test_checking_one_answer_shows_each_verdict(app: Callable[..., Any]) -> None:
    at = hr_bench(app)
    at.text_area(key="bench_check_text").input("Employees get 365 days off.").run()
    at.button(key="bench_check").click().run()
    assert not at.exception
    assert at.error[0].value == "2 of 2 checks failed."
    verdicts = at.dataframe[-1].value
    assert verdicts.reason.tolist() == ["Missing '25 days'.", "'365' appears in the answer."]
    at.text_area(key="bench_check_text").input("You get 25 days of paid time off.").run()
    at.button(key="bench_check").click().run()
    assert at.success[0].value == "All 2 checks passed."


def test_a_rubric_is_graded_by_the_chosen_judge(app: Callable[..., Any], fake_server: FakeLLMServer) -> None:
    local = endpoints.find_endpoint(ENGINE[0], "Local fake server")
    endpoints.update_endpoint(ENGINE[0], local.id, actor="t", base_url=fake_server.openai_base_url)  # type: ignore[union-attr,arg-type]
    first = cases.list_cases(ENGINE[0], hr_prompt())[0]
    with session_scope(ENGINE[0]) as session:
        cases.update_case(
            session, first.id, actor="t", assertions=[{"type": "llm_judge", "rubric": "Gives the PTO days."}]
        )  # type: ignore[arg-type]
    at = hr_bench(app)
    at.text_area(key="bench_check_text").input(
        "Full-time staff get 25 days of paid time off per calendar year."
    ).run()
    at.selectbox(key="bench_check_judge").set_value("Local fake server · fake-large").run()
    at.button(key="bench_check").click().run()
    assert not at.exception
    assert at.success[0].value == "All 1 checks passed."
    assert at.dataframe[-1].value.reason.tolist() == ["The answer covers the expected facts."]
