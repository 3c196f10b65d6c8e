"""Work a killed process left "running" is marked interrupted on start, with what was saved and
what not; work of a live process is left alone; Compare shows lost cells; an interrupted
evaluation checks its saved answers and reruns only its missing cells."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest
from sqlalchemy import Engine
from sqlmodel import col, func, select

from tests.conftest import ROOT
from tests.fakes.server import FakeLLMServer
from workbench.evals import evaluations, matrix, past_runs
from workbench.evals.cases import add_case
from workbench.evals.interrupted import mark_interrupted
from workbench.evals.snapshot import snapshot_config
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs import outputs
from workbench.runs.runner import RunOptions, run_cells
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.liveness import owner_gone, process_token
from workbench.store.tables import AssertionResult, Evaluation, Output, Run

CHILD = """
import sys
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, plan, run_cells
from workbench.store.engine import make_engine

url, project_id, version_id, fast, slow = sys.argv[1], *map(int, sys.argv[2:])
rows = [RowInput({"q": f"question {i}"}) for i in range(3)]
cells = plan([version_id], [ModelChoice(fast), ModelChoice(slow)], rows)
run_cells(make_engine(url), cells, RunOptions(project_id=project_id, actor="child"))
"""


def dead_owner() -> str:
    """The owner token of a process of this host that has exited."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    return f"{socket.gethostname()}:{child.stdout.strip()}:0"


def bench(engine: Engine, server: FakeLLMServer | None = None) -> tuple[int, int, dict[str, int]]:
    """A public project, a prompt version, and models by name (Echo; fake ones when a server
    is given)."""
    endpoints.ensure_builtin_endpoints(engine)
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="Work", sensitivity="public")
        prompt = versions.create_prompt(session, project_id=project.id, name="Q", actor="t")  # type: ignore[arg-type]
        version = versions.save_version(
            session, prompt_id=prompt.id, system_template="", user_template="Answer: {{ q }}", author="t"
        )  # type: ignore[arg-type]
    models = {m.model: m.id for m in endpoints.list_models(engine)}
    if server is not None:
        local = endpoints.add_endpoint(
            engine, actor="t", name="Local", provider="openai_compatible", base_url=server.openai_base_url
        )
        for name in ("fake-large", "fake-timeout"):
            models[name] = endpoints.add_model(engine, actor="t", endpoint_id=local.id, model=name).id  # type: ignore[arg-type, assignment]
    return project.id, version.id, models  # type: ignore[return-value]


def saved(engine: Engine, run_id: int | None = None) -> int:
    with session_scope(engine) as session:
        query = select(func.count(col(Output.id)))
        return session.exec(query.where(Output.run_id == run_id) if run_id else query).one()


def test_a_killed_run_shows_as_interrupted_after_restart(
    storage_engine: Engine, fake_server: FakeLLMServer
) -> None:
    project_id, version_id, models = bench(storage_engine, fake_server)
    fake_server.hang_seconds = 120  # the slow model's calls are still out when the process dies
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            storage_engine.url.render_as_string(hide_password=False),  # the child opens the same database
            str(project_id),
            str(version_id),
            str(models["fake-large"]),
            str(models["fake-timeout"]),
        ],
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while saved(storage_engine) < 3 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
        assert saved(storage_engine) == 3  # the fast model's three answers are stored
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    (run,) = outputs.list_runs(storage_engine, prompt_version_id=version_id)
    assert run.status == "running"
    assert mark_interrupted(storage_engine)["runs"] == [run.id]
    (run,) = outputs.list_runs(storage_engine, prompt_version_id=version_id)
    assert run.status == "interrupted" and "3 answers, 3 lost (interrupted)" in run.label
    _titles, cells = outputs.stored_grid(storage_engine, run.id)
    lost = [c for c in cells if c.status == "interrupted"]
    assert len(cells) == 6 and len(lost) == 3 and {c.column for c in lost} == {1}
    assert all(c.error_message == outputs.LOST_MESSAGE and c.variables for c in lost)
    (event,) = audit.search(storage_engine, actions=["run.interrupted"])
    assert event.after["saved"] == 3 and event.after["missing"] == 3


def test_work_of_a_live_process_is_left_running(engine: Engine) -> None:
    project_id, version_id, _ = bench(engine)
    mine = outputs.create_run(engine, project_id=project_id, actor="t", prompt_version_id=version_id)
    other_host = outputs.create_run(engine, project_id=project_id, actor="t", prompt_version_id=version_id)
    with session_scope(engine) as session:
        row = session.get(Run, other_host.id)
        row.owner = "some-other-machine:1234:5678"  # type: ignore[union-attr]
        session.add(row)
    assert not owner_gone(process_token())
    assert mark_interrupted(engine) == {"runs": [], "evaluations": []}
    assert outputs.get_run(engine, mine.id).status == "running"  # type: ignore[arg-type]
    assert outputs.get_run(engine, other_host.id).status == "running"  # type: ignore[arg-type]


def test_an_interrupted_evaluation_checks_saved_answers_and_reruns_only_missing_cells(
    storage_engine: Engine,
) -> None:
    project_id, version_id, models = bench(storage_engine)
    prompt_id = next(p.id for p in versions.list_prompts(storage_engine) if p.name == "Q")
    with session_scope(storage_engine) as session:
        for i in range(4):
            add_case(
                session,
                prompt_id=prompt_id,  # type: ignore[arg-type]
                actor="t",
                variables={"q": f"case {i}"},
                assertions=[{"type": "contains", "value": f"case {i}"}],
            )
    config = snapshot_config(
        storage_engine, prompt_id=prompt_id, version_ids=[version_id], model_ids=[models["echo"]]
    )  # type: ignore[arg-type]
    with session_scope(storage_engine) as session:
        evaluation = evaluations.create_evaluation(session, config, actor="t")
    evaluation_id: int = evaluation.id  # type: ignore[assignment]
    cells = matrix.cells_for(storage_engine, config)
    options = RunOptions(project_id=project_id, actor="t", kind="eval", evaluation_id=evaluation_id)
    run_cells(storage_engine, cells[:2], options)  # two of four answers arrived, then the process died
    with session_scope(storage_engine) as session:
        row = session.get(Evaluation, evaluation_id)
        row.owner = dead_owner()  # type: ignore[union-attr]
        session.add(row)
    assert mark_interrupted(storage_engine)["evaluations"] == [evaluation_id]
    (line,) = past_runs.lines(storage_engine, prompt_id)  # type: ignore[arg-type]
    assert line.status == "interrupted" and "2 answers saved, 2 missing" in line.label
    assert [c.row_index for c in matrix.missing_cells(storage_engine, evaluation_id)] == [2, 3]

    found = matrix.resume_evaluation(storage_engine, evaluation_id, actor="t")
    assert (
        found.evaluation.status == "done"
        and found.summary["total"] == 4
        and found.summary["pass_rate"] == 1.0
    )
    assert saved(storage_engine) == 4  # only the two missing cells ran
    with session_scope(storage_engine) as session:
        checked = session.exec(select(func.count(col(AssertionResult.id)))).one()
    assert checked == 4  # every saved answer is checked, the early two included
    assert [
        e.action
        for e in audit.search(storage_engine, actions=["evaluation.interrupted", "evaluation.resume"])
    ] == [
        "evaluation.resume",
        "evaluation.interrupted",
    ]


def test_resuming_needs_an_interrupted_evaluation(engine: Engine) -> None:
    from workbench.errors import InvalidInput

    _project_id, version_id, models = bench(engine)
    prompt_id = next(p.id for p in versions.list_prompts(engine) if p.name == "Q")
    with session_scope(engine) as session:
        add_case(session, prompt_id=prompt_id, actor="t", variables={"q": "x"})  # type: ignore[arg-type]
    config = snapshot_config(
        engine, prompt_id=prompt_id, version_ids=[version_id], model_ids=[models["echo"]]
    )  # type: ignore[arg-type]
    done = matrix.run_evaluation(engine, config, actor="t")
    with pytest.raises(InvalidInput, match="not interrupted"):
        matrix.resume_evaluation(engine, done.evaluation.id, actor="t")  # type: ignore[arg-type]


def test_compare_shows_a_lost_cell_as_interrupted_once_the_app_starts(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    """The app marks what a stopped server left running when it opens the database, and
    Compare draws the cell that never got its answer as lost, not blank."""
    prompt = next(p for p in versions.list_prompts(app_db) if p.name == "Late order reply")
    local = endpoints.find_endpoint(app_db, "Local fake server")
    large, small = (
        m for m in endpoints.list_models(app_db, local.id) if m.model in ("fake-large", "fake-small")
    )  # type: ignore[union-attr, arg-type]
    for version in versions.list_versions(app_db, prompt.id):  # type: ignore[arg-type]
        columns = [
            {"model_id": m.id, "title": f"Local fake server · {m.model}", "params": {}}
            for m in (large, small)
        ]
        run = outputs.create_run(
            app_db,
            project_id=prompt.project_id,
            actor="t",
            prompt_version_id=version.id,
            settings={"columns": columns, "rows": 1, "cells": 2},
        )
        outputs.save_output(
            app_db,
            Output(
                run_id=run.id,
                prompt_version_id=version.id,
                model_id=large.id,
                text="Saved answer",
                variables=version.sample_variables,
            ),  # type: ignore[arg-type]
        )
        with session_scope(app_db) as session:
            row = session.get(Run, run.id)
            row.owner = dead_owner()  # type: ignore[union-attr]
            session.add(row)
    at = app(page="pages/compare.py")
    assert not at.exception
    assert any(outputs.LOST_MESSAGE in w.value for w in at.warning)
    assert any("interrupted" in m.value for m in at.markdown)
    assert "Saved answer" in "\n".join(m.value for m in at.markdown)


def test_the_evaluate_page_resumes_an_interrupted_evaluation(app, app_db: Engine) -> None:  # type: ignore[no-untyped-def]
    prompt = next(p for p in versions.list_prompts(app_db) if p.name == "HR policy answer")
    echo = next(m for m in endpoints.list_models(app_db) if m.model == "echo")
    version = versions.latest_version(app_db, prompt.id)  # type: ignore[arg-type]
    config = snapshot_config(app_db, prompt_id=prompt.id, version_ids=[version.id], model_ids=[echo.id])  # type: ignore[arg-type, list-item]
    with session_scope(app_db) as session:
        evaluation = evaluations.create_evaluation(session, config, actor="t")
        evaluation.owner = dead_owner()
        session.add(evaluation)
    at = app(page="pages/evaluate.py")
    at.sidebar.selectbox(key="sidebar_project").set_value(prompt.project_id).run()
    assert not at.exception
    total = len(config.cases)
    assert any(f"0 answers were saved and {total} never came" in w.value for w in at.warning)
    at.button(key="evaluate_resume").click().run()
    deadline = time.monotonic() + 60
    while (
        evaluations.get_evaluation(app_db, evaluation.id).status == "running" and time.monotonic() < deadline
    ):  # type: ignore[arg-type]
        time.sleep(0.1)
    assert not at.exception
    done = evaluations.get_evaluation(app_db, evaluation.id)  # type: ignore[arg-type]
    assert done.status == "done" and saved(app_db) >= total
