"""The Library page through AppTest: every prompt listed, search and filters, and opening any
prompt (even of another project) in the Draft page."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.conftest import APP_SCRIPT, page_path
from tests.library_support import add_evaluation, demo
from workbench.prompts import versions
from workbench.store.engine import session_scope

PAGE = "pages/library.py"


def shown(at) -> list[str]:  # type: ignore[no-untyped-def]
    return list(at.dataframe[0].value["prompt"]) if at.dataframe else []


def test_lists_every_prompt_with_its_figures(app, app_db: Engine) -> None:
    add_evaluation(app_db, demo(app_db).hr)
    at = app(page=PAGE)
    assert not at.exception and not at.error
    table = at.dataframe[0].value.set_index("prompt")
    assert list(table.index) == ["Late order reply", "HR policy answer", "HR policy answer from documents"]
    assert list(table.columns) == [
        "project", "description", "versions", "latest_version", "labels", "average_rating",
        "ratings", "pass_rate", "runs", "last_activity",
    ]  # fmt: skip
    assert table.loc["HR policy answer", "pass_rate"] == 0.6667
    assert table.loc["HR policy answer", "ratings"] == 30
    ratings = list(table["average_rating"])  # words, never a blank the table would draw as None
    assert table.loc["HR policy answer", "average_rating"].endswith(" ★")
    assert all(v == "not rated" or v.endswith(" ★") for v in ratings) and "not rated" in ratings
    assert "3 prompts · no filter" in at.caption[1].value


def test_search_and_filters_narrow_the_list(app) -> None:
    at = app(page=PAGE)
    at.text_input(key="library_text").input("handbook").run()
    assert shown(at) == ["HR policy answer", "HR policy answer from documents"]
    assert "text 'handbook'" in at.caption[1].value
    at.text_input(key="library_text").input("").run()
    at.multiselect(key="library_labels").select("staging").run()
    assert shown(at) == ["Late order reply"]
    at.multiselect(key="library_labels").unselect("staging").run()
    at.multiselect(key="library_tags").select("off-topic").run()
    assert shown(at) == ["HR policy answer"]
    at.slider(key="library_rating").set_value((4.0, 5.0)).run()
    assert shown(at) == [] and "No prompt matches" in at.info[0].value
    assert not at.exception


def test_filter_by_project_and_model(app, app_db: Engine) -> None:
    ids = demo(app_db)
    at = app(page=PAGE)
    at.multiselect(key="library_projects").select(ids.customer_project).run()
    assert shown(at) == ["Late order reply"]
    at.multiselect(key="library_projects").unselect(ids.customer_project).run()
    at.multiselect(key="library_models").select("Local fake server · fake-small").run()
    assert shown(at) == ["HR policy answer"]


def test_open_a_prompt_of_another_project_in_draft(app, app_db: Engine) -> None:
    ids = demo(app_db)
    latest = versions.latest_version(app_db, ids.hr)
    at = app(page=PAGE)
    assert at.session_state["active_project_id"] == ids.customer_project  # the sidebar's first project
    at.selectbox(key="library_open").set_value(ids.hr).run()
    at.button(key="library_open_btn").click().run()
    assert not at.exception
    assert at.title[0].value == "Draft"
    assert at.session_state["active_project_id"] == ids.hr_project
    assert at.selectbox(key="sidebar_project").value == ids.hr_project
    assert at.session_state["active_prompt_id"] == ids.hr
    assert at.text_area(key="w_draft_user").value == latest.user_template  # type: ignore[union-attr]
    assert f"Editing from version {latest.number}" in "\n".join(c.value for c in at.caption)  # type: ignore[union-attr]


def test_with_sign_in_only_the_visitors_projects_are_listed(app_env, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from workbench.governance import access

    with session_scope(app_db) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="ada@example.com")
        access.set_member(session, actor="ada@example.com", project_id=demo(app_db).customer_project,
                          email="vic@example.com", role="viewer")  # fmt: skip
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
    at.user = {"is_logged_in": True, "email": "vic@example.com"}
    at.run()
    at.switch_page(page_path(PAGE)).run()
    assert not at.exception
    assert shown(at) == ["Late order reply"]
    assert at.multiselect(key="library_tags").options == []  # HR's tags are not offered either
