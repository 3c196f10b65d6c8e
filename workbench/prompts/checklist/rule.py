"""What every checklist rule works on: the ``Draft`` it reads and the ``Finding`` it returns,
plus the small text helpers the rules share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    rule: str
    title: str
    why: str
    fix: str


@dataclass(frozen=True)
class Draft:
    """What the rules look at: the raw templates, their prose, variables and example values."""

    system: str
    user: str
    prose: str  # both messages with every {{ }}, {% %} and {# #} removed
    words: tuple[str, ...]
    variables: tuple[str, ...]
    values: Mapping[str, Any] | None  # None when no values were given (not checked)

    @property
    def low(self) -> str:
        return self.prose.lower()


JINJA_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
MIN_WORDS = 12
NEGATION = re.compile(
    r"\b(not|no|don't|do not|never|avoid|without|nor|neither|rather than|instead of)\W+(\w+\W+){0,2}$"
)


def pattern(regex: str) -> re.Pattern[str]:
    """Rules match wording, so case does not matter and ``$`` ends a line."""
    return re.compile(regex, re.I | re.M)


def quoted(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def found(regex: re.Pattern[str], text: str) -> list[str]:
    """The distinct matches, lower-cased, so a finding can quote the words it objects to."""
    return sorted({m.group(0).lower() for m in regex.finditer(text)})


def has_material(d: Draft) -> bool:
    """True when the prompt carries the thing it works on: a variable, a quote or a block."""
    if d.variables:
        return True
    if re.search(r"[\"“][^\"”]*?(\b\w+\b[^\"”]*?){4,}[\"”]", d.prose) or "```" in d.prose:
        return True
    return any(len(WORD.findall(tail)) >= 6 for tail in re.findall(r":\s*(.+)", d.prose, re.S))


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def placeholders(system: str, user: str) -> list[str]:
    """Names written as {{ name }}, found without parsing (for templates that do not parse)."""
    return list(dict.fromkeys(PLACEHOLDER.findall(f"{system}\n{user}")))
