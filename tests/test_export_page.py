"""The Export page through AppTest: every download offered (built only when clicked), the
fine-tuning summary, imports of prompts and test cases, and the admin-only rule with sign-in."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_SCRIPT, page_path
from tests.library_support import demo
from workbench.evals import cases
from workbench.governance import access
from workbench.prompts import versions
from workbench.store import audit
from workbench.store.engine import session_scope

PAGE = "pages/export.py"


def labels(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [b.label for b in at.download_button]


def test_every_format_is_offered_and_built_only_on_click(app) -> None:
    at = app(page=PAGE)
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs] == [
        "Table (CSV, Excel)",
        "Fine-tuning (JSONL)",
        "promptfoo",
        "Full backup",
        "Import",
    ]
    assert labels(at) == [
        "CSV",
        "Excel",
        "Prompts (CSV, latest versions)",
        "train.jsonl",
        "validation.jsonl",
        "Both + summary (zip)",
        "promptfoo configuration (zip, one folder per prompt)",
        "Full backup (JSON)",
        "Example file",
    ]
    deferred = [b for b in at.download_button if b.label != "Example file"]
    assert all(b.proto.deferred_file_id for b in deferred)  # a function runs at the click, not now


def test_one_prompt_gives_a_single_promptfoo_file(app, app_db: Engine) -> None:
    at = app(page=PAGE)
    at.multiselect(key="export_prompts").select(demo(app_db).hr).run()
    assert "promptfoo configuration" in labels(at)
    promptfoo_button = next(b for b in at.download_button if b.label == "promptfoo configuration")
    assert promptfoo_button.proto.deferred_file_id


def test_fine_tuning_summary_on_request(app) -> None:
    at = app(page=PAGE)
    at.slider(key="ft_min").set_value(1.0).run()
    at.button(key="export_ft_preview").click().run()
    assert not at.exception
    kept = next(m for m in at.metric if m.label == "Kept")
    assert int(kept.value) > 0
    assert any("Tokens are approximate" in c.value for c in at.caption)


def test_import_prompts_and_test_cases(app, app_db: Engine) -> None:
    at = app(page=PAGE)
    at.session_state["rater_name"] = "Dana"
    at.run()
    at.file_uploader(key="import_prompts_file").upload(
        "prompts.csv",
        b"project,prompt,user\nHR handbook assistant,Leave,Days of {{ kind }} leave?\n",
        "text/csv",
    ).run()
    at.button(key="import_prompts_btn").click().run()
    assert not at.exception and not at.error
    assert "1 prompts created, 1 versions added" in at.success[0].value
    leave = next(p for p in versions.list_prompts(app_db) if p.name == "Leave")
    at.run()  # the page lists the new prompt from its next run on
    at.selectbox(key="import_cases_prompt").set_value(leave.id).run()
    at.file_uploader(key="import_cases_file").upload(
        "cases.csv", b"name,kind,assert:contains\nSick,sick,10 days\n", "text/csv"
    ).run()
    at.button(key="import_cases_btn").click().run()
    assert not at.error and "1 added" in at.success[-1].value
    assert [c.name for c in cases.list_cases(app_db, leave.id)] == ["Sick"]  # type: ignore[arg-type]
    assert {e.action for e in audit.search(app_db, actor="Dana")} >= {"import.csv", "test_case.import"}


def test_a_bad_file_is_refused_naming_row_and_column(app, app_db: Engine) -> None:
    before = len(versions.list_prompts(app_db))
    at = app(page=PAGE)
    at.file_uploader(key="import_prompts_file").upload(
        "bad.csv", b"project,prompt,user\nNope,X,Hi\n", "text/csv"
    ).run()
    at.button(key="import_prompts_btn").click().run()
    assert "Row 2, column 'project': no project named 'Nope'" in at.error[0].value
    assert len(versions.list_prompts(app_db)) == before


def test_with_sign_in_only_admins_export(app_env: Path, app_db: Engine) -> None:
    with session_scope(app_db) as session:
        access.set_signin(session, enabled=True, actor="setup", first_admin="ada@example.com")
    cs = demo(app_db).customer_project
    with session_scope(app_db) as session:
        access.set_member(
            session, actor="ada@example.com", project_id=cs, email="vic@example.com", role="viewer"
        )

    def visit(email: str) -> AppTest:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
        at.user = {"is_logged_in": True, "email": email}
        at.run()
        at.switch_page(page_path(PAGE)).run()
        assert not at.exception
        return at

    viewer = visit("vic@example.com")
    assert "Exports are for admins" in viewer.warning[0].value and not viewer.download_button
    admin = visit("ada@example.com")
    assert "Full backup (JSON)" in labels(admin)
    with session_scope(app_db) as session:
        access.set_member(
            session, actor="ada@example.com", project_id=cs, email="eve@example.com", role="admin"
        )
    partial = visit("eve@example.com")  # admin of one project only: no full backup
    assert "Full backup (JSON)" not in labels(partial) and "CSV" in labels(partial)
    assert "only someone who administers all of them" in partial.info[0].value
