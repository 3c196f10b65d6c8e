"""The structured builder: a prompt from labelled parts instead of a blank page.

People who do not know what a good prompt contains fill in role, task, context, audience,
output format, constraints and examples; the builder assembles a system and a user template
that they then edit like any other. The parts map onto the checklist's rules, so a filled-in
builder produces a prompt the checklist has little to say about.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.errors import InvalidInput
from workbench.prompts.templates import PromptTemplate

PARTS = ("role", "task", "context", "audience", "output_format", "constraints", "examples")


@dataclass(frozen=True)
class BuilderParts:
    role: str = ""
    task: str = ""
    context: str = ""
    audience: str = ""
    output_format: str = ""
    constraints: str = ""
    examples: str = ""


def _role_sentence(role: str) -> str:
    role = role.strip().rstrip(".")
    if not role:
        return ""
    lowered = role.lower()
    if lowered.startswith(("you are", "you're", "act as")):
        return role[0].upper() + role[1:] + "."
    article = "an" if lowered[0] in "aeiou" else "a"
    if lowered.startswith(("a ", "an ", "the ")):
        return f"You are {role}."
    return f"You are {article} {role}."


def _bullets(text: str) -> str:
    """One constraint per line, shown as a list (existing dashes are kept, not doubled)."""
    lines = [line.strip().lstrip("-•* ").strip() for line in text.splitlines()]
    return "\n".join(f"- {line}" for line in lines if line)


def assemble(parts: BuilderParts) -> PromptTemplate:
    """Role and audience become the system message; task, context, format, constraints and
    examples the user message, each under a plain heading. ``{{ variables }}`` typed into any
    part stay variables. Raises ``InvalidInput`` without a task, ``TemplateError`` when a part
    has broken braces."""
    task = parts.task.strip()
    if not task:
        raise InvalidInput("Describe the task: what should the model produce?")
    system_lines = [_role_sentence(parts.role)]
    if parts.audience.strip():
        system_lines.append(f"Your audience: {parts.audience.strip().rstrip('.')}.")
    user_sections = [task]
    if parts.context.strip():
        user_sections.append(f"Context:\n{parts.context.strip()}")
    if parts.output_format.strip():
        user_sections.append(f"Output format:\n{parts.output_format.strip()}")
    if parts.constraints.strip():
        user_sections.append(f"Rules:\n{_bullets(parts.constraints)}")
    if parts.examples.strip():
        user_sections.append(f"Example of a good answer:\n{parts.examples.strip()}")
    template = PromptTemplate(
        system=" ".join(line for line in system_lines if line),
        user="\n\n".join(user_sections),
    )
    template.validate()
    return template
