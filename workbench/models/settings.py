"""A model call's settings: the one typed definition, with ranges and defaults.

Draft saves them with a version, Compare and Evaluate override them per model, the judge and the
improver state their own values, evaluation snapshots and the promptfoo export write them out,
and every slider or number box takes its range from ``RANGES``. Whatever stores settings stores
``CallSettings.to_dict()``; whatever reads them back goes through ``CallSettings.from_dict``, which
checks every value the same way wherever it came from (a page, the CLI, a backup, a spreadsheet).

``None`` means "the model's own default": nothing is sent for that setting. It is the default for
temperature because some models refuse any value but their own (OpenAI's reasoning models).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from workbench.errors import InvalidInput

RESPONSE_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Range:
    """The values a numeric setting accepts, and how a person should read it."""

    low: float
    high: float
    step: float
    label: str
    help: str

    def check(self, name: str, value: float) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(f"{self.label} must be a number.", field=name)
        if not self.low <= value <= self.high:
            raise InvalidInput(f"{self.label} must be between {self.low:g} and {self.high:g}.", field=name)


RANGES: dict[str, Range] = {
    "temperature": Range(
        0.0,
        2.0,
        0.05,
        "Temperature",
        "How varied the answers are: 0 gives the most predictable answer, higher gives more variety. "
        "Empty: the model's own default. Anthropic's models accept 0 to 1.",
    ),
    "top_p": Range(
        0.0,
        1.0,
        0.05,
        "Top p",
        "Another way to limit variety: only the most likely words that together make up this share "
        "are considered. Empty: the model's default. Change temperature or top p, not both.",
    ),
    "max_tokens": Range(
        1,
        64_000,
        64,
        "Max tokens",
        "The longest answer the model may write, in tokens (about ¾ of a word each); a longer answer "
        "is cut off and marked 'cut at max tokens'.",
    ),
    "seed": Range(
        0,
        2**31 - 1,
        1,
        "Seed",
        "Ask for the same answer to the same prompt on every run (OpenAI-compatible models only; "
        "best effort). Empty: no seed.",
    ),
}
MAX_STOP_SEQUENCES = 4


@dataclass(frozen=True)
class CallSettings:
    """How one call asks for its answer. Frozen; ``replace`` or ``merged`` make variants."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int = 1024
    stop: tuple[str, ...] = ()
    seed: int | None = None
    response_format: str = "text"  # "text", or "json" for a JSON object (where the provider has a JSON mode)
    system_override: str | None = None  # replaces the version's system message (Compare, per model)

    def __post_init__(self) -> None:
        for name in ("temperature", "top_p", "max_tokens", "seed"):
            value = getattr(self, name)
            if value is not None:
                RANGES[name].check(name, value)
        if self.response_format not in RESPONSE_FORMATS:
            raise InvalidInput(
                f"Response format must be one of {', '.join(RESPONSE_FORMATS)}.", field="response_format"
            )
        if len(self.stop) > MAX_STOP_SEQUENCES or any(not s for s in self.stop):
            raise InvalidInput(
                f"Give at most {MAX_STOP_SEQUENCES} stop sequences, none of them empty.", field="stop"
            )

    # ---- storage -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The settings that differ from "not set", as stored with versions, outputs and snapshots
        (``max_tokens`` always, so a stored call says how long it could be)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "max_tokens" or value not in (None, (), "text", ""):
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CallSettings:
        """Settings from stored or typed values; unknown keys are ignored (older rows carried
        other context), a value of the wrong shape is refused naming the setting."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidInput("Model settings must be a mapping of setting names to values.", field="params")
        return cls()._with(data)

    def merged(self, *overrides: Mapping[str, Any] | None) -> CallSettings:
        """These settings with each mapping's values laid on top, in order (a version's saved
        settings, then an evaluation's overrides, then one model's own)."""
        result = self
        for override in overrides:
            if override:
                result = result._with(override)
        return result

    def _with(self, data: Mapping[str, Any]) -> CallSettings:
        changes: dict[str, Any] = {}
        for name, value in data.items():
            if name in _PARSERS:
                changes[name] = _PARSERS[name](name, value)
        return replace(self, **changes)

    # ---- what people read ----------------------------------------------------------------------

    def summary(self) -> str:
        """ "temperature 0.2 · max 500 tokens": the settings a person would want to see."""
        bits = []
        if self.temperature is not None:
            bits.append(f"temperature {self.temperature:g}")
        if self.top_p is not None:
            bits.append(f"top p {self.top_p:g}")
        bits.append(f"max {self.max_tokens} tokens")
        if self.seed is not None:
            bits.append(f"seed {self.seed}")
        if self.response_format != "text":
            bits.append(f"{self.response_format} answers")
        if self.stop:
            bits.append(f"stops at {', '.join(repr(s) for s in self.stop)}")
        if self.system_override:
            bits.append("own system prompt")
        return " · ".join(bits)


def _number(name: str, value: Any, kind: type) -> Any:
    if value is None or value == "":
        if name == "max_tokens":
            raise InvalidInput(f"{RANGES[name].label} needs a value.", field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{RANGES[name].label} must be a number, not {type(value).__name__}.", field=name)
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{RANGES[name].label} must be a number, not '{value}'.", field=name) from None
    if kind is int:
        if not number.is_integer():
            raise InvalidInput(f"{RANGES[name].label} must be a whole number.", field=name)
        return int(number)
    return number


def _stop(name: str, value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InvalidInput("Stop sequences must be text, or a list of texts.", field=name)


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be text.", field=name)
    return value if name == "response_format" else (value if value.strip() else None)


_PARSERS: dict[str, Any] = {
    "temperature": lambda n, v: _number(n, v, float),
    "top_p": lambda n, v: _number(n, v, float),
    "max_tokens": lambda n, v: _number(n, v, int),
    "seed": lambda n, v: _number(n, v, int),
    "stop": _stop,
    "response_format": lambda n, v: _text(n, v) or "text",
    "system_override": _text,
}

SETTING_NAMES = tuple(f.name for f in fields(CallSettings))
STORED_SETTINGS = tuple(name for name in SETTING_NAMES if name != "system_override")  # a version's
DEFAULTS = CallSettings()
