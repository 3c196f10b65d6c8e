"""The Audit page through AppTest: filters, before/after, CSV export (itself audited)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sqlite_engine_for
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope

PAGE = "pages/audit.py"


@pytest.fixture
def db(app_env: Path):
    engine = sqlite_engine_for(app_env)
    yield engine
    engine.dispose()


def move_production_back(engine) -> int:
    project = project_records.find_project(engine, "Customer service replies")
    prompt = versions.list_prompts(engine, project.id)[0]  # type: ignore[union-attr, arg-type]
    v1 = min(versions.list_versions(engine, prompt.id), key=lambda v: v.number)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        versions.set_label(session, version_id=v1.id, name="production", actor="Lee", note="back to v1")  # type: ignore[arg-type]
    return v1.id  # type: ignore[return-value]


def test_the_audit_trail_of_a_label_move(app, db) -> None:
    v1_id = move_production_back(db)
    at = app(page=PAGE)
    at.multiselect(key="audit:actions").set_value(["label.move"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    lee = table[table["actor"] == "Lee"]
    assert lee["action"].tolist() == ["label.move"]
    assert lee["project"].tolist() == ["Customer service replies"]
    assert '"version_number": 1' in lee["after"].iloc[0]
    assert lee["detail"].tolist() == ["back to v1"]
    at.selectbox(key="audit:event").set_value(int(lee["id"].iloc[0])).run()
    before, after = (j.value for j in at.json)
    assert '"label": "production"' in before and '"version_id"' in before
    assert f'"version_id": {v1_id}' in after


def test_filters_by_who_text_and_project(app, db) -> None:
    move_production_back(db)
    at = app(page=PAGE)
    at.selectbox(key="audit:actor").set_value("Lee").run()
    assert at.dataframe[0].value["actor"].unique().tolist() == ["Lee"]
    at.selectbox(key="audit:actor").set_value("Anyone")
    at.text_input(key="audit:text").input("back to v1").run()
    assert at.dataframe[0].value["detail"].tolist() == ["back to v1"]
    hr = project_records.find_project(db, "HR handbook assistant")
    at.text_input(key="audit:text").input("")
    at.multiselect(key="audit:projects").set_value([hr.id])  # type: ignore[union-attr]
    at.checkbox(key="audit:workspace").uncheck().run()
    assert set(at.dataframe[0].value["project"]) == {"HR handbook assistant"}
    assert not at.exception


def test_a_date_range_without_events_says_so(app) -> None:
    import datetime as dt

    at = app(page=PAGE)
    at.date_input(key="audit:dates").set_value((dt.date(2020, 1, 1), dt.date(2020, 1, 31))).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["No event matches these filters."]


def test_the_export_button_offers_the_filtered_log(app, db) -> None:
    move_production_back(db)
    at = app(page=PAGE)
    at.multiselect(key="audit:actions").set_value(["label.move"]).run()
    (download,) = at.get("download_button")
    assert download.proto.label == "Export CSV"
    assert download.proto.url  # the CSV itself is checked byte for byte in the browser test
