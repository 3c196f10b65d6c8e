"""The prompt checklist: offline, deterministic rules that name a weakness and how to fix it.

It runs on every edit of the Draft page, so it must be instant and must never call a model.
Each rule is a small function that looks at the draft and returns a ``Finding`` (what is
weak, why it matters, what to write instead) or ``None``. The rules are heuristics on
wording, tuned on the seed talk's late-order pair and the gallery: the seed's vague prompt
trips five of them, its good prompt one (it asks for a status nobody gave the model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workbench.errors import TemplateError
from workbench.prompts.checklist.rule import JINJA_MARKUP, WORD, Draft, Finding, placeholders
from workbench.prompts.checklist.structure import (
    bracket_placeholder,
    conflicting_instructions,
    format_without_example,
    python_placeholder,
    unfilled_variables,
    unused_variables,
)
from workbench.prompts.checklist.wording import (
    dangling_reference,
    facts_without_source,
    no_audience,
    no_context,
    no_format,
    vague_length,
    vague_task,
)
from workbench.prompts.templates import PromptTemplate

Rule = Callable[[Draft], Finding | None]
RULES: tuple[Rule, ...] = (
    vague_task,
    no_context,
    no_audience,
    no_format,
    vague_length,
    facts_without_source,
    dangling_reference,
    conflicting_instructions,
    format_without_example,
    python_placeholder,
    bracket_placeholder,
    unfilled_variables,
    unused_variables,
)
RULE_IDS: tuple[str, ...] = (*(rule.__name__ for rule in RULES), "empty")


def make_draft(system: str, user: str, values: Mapping[str, Any] | None = None) -> Draft:
    try:
        variables = tuple(PromptTemplate(system=system, user=user).variables())
    except TemplateError:  # the editor reports the syntax error; keep checking the wording
        variables = tuple(placeholders(system, user))
    prose = JINJA_MARKUP.sub(" ", f"{system}\n{user}")
    return Draft(
        system=system,
        user=user,
        prose=prose,
        words=tuple(WORD.findall(prose)),
        variables=variables,
        values=values,
    )


def check(system: str, user: str, values: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every finding for this draft, in rule order. ``values``: example values (None = unchecked)."""
    if not (system.strip() or user.strip()):
        return [
            Finding(
                "empty",
                "Nothing written yet",
                "Both messages are empty.",
                "Write the task in the user message, or start from the Gallery or the builder.",
            )
        ]
    draft = make_draft(system, user, values)
    return [finding for rule in RULES if (finding := rule(draft)) is not None]


__all__ = ["RULES", "RULE_IDS", "Draft", "Finding", "check", "make_draft", "placeholders"]
