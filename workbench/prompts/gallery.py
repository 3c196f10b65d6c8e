"""The gallery: weak/strong prompt pairs with the reasons, and starter templates.

The content is data (``data/gallery.yaml``) so that the people who know the business can add
examples without touching code. Loading validates it fully (schema, unique ids, templates that
parse, example values that render the strong prompt) and names the item at fault, because a
broken example would otherwise only show up when someone clicks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from workbench.errors import ConfigError, NotFound, TemplateError
from workbench.prompts.templates import PromptTemplate

MIN_PAIRS = 12

_TEMPLATE = {
    "type": "object",
    "required": ["system", "user"],
    "additionalProperties": False,
    "properties": {
        "system": {"type": "string"},
        "user": {"type": "string", "minLength": 1},
        "sample_variables": {"type": "object", "additionalProperties": {"type": "string"}},
        "result": {"type": "string"},
    },
}
_REASONS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 10}}
_TEXT = {"type": "string", "minLength": 1}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["pairs", "starters"],
    "additionalProperties": False,
    "properties": {
        "pairs": {
            "type": "array",
            "minItems": MIN_PAIRS,
            "items": {
                "type": "object",
                "required": ["id", "task", "title", "bad", "why_weak", "good", "why_works"],
                "additionalProperties": False,
                "properties": {
                    "id": _TEXT,
                    "task": _TEXT,
                    "title": _TEXT,
                    "source": {"type": "string"},
                    "bad": _TEMPLATE,
                    "why_weak": _REASONS,
                    "good": _TEMPLATE,
                    "why_works": _REASONS,
                },
            },
        },
        "starters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "task", "title", "description", "template"],
                "additionalProperties": False,
                "properties": {
                    "id": _TEXT,
                    "task": _TEXT,
                    "title": _TEXT,
                    "description": _TEXT,
                    "template": _TEMPLATE,
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Example:
    """One prompt of the gallery: a system and a user template with example values."""

    system: str
    user: str
    sample_variables: Mapping[str, str] = field(default_factory=dict)
    result: str = ""

    @property
    def template(self) -> PromptTemplate:
        return PromptTemplate(system=self.system, user=self.user)


@dataclass(frozen=True)
class Pair:
    id: str
    task: str
    title: str
    bad: Example
    why_weak: tuple[str, ...]
    good: Example
    why_works: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class Starter:
    id: str
    task: str
    title: str
    description: str
    template: Example


@dataclass(frozen=True)
class StartingPoint:
    """What the Draft page needs to open a gallery item as a new, unsaved prompt."""

    name: str
    system: str
    user: str
    sample_variables: dict[str, str]
    change_note: str


@dataclass(frozen=True)
class Gallery:
    pairs: tuple[Pair, ...]
    starters: tuple[Starter, ...]

    def tasks(self) -> list[str]:
        """Task names in file order, without duplicates (the page's filter)."""
        return list(dict.fromkeys([p.task for p in self.pairs] + [s.task for s in self.starters]))

    def pair(self, item_id: str) -> Pair:
        for pair in self.pairs:
            if pair.id == item_id:
                return pair
        raise NotFound(f"The gallery has no example '{item_id}'.")

    def starter(self, item_id: str) -> Starter:
        for starter in self.starters:
            if starter.id == item_id:
                return starter
        raise NotFound(f"The gallery has no starter '{item_id}'.")

    def starting_point(self, item_id: str, side: str = "good") -> StartingPoint:
        """A pair's strong (``good``) or weak (``bad``) prompt, or a starter, ready to edit."""
        if side == "starter":
            starter = self.starter(item_id)
            example, title = starter.template, starter.title
            note = f"Started from the gallery starter '{starter.title}'."
        else:
            pair = self.pair(item_id)
            if side not in ("good", "bad"):
                raise NotFound(f"A gallery pair has no side '{side}'; use 'good' or 'bad'.")
            example = pair.good if side == "good" else pair.bad
            title = pair.title
            which = "strong" if side == "good" else "weak"
            note = f"Started from the gallery's {which} example '{pair.title}'."
        return StartingPoint(
            name=title,
            system=example.system,
            user=example.user,
            sample_variables=dict(example.sample_variables),
            change_note=note,
        )


def _example(raw: Mapping[str, Any]) -> Example:
    return Example(
        system=raw["system"],
        user=raw["user"],
        sample_variables=dict(raw.get("sample_variables") or {}),
        result=raw.get("result", ""),
    )


def _check_renders(item_id: str, side: str, example: Example, strict: bool) -> None:
    """Every template must parse; strong ones must render with their own example values."""
    template = example.template
    try:
        template.validate()
        names = template.variables()
        missing = [n for n in names if not example.sample_variables.get(n)]
        if strict and missing:
            raise ConfigError(
                f"Gallery item '{item_id}' ({side}): no example value for {', '.join(missing)}."
            )
        values = {**dict.fromkeys(names, "example"), **example.sample_variables}
        template.render(values)
    except TemplateError as exc:
        raise ConfigError(f"Gallery item '{item_id}' ({side}) does not render: {exc}") from None


def parse_gallery(data: Any) -> Gallery:
    """Validate raw gallery data and build the typed gallery; ``ConfigError`` names the culprit."""
    try:
        jsonschema.validate(data, SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "top level"
        raise ConfigError(f"The gallery file is invalid at {where}: {exc.message}") from None
    ids = [item["id"] for item in data["pairs"]] + [item["id"] for item in data["starters"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"The gallery uses these ids more than once: {', '.join(duplicates)}.")
    pairs = []
    for raw in data["pairs"]:
        pair = Pair(
            id=raw["id"],
            task=raw["task"],
            title=raw["title"],
            bad=_example(raw["bad"]),
            why_weak=tuple(raw["why_weak"]),
            good=_example(raw["good"]),
            why_works=tuple(raw["why_works"]),
            source=raw.get("source", ""),
        )
        _check_renders(pair.id, "bad", pair.bad, strict=False)
        _check_renders(pair.id, "good", pair.good, strict=True)
        pairs.append(pair)
    starters = []
    for raw in data["starters"]:
        starter = Starter(
            id=raw["id"],
            task=raw["task"],
            title=raw["title"],
            description=raw["description"],
            template=_example(raw["template"]),
        )
        _check_renders(starter.id, "starter", starter.template, strict=True)
        starters.append(starter)
    return Gallery(pairs=tuple(pairs), starters=tuple(starters))


def load_gallery(path: str | Path | None = None) -> Gallery:
    """The gallery from ``path``, or the packaged ``data/gallery.yaml`` (parsed once)."""
    if path is None:
        return _packaged_gallery()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read the gallery file {path}: {exc.strerror}.") from None
    return _parse_text(text)


def _parse_text(text: str) -> Gallery:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"The gallery file is not valid YAML: {exc}") from None
    return parse_gallery(data)


@lru_cache(maxsize=1)
def _packaged_gallery() -> Gallery:
    # Immutable (frozen dataclasses, tuples), so sharing it between sessions is safe.
    return _parse_text(resources.files("workbench").joinpath("data/gallery.yaml").read_text(encoding="utf-8"))
