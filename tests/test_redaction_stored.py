"""Redaction is what is stored: a redacted run keeps no raw personal data in its rows or in any
export, on SQLite and PostgreSQL; exports of confidential and restricted projects redact
personal data by default, say so, and can be asked not to."""

from __future__ import annotations

import io
import json
import re
import zipfile

from openpyxl import load_workbook
from sqlalchemy import Engine

from tests.fakes.server import FakeLLMServer
from workbench.exports import backup, csv_xlsx, finetune
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection
from workbench.governance import data_policy
from workbench.judging import ratings
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs import outputs, plan
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, run_cells
from workbench.store import audit
from workbench.store.engine import session_scope

EMAIL, PHONE = "dana.smith@example.com", "+44 20 7946 0958"


def bench(engine: Engine, sensitivity: str) -> tuple[int, int, int]:
    """A project with one version and the offline Echo; returns (project, version, model) ids."""
    endpoints.ensure_builtin_endpoints(engine)
    echo = next(m for m in endpoints.list_models(engine) if m.model == "echo")
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="Orders", sensitivity=sensitivity)
        prompt = versions.create_prompt(session, project_id=project.id, name="Reply", actor="t")  # type: ignore[arg-type]
        version = versions.save_version(
            session, prompt_id=prompt.id, system_template="", user_template="Reply to {{ note }}", author="t"
        )  # type: ignore[arg-type]
    return project.id, version.id, echo.id  # type: ignore[return-value]


def redacted_run(engine: Engine, project_id: int, cells: list[plan.Cell]) -> int:
    """The cells settled as Compare's "Redact and continue" settles them, then run."""
    project = project_records.get_project(engine, project_id)
    settled, redactors = {}, {}
    for group in plan.outbound(engine, cells):
        decision = data_policy.check_outbound(project, group.endpoint, group.messages)
        assert decision.redacted is not None
        settled.update(zip(group.keys, decision.redacted, strict=True))
        redactors.update(dict.fromkeys(group.keys, data_policy.redactor_for(project, group.messages)))
    ready = plan.with_messages(cells, settled, redactors)
    return run_cells(engine, ready, RunOptions(project_id=project_id, actor="t")).run_id


def test_a_redacted_runs_rows_and_exports_hold_no_raw_personal_data(
    storage_engine: Engine, fake_server: FakeLLMServer
) -> None:
    project_id, version_id, _ = bench(storage_engine, "internal")
    local = endpoints.add_endpoint(
        storage_engine,
        actor="t",
        name="Local",
        provider="openai_compatible",
        base_url=fake_server.openai_base_url,
    )
    model = endpoints.add_model(storage_engine, actor="t", endpoint_id=local.id, model="fake-large")  # type: ignore[arg-type]
    rows = [RowInput({"note": f"the customer {EMAIL} (phone {PHONE})", "unused": EMAIL})]
    cells = plan.plan([version_id], [ModelChoice(model.id)], rows)  # type: ignore[arg-type]
    run_id = redacted_run(storage_engine, project_id, cells)
    assert EMAIL not in json.dumps([r.body for r in fake_server.chat_requests()])
    (output,) = outputs.run_outputs(storage_engine, run_id)
    stored = json.dumps([output.variables, output.messages, output.text])
    assert EMAIL not in stored and "7946" not in stored
    assert output.variables == {"note": "the customer [EMAIL_1] (phone [PHONE_1])", "unused": "[EMAIL_1]"}
    everything = Selection()
    csv = csv_xlsx.export_table(storage_engine, everything, "csv", actor="t", scrub=Scrubber()).data
    saved = backup.export_backup(storage_engine, actor="t", scrub=Scrubber()).data
    for data in (csv, saved):
        # The phone's middle and last groups, with or without separators; not "7946" alone, which
        # a stored latency such as 17.79467999949702 can hold by chance.
        assert EMAIL.encode() not in data and not re.search(rb"7946\D{0,3}0958", data)


def rated_answer(engine: Engine, sensitivity: str) -> None:
    project_id, version_id, echo = bench(engine, sensitivity)
    rows = [RowInput({"note": f"write to {EMAIL}"})]
    report = run_cells(
        engine,
        plan.plan([version_id], [ModelChoice(echo)], rows),
        RunOptions(project_id=project_id, actor="t"),
    )
    (output,) = report.outputs
    ratings.rate_output(engine, output_id=output.id, rater="Ann", value=5, comment=f"ask {EMAIL}")  # type: ignore[arg-type]


def test_exports_of_a_confidential_project_redact_personal_data_by_default_and_say_so(engine: Engine) -> None:
    rated_answer(engine, "confidential")
    scrub = Scrubber()
    csv = csv_xlsx.export_table(engine, Selection(), "csv", actor="t", scrub=scrub)
    assert EMAIL not in csv.data.decode("utf-8-sig") and "[EMAIL_1]" in csv.data.decode("utf-8-sig")
    assert "placeholders such as [EMAIL_1]" in csv.note and "Orders" in csv.note
    workbook = load_workbook(
        io.BytesIO(csv_xlsx.export_table(engine, Selection(), "xlsx", actor="t", scrub=scrub).data)
    )
    cells = [str(c) for row in workbook["Outputs"].iter_rows(values_only=True) for c in row]
    assert not any(EMAIL in c for c in cells) and any("[EMAIL_1]" in c for c in cells)
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert "placeholders such as [EMAIL_1]" in str(about["personal_data"])
    options = finetune.FineTuneOptions(min_score=4.0, validation_share=0.0)
    made = finetune.export_finetune(engine, Selection(), options, actor="t", scrub=scrub)
    archive = zipfile.ZipFile(io.BytesIO(made.as_zip().data))
    assert EMAIL.encode() not in archive.read("train.jsonl") and b"[EMAIL_1]" in archive.read("train.jsonl")
    assert "placeholders" in json.loads(archive.read("summary.json"))["personal_data"]
    events = audit.search(engine, actions=["export.csv", "export.xlsx", "export.jsonl"])
    assert all(e.after["personal_data_redacted"] == ["Orders"] for e in events) and len(events) == 3


def test_redaction_of_an_export_can_be_switched_off_and_says_so(engine: Engine) -> None:
    rated_answer(engine, "restricted")
    kept = csv_xlsx.export_table(
        engine, Selection(), "csv", actor="t", scrub=Scrubber(), redact_personal_data=False
    )
    assert EMAIL in kept.data.decode("utf-8-sig") and "NOT redacted" in kept.note
    (event,) = audit.search(engine, actions=["export.csv"])
    assert event.after["personal_data_kept"] == ["Orders"]


def test_exports_of_internal_projects_are_unchanged(engine: Engine) -> None:
    rated_answer(engine, "internal")
    found = csv_xlsx.export_table(engine, Selection(), "csv", actor="t", scrub=Scrubber())
    assert EMAIL in found.data.decode("utf-8-sig") and found.note == ""
