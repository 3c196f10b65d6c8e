"""The Draft page's rules: what the live preview shows and what a save requires.

A version is saved only when it renders with the example values typed next to it: a template
with broken braces, an unknown filter, a blocked expression or a variable left without a value
is refused with the message the preview already shows, and nothing is written. Blank values
count as missing, so "undefined variable" is caught here rather than in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from workbench.documents.context import filled_variables
from workbench.errors import InvalidInput, TemplateError
from workbench.prompts import versions
from workbench.prompts.checklist import placeholders
from workbench.prompts.templates import Message, PromptTemplate
from workbench.store.lookup import id_of
from workbench.store.tables import PromptVersion


@dataclass(frozen=True)
class Preview:
    """Variables found, and either the rendered messages or the error that stops them."""

    variables: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    error: TemplateError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def filled_values(values: Mapping[str, Any], variables: list[str]) -> dict[str, str]:
    """The non-blank values of the template's variables (values are data, never templates)."""
    out: dict[str, str] = {}
    for name in variables:
        value = values.get(name)
        if value is not None and str(value).strip():
            out[name] = str(value)
    return out


def preview(system: str, user: str, values: Mapping[str, Any]) -> Preview:
    template = PromptTemplate(system=system, user=user)
    try:
        variables = template.variables()
    except TemplateError as exc:
        # Keep the variables form while the user fixes a typo, so typed values are not lost.
        return Preview(variables=placeholders(system, user), error=exc)
    try:
        messages = template.render(filled_values(values, variables))
    except TemplateError as exc:
        return Preview(variables=variables, error=exc)
    return Preview(variables=variables, messages=messages)


def with_retrieved(values: Mapping[str, Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values with a stand-in for the context that retrieval fills at run time, so a draft
    whose context comes from documents can be checked and saved (its samples never keep it)."""
    return {**dict.fromkeys(filled_variables(params), "(passages from the project's documents)"), **values}


def line_of(system: str, user: str, error: TemplateError) -> str:
    """The text of the line an error points at, so the page can quote it."""
    source = {"system": system, "user": user}.get(error.source or "", "")
    lines = source.splitlines()
    if error.line is None or not 1 <= error.line <= len(lines):
        return ""
    return lines[error.line - 1]


def check_saveable(
    system: str, user: str, values: Mapping[str, Any], *, author: str, change_note: str
) -> dict[str, str]:
    """Raise what stops a save (in the order a person should fix it); return the example values."""
    if not (system.strip() or user.strip()):
        raise InvalidInput("Both messages are empty: write the task in the user message first.")
    result = preview(system, user, values)
    if result.error is not None:
        raise result.error
    if not author.strip():
        raise InvalidInput("Type your name in the sidebar, so the history shows who saved this version.")
    if not change_note.strip():
        raise InvalidInput("Write a change note: one line on what changed and why.")
    return filled_values(values, result.variables)


def save_draft(
    session: Session,
    *,
    prompt_id: int,
    system: str,
    user: str,
    values: Mapping[str, Any],
    author: str,
    change_note: str,
    params: dict[str, Any] | None = None,
    parent_id: int | None = None,
) -> PromptVersion:
    """Save the draft as the next version of ``prompt_id``; refused (nothing written) unless it renders."""
    sample = check_saveable(
        system, user, with_retrieved(values, params), author=author, change_note=change_note
    )
    sample = {k: v for k, v in sample.items() if k not in filled_variables(params)}
    return versions.save_version(
        session,
        prompt_id=prompt_id,
        system_template=system,
        user_template=user,
        author=author.strip(),
        change_note=change_note,
        params=params,
        sample_variables=sample,
        parent_id=parent_id,
    )


def free_prompt_name(engine: Engine, project_id: int, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when the project already has a prompt so named."""
    taken = {p.name for p in versions.list_prompts(engine, project_id, include_archived=True)}
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def save_new_prompt(
    session: Session,
    *,
    project_id: int,
    name: str,
    system: str,
    user: str,
    values: Mapping[str, Any],
    author: str,
    change_note: str,
    description: str = "",
    params: dict[str, Any] | None = None,
) -> PromptVersion:
    """Create prompt ``name`` with the draft as version 1, in the caller's transaction. Everything
    is checked before the prompt row is written, and both rows commit together, so a refused
    draft leaves no empty prompt behind."""
    if not name.strip():
        raise InvalidInput("Give the new prompt a name, e.g. 'Late order reply'.")
    check_saveable(system, user, with_retrieved(values, params), author=author, change_note=change_note)
    prompt = versions.create_prompt(
        session, project_id=project_id, name=name, actor=author.strip(), description=description
    )
    return save_draft(
        session,
        prompt_id=id_of(prompt),
        system=system,
        user=user,
        values=values,
        author=author,
        change_note=change_note,
        params=params,
    )
