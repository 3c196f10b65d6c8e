"""What a fine-tuning example is made of: cleaned messages, their context and the JSON line.

A context is the cleaned messages before an answer (what the model was sent), computed once
per distinct prompt and shared by every answer to it, with its duplicate key, its split group,
its approximate tokens and its encoded JSON prefix, so a line is the prefix plus the encoded
answer. The steps themselves are described in ``finetune``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from workbench.errors import TemplateError
from workbench.prompts.templates import PromptTemplate

ROLES = ("system", "user", "assistant")
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")


def approx_tokens(messages: Sequence[dict[str, str]]) -> int:
    """Approximate tokens of a chat example (see the module docstring)."""
    return sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for m in messages) + 2


def clean(text: str) -> str:
    """Remove control and replacement characters; normalise line ends; trim the ends."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return UNWANTED.sub("", text).strip()


def fold(text: str) -> str:
    """Text as compared for duplicates: case and runs of whitespace do not count."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Context:
    """The cleaned messages before an answer, with what the loop needs to know about them."""

    messages: list[dict[str, str]]
    changed: bool
    has_user: bool
    key: str  # folded text, for duplicates
    group: str  # stable hash, for the split
    tokens: int
    prefix: str  # an example's JSON line up to its answer's encoded text

    @classmethod
    def of(cls, sent: list[dict[str, str]]) -> Context:
        tidy = [{"role": m["role"], "content": clean(m["content"])} for m in sent]
        changed = any(t["content"] != m["content"].strip() for t, m in zip(tidy, sent, strict=True))
        kept = [m for m in tidy if m["content"]]
        key = "\x1e".join(f"{m['role']}\x1f{fold(m['content'])}" for m in kept)
        encoded = "".join(
            f'{{"role": {encode_basestring(m["role"])}, "content": {encode_basestring(m["content"])}}}, '
            for m in kept
        )
        return cls(
            messages=kept,
            changed=changed,
            has_user=any(m["role"] == "user" for m in kept),
            key=key,
            group=hashlib.sha1(key.encode("utf-8")).hexdigest(),
            tokens=sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for m in kept),
            prefix=f'{{"messages": [{encoded}{{"role": "assistant", "content": ',
        )


def _sent(raw_messages: str | None) -> list[dict[str, str]]:
    """The chat messages stored with an output (its snapshot of what was sent)."""
    messages = json.loads(raw_messages) if raw_messages else []
    return [
        {"role": m["role"], "content": m["content"]}
        for m in messages
        if isinstance(m, dict) and m.get("role") in ROLES and isinstance(m.get("content"), str)
    ]


def _rendered(variables: str | None, template: PromptTemplate | None) -> list[dict[str, str]]:
    """The version's template rendered with the output's variables (no snapshot stored)."""
    if template is None:
        return []
    try:
        return template.render(json.loads(variables) if variables else {})
    except TemplateError:
        return []


class Contexts:
    """Each distinct prompt cleaned once. Answers to the same question share their messages
    across versions and runs, so the snapshot text alone is the key; the version and the
    variables only count for an output without a usable snapshot (then the template is used)."""

    def __init__(self, templates: dict[int, PromptTemplate]) -> None:
        self.templates = templates
        self.by_snapshot: dict[str, Context | None] = {}
        self.by_template: dict[tuple[int, str | None], Context] = {}

    def get(self, version_id: int, raw_messages: str | None, variables: str | None) -> Context:
        if raw_messages:
            if raw_messages not in self.by_snapshot:
                sent = _sent(raw_messages)
                self.by_snapshot[raw_messages] = Context.of(sent) if sent else None
            found = self.by_snapshot[raw_messages]
            if found is not None:
                return found
        key = (version_id, variables)
        if key not in self.by_template:
            self.by_template[key] = Context.of(_rendered(variables, self.templates.get(version_id)))
        return self.by_template[key]


@dataclass(frozen=True)
class Kept:
    """A kept example: its context (shared by every answer to the same prompt) and answer."""

    context: Context
    answer: str
    tokens: int

    def example(self) -> dict[str, Any]:
        return {"messages": [*self.context.messages, {"role": "assistant", "content": self.answer}]}

    def line(self) -> str:
        """``json.dumps(self.example(), ensure_ascii=False)``, from the context's encoded prefix."""
        return self.context.prefix + encode_basestring(self.answer) + "}]}"
