"""Prompts as a CSV (or XLSX) table: export the latest versions, import new prompts and versions.

Columns: ``project``, ``prompt``, ``description``, ``system``, ``user``, ``change_note``,
``sample_variables`` (a JSON object, optional) and ``label`` (optional: point that label, e.g.
``production``, at the imported version). ``project``, ``prompt`` and one of ``system``/``user``
are required. A row whose prompt exists in the project adds its next version; otherwise the
prompt is created with version 1 (several rows of one new prompt become v1, v2, ...).

Every row is checked before anything is written: the project exists, the names fit, each
template parses (the error names its message and line), the sample values are a JSON object
and fill the template. One bad row refuses the whole file, listing every problem with its row
and column (the header is row 1). The writes happen in the caller's transaction (``import_prompts``
takes a session) with their audit events and an ``import.csv`` / ``import.xlsx`` event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, TemplateError
from workbench.evals.spreadsheets import read_table, write_csv
from workbench.evals.table import Problems, cell_text
from workbench.exports.files import ExportFile, record_export, stamp
from workbench.exports.key_scrub import Scrubber
from workbench.exports.scope import Selection, prompt_ids_query
from workbench.prompts import versions
from workbench.prompts.templates import PromptTemplate
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import Project, Prompt, PromptVersion

COLUMNS = ["project", "prompt", "description", "system", "user", "change_note", "sample_variables", "label"]
REQUIRED = ("project", "prompt")
NAME_LIMIT = 200


@dataclass(frozen=True)
class PromptRow:
    row: int
    project_id: int
    prompt: str
    description: str
    system: str
    user: str
    change_note: str
    sample_variables: dict[str, Any]
    label: str


def template_csv() -> bytes:
    """An example file to start from."""
    example = pd.DataFrame(
        [
            {
                "project": "Customer service replies",
                "prompt": "Refund reply",
                "description": "Answer a refund request",
                "system": "You are a courteous support agent.",
                "user": "Reply to {{ customer }} about refund {{ refund_id }}.",
                "change_note": "imported",
                "sample_variables": '{"customer": "Ana", "refund_id": "R-1"}',
                "label": "staging",
            }
        ],
        columns=COLUMNS,
    )
    return write_csv(example)


def _check_row(
    values: dict[str, str],
    number: int,
    projects: dict[str, int],
    problems: Problems,
    allowed: set[int] | None,
) -> PromptRow | None:
    before = len(problems.items)
    project = values.get("project", "").strip()
    if not project:
        problems.add(number, "project", "empty: name the project the prompt belongs to.")
    elif project not in projects:
        problems.add(
            number, "project", f"no project named '{project}'. Projects: {', '.join(sorted(projects))}."
        )
    elif allowed is not None and projects[project] not in allowed:
        problems.add(number, "project", f"you may not import into '{project}' (admins of the project only).")
    name = values.get("prompt", "").strip()
    if not name:
        problems.add(number, "prompt", "empty: every row needs the prompt's name.")
    elif len(name) > NAME_LIMIT:
        problems.add(number, "prompt", f"{len(name)} characters; at most {NAME_LIMIT}.")
    system, user = values.get("system", ""), values.get("user", "")
    if not (system.strip() or user.strip()):
        problems.add(number, "user", "both messages are empty: write a system or a user message.")
    template = PromptTemplate(system=system, user=user)
    try:
        template.validate()
    except TemplateError as exc:
        problems.add(
            number, exc.source or "user", f"line {exc.line}: {exc.message}" if exc.line else exc.message
        )
    samples: dict[str, Any] = {}
    raw = values.get("sample_variables", "").strip()
    if raw:
        try:
            samples = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.add(
                number,
                "sample_variables",
                f'not JSON ({exc.msg}); write an object such as {{"name": "Ana"}}.',
            )
        if not isinstance(samples, dict):
            problems.add(number, "sample_variables", "must be a JSON object of variable names and values.")
            samples = {}
    if samples and len(problems.items) == before:
        try:
            template.render({**dict.fromkeys(template.variables(), ""), **samples})
        except TemplateError as exc:
            problems.add(number, "sample_variables", exc.message)
    label = values.get("label", "").strip()
    if len(label) > 100:
        problems.add(number, "label", "at most 100 characters.")
    if len(problems.items) > before:
        return None
    return PromptRow(
        number,
        projects[project],
        name,
        values.get("description", "").strip(),
        system,
        user,
        values.get("change_note", "").strip(),
        samples,
        label,
    )


def read_prompts(
    session: Session, data: bytes, filename: str, allowed: set[int] | None = None
) -> list[PromptRow]:
    """Every row checked; raises one InvalidInput listing each problem (nothing is written)."""
    frame = read_table(data, filename)
    problems = Problems()
    headers = [str(c).strip().lower() for c in frame.columns]
    for column in headers:
        if column not in COLUMNS:
            problems.add(1, column or None, f"unknown column; the columns are {', '.join(COLUMNS)}.")
    for column in REQUIRED:
        if column not in headers:
            problems.add(1, column, "missing: the file needs this column.")
    if problems.items:
        problems.raise_if_any("Nothing was imported")
    frame.columns = headers
    projects = {name: pid for pid, name in session.exec(select(Project.id, Project.name))}
    rows = []
    for offset, record in enumerate(frame.to_dict("records")):
        values = {k: cell_text(v) for k, v in record.items()}
        if not any(v.strip() for v in values.values()):
            continue  # blank line
        found = _check_row(values, offset + 2, projects, problems, allowed)  # type: ignore[arg-type]
        if found:
            rows.append(found)
    problems.raise_if_any("Nothing was imported")
    if not rows:
        raise InvalidInput(
            f"'{filename}' has no prompts: add one row per prompt under the header.", field="file"
        )
    return rows


def import_prompts(
    session: Session, data: bytes, filename: str, *, actor: str, allowed: set[int] | None = None
) -> dict[str, int]:
    """Add the file's prompts and versions in the caller's transaction, all or nothing (every row
    is checked before the first is written); returns what was added. ``allowed`` (``None``:
    any) fences the projects rows may write to."""
    rows = read_prompts(session, data, filename, allowed)
    fmt = PurePath(filename).suffix.lower().lstrip(".")
    created = added = labelled = 0
    for item in rows:
        prompt = session.exec(
            select(Prompt).where(Prompt.project_id == item.project_id, Prompt.name == item.prompt)
        ).first()
        if prompt is None:
            prompt = versions.add_prompt(
                session,
                project_id=item.project_id,
                name=item.prompt,
                actor=actor,
                description=item.description,
            )
            created += 1
        version = versions.add_version(
            session,
            prompt,
            system_template=item.system,
            user_template=item.user,
            author=actor,
            change_note=item.change_note or f"imported from {filename}",
            sample_variables=item.sample_variables,
        )
        added += 1
        if item.label:
            versions.set_label(
                session,
                version_id=id_of(version),
                name=item.label,
                actor=actor,
                note=f"imported from {filename}",
            )
            labelled += 1
    counts = {"prompts_created": created, "versions_added": added, "labels_set": labelled}
    audit.record(
        session,
        actor=actor,
        action=f"import.{fmt}",
        entity_type="prompt",
        detail=filename,
        after={"file": filename, **counts},
    )
    return counts


def export_prompts(engine: Engine, selection: Selection, *, actor: str, scrub: Scrubber) -> ExportFile:
    """The selected prompts' latest versions in the import format (CSV)."""
    latest = (
        select(PromptVersion.prompt_id, func.max(PromptVersion.number).label("number"))
        .group_by(col(PromptVersion.prompt_id))
        .subquery()
    )
    with session_scope(engine) as session:
        rows = session.exec(
            select(Project.name, Prompt.name, Prompt.description, PromptVersion)
            .join(Prompt, col(Prompt.project_id) == Project.id)
            .join(latest, latest.c.prompt_id == Prompt.id)
            .join(
                PromptVersion,
                (col(PromptVersion.prompt_id) == Prompt.id) & (col(PromptVersion.number) == latest.c.number),
            )
            .where(col(Prompt.id).in_(prompt_ids_query(selection)))
            .order_by(col(Project.name), col(Prompt.name))
        ).all()
    frame = pd.DataFrame(
        [
            {
                "project": project,
                "prompt": name,
                "description": description,
                "system": v.system_template,
                "user": v.user_template,
                "change_note": v.change_note,
                "sample_variables": json.dumps(v.sample_variables or {}, ensure_ascii=False)
                if v.sample_variables
                else "",
                "label": "",
            }
            for project, name, description, v in rows
        ],
        columns=COLUMNS,
    )
    record_export(engine, actor=actor, fmt="csv", selection=selection, counts={"prompts": len(frame)})
    data = scrub(write_csv(frame).decode("utf-8-sig")).encode("utf-8-sig")
    return ExportFile(f"workbench-prompts-{stamp()}.csv", "text/csv", data, {"prompts": len(frame)})
