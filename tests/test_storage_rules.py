"""Text is stored the same on SQLite and PostgreSQL: NUL characters and broken Unicode are
cleaned, over-long values are refused by name (or cut to fit in the call records), and one bad
answer never costs the others."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from tests.fakes.server import Behaviour, FakeLLMServer
from workbench.errors import InvalidInput
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, plan, run_cells
from workbench.store import storable_text
from workbench.store.engine import session_scope
from workbench.store.tables import AuditEvent, Output, Project

KEY = "sk-test-storage-rules-0123456789"


def lookup(name: str) -> str | None:
    return KEY if name == "WB_KEY" else None


def bench(engine: Engine) -> tuple[int, int]:
    """A public project with one prompt version; returns (project id, version id)."""
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="Rules", sensitivity="public")
        prompt = versions.create_prompt(session, project_id=project.id, name="P", actor="t")
        version = versions.save_version(
            session, prompt_id=prompt.id, system_template="Be brief.", user_template="Q: {{ q }}", author="t"
        )
    return project.id, version.id  # type: ignore[return-value]


def fake_model(engine: Engine, server: FakeLLMServer) -> int:
    endpoint = endpoints.add_endpoint(
        engine,
        actor="t",
        name="Fake",
        provider="openai_compatible",
        base_url=server.openai_base_url,
        api_key_env="WB_KEY",
        max_retries=0,
        timeout_s=10,
    )
    return endpoints.add_model(engine, actor="t", endpoint_id=endpoint.id, model="fake-large").id  # type: ignore[arg-type, return-value]


def ten_answers(engine: Engine, project_id: int, version_id: int, model_id: int) -> list[Output]:
    """Ten questions to the model, one at a time (the first gets what the server has queued);
    the run must end "done" with ten stored outputs."""
    rows = [RowInput({"q": f"question {i}"}) for i in range(10)]
    report = run_cells(
        engine,
        plan([version_id], [ModelChoice(model_id)], rows),
        RunOptions(project_id=project_id, actor="t", max_concurrency=1),
        lookup=lookup,
    )
    stored = outputs.run_outputs(engine, report.run_id)
    assert report.status == "done" and len(stored) == 10
    return stored


def test_clean_text_removes_nul_and_replaces_lone_surrogates() -> None:
    assert storable_text.clean_text("bad\x00byte") == ("badbyte", 1)
    assert storable_text.clean_text("half \ud83d emoji") == ("half \ufffd emoji", 1)
    assert storable_text.clean_text("fine ✓") == ("fine ✓", 0)
    value, changed = storable_text.clean_json({"k\x00": ["a\x00", {"b": "c\x00"}], "n": 1})
    assert value == {"k": ["a", {"b": "c"}], "n": 1} and changed == 3


def test_a_nul_answer_among_ten_keeps_nine_plus_a_cleaned_tenth(
    storage_engine: Engine, fake_server: FakeLLMServer
) -> None:
    project_id, version_id = bench(storage_engine)
    model_id = fake_model(storage_engine, fake_server)
    fake_server.enqueue(Behaviour(text="bad\u0000byte"))
    stored = ten_answers(storage_engine, project_id, version_id, model_id)
    assert all(o.status == "ok" for o in stored)
    (cleaned,) = [o for o in stored if o.text == "badbyte"]
    assert "1 character removed or replaced" in (cleaned.error_message or "")
    assert all(o.error_message is None for o in stored if o is not cleaned)
    assert outputs.get_run(storage_engine, cleaned.run_id).status == "done"


def test_a_nul_in_a_variable_value_keeps_every_output(storage_engine: Engine) -> None:
    """The offline Echo answers with the rendered prompt, so the NUL reaches the variables, the
    messages and the answer text of its row."""
    project_id, version_id = bench(storage_engine)
    endpoints.ensure_builtin_endpoints(storage_engine)
    echo = next(m for m in endpoints.list_models(storage_engine) if m.model == "echo")
    rows = [RowInput({"q": f"question {i}" + ("\x00" if i == 3 else "")}) for i in range(10)]
    report = run_cells(
        storage_engine,
        plan([version_id], [ModelChoice(echo.id)], rows),  # type: ignore[arg-type]
        RunOptions(project_id=project_id, actor="t"),
    )
    stored = outputs.run_outputs(storage_engine, report.run_id)
    assert report.status == "done" and len(stored) == 10 and all(o.status == "ok" for o in stored)
    third = next(o for o in stored if o.row_index == 3)
    assert third.variables == {"q": "question 3"}
    assert all("\x00" not in m["content"] for m in third.messages)
    assert "\x00" not in third.text


def test_a_project_name_with_nul_is_stored_clean(storage_engine: Engine) -> None:
    with session_scope(storage_engine) as session:
        project = project_records.create_project(session, actor="t", name="Late\x00 orders")
    assert project_records.get_project(storage_engine, project.id).name == "Late orders"  # type: ignore[arg-type]


def test_an_over_long_project_name_is_refused_by_name_on_both_backends(storage_engine: Engine) -> None:
    refused = r"project name can be at most 200 characters; this one has 250"
    with pytest.raises(InvalidInput, match=refused), session_scope(storage_engine) as session:
        project_records.create_project(session, actor="t", name="x" * 250)
    with session_scope(storage_engine) as session:
        assert session.exec(select(Project)).all() == []
        assert session.exec(select(AuditEvent)).all() == []


def test_call_records_are_cut_to_fit_rather_than_lost(storage_engine: Engine) -> None:
    project_id, version_id = bench(storage_engine)
    run = outputs.create_run(storage_engine, project_id=project_id, actor="t", prompt_version_id=version_id)
    odd: dict[str, Any] = {"finish_reason": "f" * 60, "error_kind": "k" * 50}
    saved = outputs.save_output(storage_engine, Output(run_id=run.id, text="answer", **odd))  # type: ignore[arg-type]
    with session_scope(storage_engine) as session:
        row = session.get(Output, saved.id)
        assert row is not None and row.text == "answer"
        assert len(row.finish_reason or "") == 40 and (row.finish_reason or "").endswith("…")
        assert len(row.error_kind or "") == 40


def test_an_answer_the_database_refuses_becomes_a_failed_cell_and_the_run_goes_on(
    engine: Engine, fake_server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the database refuses (here: a save that raises for one answer), that cell is
    stored as a failure saying so, every other answer is kept, and the writer is never shut
    down under the cells still running ("cannot schedule new futures after shutdown")."""
    project_id, version_id = bench(engine)
    model_id = fake_model(engine, fake_server)
    fake_server.enqueue(Behaviour(text="poison"))
    real_save = outputs.save_output

    def refusing(eng: Engine, output: Output) -> Output:
        if output.text == "poison":
            raise RuntimeError("the database refused this row")
        return real_save(eng, output)

    monkeypatch.setattr(outputs, "save_output", refusing)
    stored = ten_answers(engine, project_id, version_id, model_id)
    (refused,) = [o for o in stored if o.status == "error"]
    assert refused.error_kind == "storage" and "refused to store it" in (refused.error_message or "")
    assert sum(o.status == "ok" for o in stored) == 9
