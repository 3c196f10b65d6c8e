"""Test cases of a prompt: the bench questions with known answers, and their assertions.

Every write is validated first (assertion specs, and for tables every row) and then made in the
caller's transaction with its audit events (writes take a ``Session`` and do not commit), so a
refused import or table save writes nothing at all.
Cases belong to the prompt, not to a version: one bench tests every version. The variable
columns a table must have come from one version's template (the latest unless told), and
variables of any other version of the prompt are accepted too.

Deleting a case keeps the evaluations that used it readable: their outputs and assertion
results lose the link (set to NULL) but keep the snapshot of the case in the evaluation's
config.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from workbench.documents.context import filled_variables
from workbench.errors import InvalidInput, NotFound
from workbench.evals.assertions import validate_assertions
from workbench.evals.spreadsheets import FORMATS, read_table, write_csv, write_xlsx
from workbench.evals.table import cases_to_frame, frame_to_drafts
from workbench.prompts.templates import PromptTemplate
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import AssertionResult, Output, Prompt, PromptVersion, TestCase, utcnow

EDITABLE = ("name", "variables", "expected", "assertions")


@dataclass(frozen=True)
class TableChange:
    added: int = 0
    updated: int = 0
    deleted: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.deleted} deleted"


# ---- reading ----------------------------------------------------------------------------------


def list_cases(engine: Engine, prompt_id: int) -> list[TestCase]:
    with session_scope(engine) as session:
        query = select(TestCase).where(TestCase.prompt_id == prompt_id)
        return list(session.exec(query.order_by(col(TestCase.position), col(TestCase.id))))


def get_case(engine: Engine, case_id: int) -> TestCase:
    with session_scope(engine) as session:
        return fetch(
            session,
            TestCase,
            case_id,
            missing=f"Test case {case_id} does not exist (it may have been deleted).",
        )


def template_variables(
    engine: Engine, prompt_id: int, version_id: int | None = None
) -> tuple[list[str], list[str]]:
    """(variables the table must have, variables it may have) for the prompt's version."""
    with session_scope(engine) as session:
        return _variables(session, prompt_id, version_id)


def _variables(session: Session, prompt_id: int, version_id: int | None) -> tuple[list[str], list[str]]:
    versions = list(
        session.exec(
            select(PromptVersion)
            .where(PromptVersion.prompt_id == prompt_id)
            .order_by(col(PromptVersion.number).desc())
        )
    )
    if version_id is not None and version_id not in {v.id for v in versions}:
        raise NotFound(f"Version {version_id} is not a version of this prompt.")
    chosen = next((v for v in versions if v.id == version_id), versions[0] if versions else None)

    def names(v: PromptVersion) -> list[str]:
        filled = filled_variables(v.params)  # the context retrieval fills is no column of the bench
        return [
            n
            for n in PromptTemplate(system=v.system_template, user=v.user_template).variables()
            if n not in filled
        ]

    required = names(chosen) if chosen else []
    allowed = [n for v in versions for n in names(v)]
    return required, list(dict.fromkeys(required + allowed))


# ---- single-case writes -----------------------------------------------------------------------


def _snapshot(case: TestCase) -> dict[str, Any]:
    return {
        "name": case.name,
        "variables": case.variables,
        "expected": case.expected,
        "assertions": case.assertions,
    }


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Test cases have no field(s) {', '.join(sorted(unknown))}.")
    clean = dict(values)
    if "expected" in clean:
        clean["expected"] = clean["expected"] if (clean["expected"] or "").strip() else None
    if "variables" in clean:
        if not isinstance(clean["variables"], dict):
            raise InvalidInput("Variables must be a mapping of name to value.", field="variables")
        clean["variables"] = {str(k): v for k, v in clean["variables"].items()}
    if "name" in clean:
        clean["name"] = str(clean["name"] or "").strip()
    return clean


def _audit(session: Session, action: str, case: TestCase, actor: str, project_id: int, **change: Any) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"test_case.{action}",
        entity_type="test_case",
        entity_id=case.id,
        project_id=project_id,
        **change,
    )


def _project_of(session: Session, prompt_id: int) -> int:
    return fetch(session, Prompt, prompt_id).project_id


def _next_position(session: Session, prompt_id: int) -> int:
    current = session.exec(select(func.max(TestCase.position)).where(TestCase.prompt_id == prompt_id)).one()
    return 0 if current is None else current + 1


def _insert(
    session: Session, prompt_id: int, project_id: int, values: dict[str, Any], actor: str, position: int
) -> TestCase:
    case = TestCase(prompt_id=prompt_id, position=position, **values)
    session.add(case)
    session.flush()
    _audit(session, "create", case, actor, project_id, after=_snapshot(case))
    return case


def add_case(
    session: Session,
    *,
    prompt_id: int,
    actor: str,
    variables: dict[str, Any],
    name: str = "",
    expected: str | None = None,
    assertions: Sequence[dict[str, Any]] = (),
) -> TestCase:
    values = _clean({"name": name, "variables": variables, "expected": expected})
    values["assertions"] = validate_assertions(list(assertions), values["expected"])
    project_id = _project_of(session, prompt_id)
    return _insert(session, prompt_id, project_id, values, actor, _next_position(session, prompt_id))


def _apply_update(
    session: Session, case: TestCase, values: dict[str, Any], actor: str, project_id: int
) -> bool:
    before = _snapshot(case)
    for key, value in values.items():
        setattr(case, key, value)
    after = _snapshot(case)
    changed = [k for k in after if after[k] != before[k]]
    if not changed:
        return False
    case.updated_at = utcnow()
    session.add(case)
    _audit(
        session,
        "update",
        case,
        actor,
        project_id,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return True


def update_case(session: Session, case_id: int, *, actor: str, **values: Any) -> TestCase:
    values = _clean(values)
    case = fetch(session, TestCase, case_id)
    expected = values.get("expected", case.expected)
    values["assertions"] = validate_assertions(list(values.get("assertions", case.assertions)), expected)
    _apply_update(session, case, values, actor, _project_of(session, case.prompt_id))
    return case


def _delete(session: Session, case: TestCase, actor: str, project_id: int) -> None:
    # Keep outputs and assertion results of past evaluations; only the link goes.
    session.execute(update(Output).where(col(Output.test_case_id) == case.id).values(test_case_id=None))
    session.execute(
        update(AssertionResult).where(col(AssertionResult.test_case_id) == case.id).values(test_case_id=None)
    )
    _audit(session, "delete", case, actor, project_id, before=_snapshot(case))
    session.delete(case)


def delete_case(session: Session, case_id: int, *, actor: str) -> None:
    case = fetch(session, TestCase, case_id)
    _delete(session, case, actor, _project_of(session, case.prompt_id))


def reorder_cases(session: Session, prompt_id: int, ordered_ids: Sequence[int], *, actor: str) -> None:
    """Put the prompt's cases in ``ordered_ids`` order; the list must name each case once."""
    project_id = _project_of(session, prompt_id)
    cases = {id_of(c): c for c in session.exec(select(TestCase).where(TestCase.prompt_id == prompt_id))}
    if sorted(ordered_ids) != sorted(cases):
        raise InvalidInput("The new order must list every test case of this prompt exactly once.")
    before = [c.id for c in sorted(cases.values(), key=lambda c: (c.position, c.id))]
    for position, case_id in enumerate(ordered_ids):
        cases[case_id].position = position
        session.add(cases[case_id])
    audit.record(
        session,
        actor=actor,
        action="test_case.reorder",
        entity_type="prompt",
        entity_id=prompt_id,
        project_id=project_id,
        before={"order": before},
        after={"order": list(ordered_ids)},
    )


# ---- tables: the editor, CSV and XLSX ---------------------------------------------------------


def cases_frame(
    engine: Engine,
    prompt_id: int,
    version_id: int | None = None,
    extra_types: Sequence[str] = (),
    with_id: bool = False,
) -> pd.DataFrame:
    required, _ = template_variables(engine, prompt_id, version_id)
    return cases_to_frame(list_cases(engine, prompt_id), required, extra_types, with_id=with_id)


def save_table(
    session: Session,
    prompt_id: int,
    frame: pd.DataFrame,
    *,
    actor: str,
    version_id: int | None = None,
    shown_ids: Sequence[int] | None = None,
) -> TableChange:
    """Apply an edited table, all or nothing: rows with an ``id`` update their case, rows
    without are added, and cases that were shown (``shown_ids``; default: all) but are no longer
    in the table are deleted. Table order becomes case order. Cases someone else added since the
    table was shown are left alone (they follow the table's cases); on the same row the last
    save wins."""
    required, allowed = _variables(session, prompt_id, version_id)
    drafts = frame_to_drafts(
        frame, required=required, allowed=allowed, first_row=1, outcome="Nothing was saved"
    )
    project_id = _project_of(session, prompt_id)
    query = select(TestCase).where(TestCase.prompt_id == prompt_id)
    stored = {c.id: c for c in session.exec(query.order_by(col(TestCase.position), col(TestCase.id)))}
    gone = [d for d in drafts if d.id is not None and d.id not in stored]
    if gone:
        raise InvalidInput(
            f"Row {gone[0].row}: this case was deleted meanwhile. Nothing was saved; reload the page."
        )
    kept = {d.id for d in drafts}
    shown = set(stored) if shown_ids is None else set(shown_ids)
    deleted = [case for case_id, case in stored.items() if case_id in shown and case_id not in kept]
    for case in deleted:
        _delete(session, case, actor, project_id)
    added = updated = 0
    for position, draft in enumerate(drafts):
        if draft.id is None:
            _insert(session, prompt_id, project_id, draft.content(), actor, position)
            added += 1
            continue
        case = stored[draft.id]
        updated += _apply_update(session, case, draft.content(), actor, project_id)
        case.position = position
        session.add(case)
    others = [c for i, c in stored.items() if i not in shown and i not in kept]
    for position, case in enumerate(others, start=len(drafts)):
        case.position = position
        session.add(case)
    return TableChange(added=added, updated=updated, deleted=len(deleted))


def import_cases(
    session: Session,
    prompt_id: int,
    data: bytes,
    filename: str,
    *,
    actor: str,
    replace: bool = False,
    version_id: int | None = None,
) -> TableChange:
    """Add the file's cases (after the existing ones, or instead of them with ``replace``).

    Every row is checked before anything is written; one problem anywhere refuses the file.
    """
    required, allowed = _variables(session, prompt_id, version_id)
    drafts = frame_to_drafts(read_table(data, filename), required=required, allowed=allowed)
    if not drafts:
        raise InvalidInput(
            f"'{filename}' has no test cases: add one row per case under the header.", field="file"
        )
    project_id = _project_of(session, prompt_id)
    existing = list(session.exec(select(TestCase).where(TestCase.prompt_id == prompt_id)))
    if replace:
        for case in existing:
            _delete(session, case, actor, project_id)
        session.flush()
    start = 0 if replace else _next_position(session, prompt_id)
    for offset, draft in enumerate(drafts):
        _insert(session, prompt_id, project_id, draft.content(), actor, start + offset)
    audit.record(
        session,
        actor=actor,
        action="test_case.import",
        entity_type="prompt",
        entity_id=prompt_id,
        project_id=project_id,
        detail=filename,
        after={"file": filename, "added": len(drafts), "replaced": len(existing) if replace else 0},
    )
    return TableChange(added=len(drafts), deleted=len(existing) if replace else 0)


def export_cases(engine: Engine, prompt_id: int, fmt: str = "csv", version_id: int | None = None) -> bytes:
    """The prompt's cases in the import format: CSV (UTF-8 with BOM, for Excel) or XLSX."""
    if fmt not in FORMATS:
        raise InvalidInput(f"Export format must be one of {', '.join(FORMATS)}.", field="format")
    frame = cases_frame(engine, prompt_id, version_id)
    if fmt == "csv":
        return write_csv(frame)
    return write_xlsx(frame)


def export_filename(prompt_name: str, fmt: str) -> str:
    """``hr-policy-answer-cases.csv`` for prompt "HR policy answer"."""
    slug = re.sub(r"[^a-z0-9]+", "-", prompt_name.lower()).strip("-") or "prompt"
    return f"{slug}-cases.{fmt}"
