"""Side-by-side diffs of prompt templates and versions (difflib), with changed words marked.

Rows pair the old and the new line the way a person reads a diff: unchanged lines side by side,
a changed line next to its replacement with the changed words marked, and removed or added
lines opposite a gap. The page only renders these rows; the logic lives here, testable.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from workbench.errors import InvalidInput
from workbench.prompts.templates import PromptTemplate
from workbench.prompts.versions import get_version

Span = tuple[str, bool]  # (text, changed)
TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class DiffRow:
    kind: str  # equal | replace | delete | insert
    left_no: int | None
    left: tuple[Span, ...]
    right_no: int | None
    right: tuple[Span, ...]

    @property
    def left_text(self) -> str:
        return "".join(text for text, _ in self.left)

    @property
    def right_text(self) -> str:
        return "".join(text for text, _ in self.right)


def _word_spans(old: str, new: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    a, b = TOKEN.findall(old), TOKEN.findall(new)
    left: list[Span] = []
    right: list[Span] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            left.append(("".join(a[i1:i2]), not same))
        if j2 > j1:
            right.append(("".join(b[j1:j2]), not same))
    return tuple(left), tuple(right)


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """Rows comparing ``old`` and ``new`` line by line (1-based line numbers)."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("equal", i + 1, ((a[i], False),), j + 1, ((b[j], False),))
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        if tag == "delete":
            rows += [DiffRow("delete", i + 1, ((a[i], True),), None, ()) for i in range(i1, i2)]
            continue
        if tag == "insert":
            rows += [DiffRow("insert", None, (), j + 1, ((b[j], True),)) for j in range(j1, j2)]
            continue
        for k in range(max(i2 - i1, j2 - j1)):  # replace: pair lines up, the rest are gaps
            i, j = i1 + k, j1 + k
            if i < i2 and j < j2:
                left, right = _word_spans(a[i], b[j])
                rows.append(DiffRow("replace", i + 1, left, j + 1, right))
            elif i < i2:
                rows.append(DiffRow("delete", i + 1, ((a[i], True),), None, ()))
            else:
                rows.append(DiffRow("insert", None, (), j + 1, ((b[j], True),)))
    return rows


def changed(rows: list[DiffRow]) -> bool:
    return any(row.kind != "equal" for row in rows)


@dataclass(frozen=True)
class TemplateDiff:
    system: list[DiffRow]
    user: list[DiffRow]

    @property
    def changed(self) -> bool:
        return changed(self.system) or changed(self.user)


def diff_templates(old: PromptTemplate, new: PromptTemplate) -> TemplateDiff:
    return TemplateDiff(system=side_by_side(old.system, new.system), user=side_by_side(old.user, new.user))


@dataclass(frozen=True)
class VersionDiff:
    left_number: int
    right_number: int
    templates: TemplateDiff
    params: list[tuple[str, Any, Any]]  # (name, left value, right value) where they differ
    left_note: str = ""
    right_note: str = ""


def diff_versions(engine: Engine, left_id: int, right_id: int) -> VersionDiff:
    """Compare two versions of the same prompt: both messages and the default parameters."""
    left, right = get_version(engine, left_id), get_version(engine, right_id)
    if left.prompt_id != right.prompt_id:
        raise InvalidInput("Pick two versions of the same prompt to compare.", field="version")
    templates = diff_templates(
        PromptTemplate(left.system_template, left.user_template),
        PromptTemplate(right.system_template, right.user_template),
    )
    lp, rp = dict(left.params or {}), dict(right.params or {})
    params = [(k, lp.get(k), rp.get(k)) for k in sorted(set(lp) | set(rp)) if lp.get(k) != rp.get(k)]
    return VersionDiff(
        left_number=left.number,
        right_number=right.number,
        templates=templates,
        params=params,
        left_note=left.change_note,
        right_note=right.change_note,
    )
