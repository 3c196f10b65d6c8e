"""Immutable versions, labels with history, rollback, and the get_prompt API."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

import workbench
from workbench.errors import InvalidInput, NotFound, TemplateError
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.audit import events
from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent


def make_prompt(engine: Engine, name: str = "Reply") -> int:
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="ann", name=f"P-{name}")
        return versions.create_prompt(session, project_id=project.id, name=name, actor="ann").id


def test_saves_create_numbered_immutable_versions(storage_engine: Engine) -> None:
    pid = make_prompt(storage_engine)
    with session_scope(storage_engine) as session:
        v1 = versions.save_version(
            session,
            prompt_id=pid,
            system_template="",
            user_template="Hi {{ name }}",
            author="ann",
            change_note="first",
        )
        v2 = versions.save_version(
            session,
            prompt_id=pid,
            system_template="Be kind",
            user_template="Hi {{ name }}",
            author="bob",
            change_note="tone",
            parent_id=v1.id,
        )
    assert (v1.number, v2.number) == (1, 2)
    listed = versions.list_versions(storage_engine, pid)
    assert [v.number for v in listed] == [2, 1]
    assert versions.get_version(storage_engine, v1.id).user_template == "Hi {{ name }}"
    assert listed[0].author == "bob" and listed[0].parent_id == v1.id


def test_writes_commit_only_with_the_callers_transaction(storage_engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(storage_engine) as session:
        project = project_records.create_project(session, actor="ann", name="Half done")
        prompt = versions.create_prompt(session, project_id=project.id, name="Reply", actor="ann")  # type: ignore[arg-type]
        version = versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template="",
            user_template="Hi",
            author="ann",
        )
        versions.set_label(session, version_id=version.id, name="production", actor="ann")  # type: ignore[arg-type]
        raise RuntimeError("the caller's next step failed")
    assert project_records.find_project(storage_engine, "Half done") is None
    assert versions.list_prompts(storage_engine) == []
    assert audit_events(storage_engine) == []  # not even the audit events


def test_template_that_does_not_parse_is_not_saved(engine: Engine) -> None:
    pid = make_prompt(engine)
    with pytest.raises(TemplateError, match="line 2"), session_scope(engine) as session:
        versions.save_version(
            session, prompt_id=pid, system_template="", user_template="ok\nHi {{ name }", author="ann"
        )
    with pytest.raises(InvalidInput), session_scope(engine) as session:
        versions.save_version(session, prompt_id=pid, system_template=" ", user_template="", author="ann")
    assert versions.list_versions(engine, pid) == []


def test_concurrent_saves_all_become_separate_versions(storage_engine: Engine) -> None:
    pid = make_prompt(storage_engine)
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def save(i: int) -> None:
        try:
            barrier.wait()
            with session_scope(storage_engine) as session:
                versions.save_version(
                    session,
                    prompt_id=pid,
                    system_template="",
                    user_template=f"text {i}",
                    author=f"user{i}",
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    saved = versions.list_versions(storage_engine, pid)
    assert sorted(v.number for v in saved) == [1, 2, 3, 4, 5, 6]
    assert sorted(v.user_template for v in saved) == [f"text {i}" for i in range(6)]


def test_labels_move_with_history_and_audit(storage_engine: Engine) -> None:
    pid = make_prompt(storage_engine)
    with session_scope(storage_engine) as session:
        v1 = versions.save_version(
            session, prompt_id=pid, system_template="", user_template="a", author="ann"
        )
        v2 = versions.save_version(
            session, prompt_id=pid, system_template="", user_template="b", author="ann"
        )
        versions.set_label(session, version_id=v1.id, name="production", actor="ann")
        label = versions.set_label(session, version_id=v2.id, name="production", actor="bob", note="better")
        versions.rollback_label(session, prompt_id=pid, name="production", to_version_id=v1.id, actor="cy")
    history = versions.label_history(storage_engine, label.id)
    assert [(m.from_version_id, m.to_version_id, m.moved_by) for m in history] == [
        (None, v1.id, "ann"),
        (v1.id, v2.id, "bob"),
        (v2.id, v1.id, "cy"),
    ]
    assert versions.labels_for_prompt(storage_engine, pid)[0].version_id == v1.id
    assert versions.get_version(storage_engine, v2.id).user_template == "b"  # untouched by rollback
    actions = [e.action for e in audit_events(storage_engine)]
    assert actions.count("label.move") == 2 and actions.count("label.rollback") == 1


def audit_events(engine: Engine) -> list[AuditEvent]:
    with session_scope(engine) as session:  # closed, so no connection outlives the test
        return events(session)


def test_get_prompt_by_label_and_version(seeded_db, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{seeded_db}"
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    release = workbench.get_prompt("Late order reply")
    assert release.label == "production" and release.version == 2
    messages = release.render(
        order_id="777", order_date="June 2", status="shipped", expected_delivery="June 9"
    )
    assert messages[0]["role"] == "system" and "#777" in messages[1]["content"]
    assert workbench.get_prompt("Late order reply", version=1).user_template.startswith("Explain why")
    with pytest.raises(NotFound, match="no label 'gold'"):
        workbench.get_prompt("Late order reply", label="gold")
    with pytest.raises(NotFound, match="No prompt named"):
        workbench.get_prompt("Nope")
    with pytest.raises(TemplateError, match="order_id"):
        release.render(order_date="x", status="y", expected_delivery="z")
