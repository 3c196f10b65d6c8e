"""The Documents page (AppTest): the seeded handbook's readiness, pasting a document, a bad
paste refused, roles when sign-in is on, and Draft's passages used as context."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from workbench.governance import access
from workbench.projects import project_records
from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent, Document

PAGE = "pages/documents.py"


def open_hr(app, app_db: Engine, page: str = PAGE):  # type: ignore[no-untyped-def]
    hr = project_records.find_project(app_db, "HR handbook assistant")
    at = app(page=page)
    at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
    return at, hr.id  # type: ignore[union-attr]


def test_the_handbook_is_ready_and_summarised(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    at, _ = open_hr(app, app_db)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Documents"] == "6" and metrics["With personal data"] == "0"
    assert any("no personal data found" in c.value for c in at.caption)


def test_pasting_text_adds_a_document_and_says_what_was_found(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    at, project_id = open_hr(app, app_db)
    paste = next(t for t in at.text_area if t.key.startswith("documents_paste_"))
    paste.input(
        "# Bereavement leave\n\nEmployees get 5 days of paid bereavement leave. Contact hr@northwind.example."
    )
    at.button(key="documents_add").click().run()
    assert not at.exception
    assert any("Added 'Bereavement leave'" in s.value and "e-mail address" in s.value for s in at.success)
    with session_scope(app_db) as session:
        doc = session.exec(select(Document).where(Document.title == "Bereavement leave")).one()
        assert doc.personal_data == {"e-mail address": 1}
        assert session.exec(
            select(AuditEvent).where(AuditEvent.action == "document.add", AuditEvent.entity_id == str(doc.id))
        ).first()
    again = next(t for t in at.text_area if t.key.startswith("documents_paste_"))
    again.input(
        "# Bereavement leave\n\nEmployees get 5 days of paid bereavement leave. Contact hr@northwind.example."
    )
    at.button(key="documents_add").click().run()
    assert not at.exception
    assert any("already here as 'Bereavement leave'" in e.value for e in at.error)
    assert project_id


def test_viewers_never_see_documents_when_sign_in_is_on(app_db: Engine) -> None:
    from tests.test_auth_pages import visit

    hr = project_records.find_project(app_db, "HR handbook assistant")
    with session_scope(app_db) as session:
        access.set_signin(session, enabled=True, actor="t", first_admin="boss@example.com")
        for email, role in (("viewer@example.com", "viewer"), ("editor@example.com", "editor")):
            access.set_member(session, actor="t", project_id=hr.id, email=email, role=role)  # type: ignore[union-attr, arg-type]
    for email, sees in (("viewer@example.com", False), ("editor@example.com", True)):
        at = visit(email, PAGE)
        at.selectbox(key="sidebar_project").set_value(hr.id).run()  # type: ignore[union-attr]
        assert not at.exception
        assert bool(at.metric) is sees
        assert sees or any("read the project's documents" in w.value for w in at.warning)


def test_draft_shows_the_passages_used_as_context(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    from workbench.prompts import versions

    at, project_id = open_hr(app, app_db, "pages/draft.py")
    prompt = next(
        p for p in versions.list_prompts(app_db, project_id) if p.name == "HR policy answer from documents"
    )
    at.selectbox(key="w_draft_prompt").set_value(prompt.id).run()
    assert not at.exception
    assert next(t for t in at.toggle if t.key.startswith("w_draft_rag_")).value is True
    passages = [m.value for m in at.markdown if m.value.startswith("**[1] ")]
    assert passages and "Sick leave" in passages[0]
    assert any("[1] Sick leave" in c.value for c in at.code)
