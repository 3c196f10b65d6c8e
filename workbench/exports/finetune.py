"""Fine-tuning data from the rated library: chat-format JSONL, cleaned and split.

Each example is one well-rated answer in its context::

    {"messages": [{"role": "system", "content": "..."},
                  {"role": "user", "content": "..."},
                  {"role": "assistant", "content": "<the rated answer>"}]}

The messages before the answer are the ones the model was actually sent (the output's snapshot,
few-shot turns included; for outputs stored without one, the version's template rendered with
the output's variables).

Steps, each counted in the summary:

1. keep answers that succeeded and whose average rating (1-5) is at least ``min_score``;
2. clean every message: control characters (except newline and tab), the replacement
   character U+FFFD and lone surrogates are removed, line ends become ``\\n``; an example
   whose user or assistant text is then empty is dropped;
3. de-duplicate: examples equal after folding case and whitespace count once (the best-rated
   copy is kept);
4. drop examples longer than ``max_tokens``. Tokens are *approximated* (no tokenizer is
   installed): 4 characters per token, as OpenAI suggests for English, plus 4 per message for
   the chat format, rounded up. Real counts differ by model and language; keep a margin;
5. split into train and validation with a seeded shuffle. Examples that share the same
   prompt (everything but the answer) go to the same side, so validation never tests on a
   question the model trained on; pairs generated from one document go to the same side too.
   A group goes to validation only while that keeps it within the requested share, so a big
   group can never make validation larger than asked. Below the provider's minimum of
   training examples (``PROVIDER_MINIMUM``) the summary warns.

Accepted fine-tuning pairs generated from documents (``exports.pairs``) are a second source:
a user message (the generated prompt) and the document as the answer, cleaned, de-duplicated
and length-limited like the rest; ``summary.json`` lists each pair's line and provenance.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, String, case, cast, func
from sqlmodel import col, select

from workbench.errors import InvalidInput, TemplateError
from workbench.exports.files import ZIP_MIME, ExportFile, bulk, record_export, stamp, zip_bytes
from workbench.exports.key_scrub import Scrubber
from workbench.exports.pairs import provenance, selected_pairs
from workbench.exports.scope import Selection, in_selection
from workbench.prompts.templates import PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.sqltext import temp_in_memory
from workbench.store.tables import Output, PromptVersion, Rating

ROLES = ("system", "user", "assistant")
CHARS_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4
UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
PROVIDER_MINIMUM = 10  # OpenAI refuses a fine-tuning file with fewer training examples


@dataclass(frozen=True)
class FineTuneOptions:
    min_score: float = 4.0
    max_tokens: int = 4096
    validation_share: float = 0.1
    seed: int = 13

    def check(self) -> None:
        if not 1.0 <= self.min_score <= 5.0:
            raise InvalidInput("The minimum rating is between 1 and 5.", field="min_score")
        if self.max_tokens < 16:
            raise InvalidInput("The token limit must be at least 16.", field="max_tokens")
        if not 0.0 <= self.validation_share < 1.0:
            raise InvalidInput("The validation share is at least 0 and below 1.", field="validation_share")


@dataclass
class FineTuneSet:
    train: list[dict[str, Any]] = field(default_factory=list)
    validation: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def approx_tokens(messages: Sequence[dict[str, str]]) -> int:
    """Approximate tokens of a chat example (see the module docstring)."""
    return sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for m in messages) + 2


def clean(text: str) -> str:
    """Remove control and replacement characters; normalise line ends; trim the ends."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return UNWANTED.sub("", text).strip()


def _fold(text: str) -> str:
    """Text as compared for duplicates: case and runs of whitespace do not count."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class _Context:
    """The cleaned messages before an answer, with what the loop needs to know about them."""

    messages: list[dict[str, str]]
    changed: bool
    has_user: bool
    key: str  # folded text, for duplicates
    group: str  # stable hash, for the split
    tokens: int

    @classmethod
    def of(cls, sent: list[dict[str, str]]) -> _Context:
        tidy = [{"role": m["role"], "content": clean(m["content"])} for m in sent]
        changed = any(t["content"] != m["content"].strip() for t, m in zip(tidy, sent, strict=True))
        kept = [m for m in tidy if m["content"]]
        key = "\x1e".join(f"{m['role']}\x1f{_fold(m['content'])}" for m in kept)
        return cls(
            messages=kept,
            changed=changed,
            has_user=any(m["role"] == "user" for m in kept),
            key=key,
            group=hashlib.sha1(key.encode("utf-8")).hexdigest(),
            tokens=sum(math.ceil(len(m["content"]) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE for m in kept),
        )


def _context(
    raw_messages: str | None, variables: str | None, template: PromptTemplate | None
) -> list[dict[str, str]]:
    messages = json.loads(raw_messages) if raw_messages else []
    found = [
        {"role": m["role"], "content": m["content"]}
        for m in messages
        if isinstance(m, dict) and m.get("role") in ROLES and isinstance(m.get("content"), str)
    ]
    if found or template is None:
        return found
    try:
        return template.render(json.loads(variables) if variables else {})
    except TemplateError:
        return []


def _stats(values: Sequence[int]) -> dict[str, float | int | None]:
    if not values:
        return {"min": None, "mean": None, "median": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "mean": round(statistics.fmean(ordered), 1),
        "median": statistics.median(ordered),
        "p95": ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


def _split(
    examples: list[tuple[str, dict[str, Any]]], share: float, seed: int
) -> tuple[list[dict], list[dict]]:
    """Seeded split of (group key, example) pairs; one group's examples stay together, and a
    group joins validation only while validation stays within the requested share."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, example in examples:
        groups.setdefault(key, []).append(example)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    wanted = round(len(examples) * share)
    if share > 0 and len(examples) >= 2:
        wanted = max(wanted, 1)
    train: list[dict[str, Any]] = []
    validation: list[dict[str, Any]] = []
    for key in keys:
        (validation if len(validation) + len(groups[key]) <= wanted else train).extend(groups[key])
    return train, validation


def _warnings(train: int, validation: int, share: float) -> list[str]:
    out = []
    if train < PROVIDER_MINIMUM:
        out.append(
            f"Only {train} training examples: providers ask for at least {PROVIDER_MINIMUM} "
            "(OpenAI refuses fewer). Rate or accept more before fine-tuning."
        )
    if share > 0 and validation == 0 and train:
        out.append("No validation examples: every group is larger than the validation share allows.")
    return out


def build(engine: Engine, selection: Selection, options: FineTuneOptions) -> FineTuneSet:
    """The cleaned, de-duplicated, length-limited and split examples with their summary."""
    options.check()
    with bulk():
        return _build(engine, selection, options)


def _build(engine: Engine, selection: Selection, options: FineTuneOptions) -> FineTuneSet:
    scope = Selection(selection.project_ids, selection.prompt_ids, None, selection.allowed_project_ids)
    scores = (
        select(Rating.output_id.label("output_id"), func.avg(Rating.score).label("score"))
        .where(in_selection(Rating.output_id, scope))
        .group_by(col(Rating.output_id))
        .subquery()
    )
    with session_scope(engine) as session, temp_in_memory(session.connection()) as conn:
        answered = conn.execute(
            select(func.count()).where(
                in_selection(Output.id, scope),
                Output.status == "ok",
                col(Output.prompt_version_id).is_not(None),
            )
        ).scalar_one()
        # Every rated answer comes back (for the counts), but its texts only when it is rated
        # high enough: SQLite reads a column only on the CASE branch that needs it.
        wanted = scores.c.score >= options.min_score
        rated = conn.execute(
            select(
                Output.id,
                Output.prompt_version_id,
                case((wanted, cast(Output.messages, String))),
                case((wanted, cast(Output.variables, String))),
                case((wanted, Output.text)),
                scores.c.score,
            )
            .join(scores, scores.c.output_id == Output.id)
            .where(Output.status == "ok", col(Output.prompt_version_id).is_not(None))
            .order_by(scores.c.score.desc(), col(Output.id))
        ).all()
        rows = [row for row in rated if row[5] >= options.min_score]
        templates = {
            vid: PromptTemplate(system=system, user=user)
            for vid, system, user in conn.execute(
                select(PromptVersion.id, PromptVersion.system_template, PromptVersion.user_template).where(
                    col(PromptVersion.id).in_({r[1] for r in rows})
                )
            )
        }
    kept: list[tuple[str, dict[str, Any]]] = []
    tokens: dict[int, int] = {}  # id(example) -> approximate tokens, for the statistics
    seen: set[tuple[str, str]] = set()
    counts = {"empty_after_cleaning": 0, "changed_by_cleaning": 0, "duplicates": 0, "too_long": 0}
    contexts: dict[tuple[Any, ...], _Context] = {}  # the same prompt recurs across answers: clean it once

    def admit(context: _Context, text: str, group: str) -> dict[str, Any] | None:
        """The example of this answer in this context, or None (counted) when it is left out."""
        answer = clean(text)
        if context.changed or answer != text.strip():
            counts["changed_by_cleaning"] += 1
        if not answer or not context.has_user:
            counts["empty_after_cleaning"] += 1
            return None
        key = (context.key, _fold(answer))
        if key in seen:
            counts["duplicates"] += 1
            return None
        seen.add(key)
        size = context.tokens + math.ceil(len(answer) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE + 2
        if size > options.max_tokens:
            counts["too_long"] += 1
            return None
        example = {"messages": [*context.messages, {"role": "assistant", "content": answer}]}
        tokens[id(example)] = size
        kept.append((group, example))
        return example

    for _output_id, version_id, raw_messages, variables, text, _score in rows:
        memo = (version_id, raw_messages, None if raw_messages else variables)
        context = contexts.get(memo)
        if context is None:
            context = contexts[memo] = _Context.of(
                _context(raw_messages, variables, templates.get(version_id))
            )
        admit(context, text, context.group)
    pairs = selected_pairs(engine, selection)
    origin: dict[int, dict[str, Any]] = {}  # id(example) -> provenance, for generated pairs
    for pair in pairs:
        user = _Context.of([{"role": "user", "content": pair.prompt}])
        example = admit(user, pair.answer, f"document:{pair.document_id or f'pair-{pair.id}'}")
        if example is not None:
            origin[id(example)] = provenance(pair)
    train, validation = _split(kept, options.validation_share, options.seed)
    summary = {
        "options": {
            "min_score": options.min_score,
            "max_tokens": options.max_tokens,
            "validation_share": options.validation_share,
            "seed": options.seed,
            "tokens": f"approximate: {CHARS_PER_TOKEN} characters per token + {TOKENS_PER_MESSAGE} per message",
        },
        "counts": {
            "answers": answered,
            "rated": len(rated),
            "rated_at_or_above": len(rows),
            "below_score_or_unrated": answered - len(rows),
            **counts,
            "kept": len(kept),
            "train": len(train),
            "validation": len(validation),
            "document_pairs": len(pairs),
            "document_pairs_kept": len(origin),
        },
        "warnings": _warnings(len(train), len(validation), options.validation_share),
        "pairs": [
            {"file": f"{name}.jsonl", "line": line, **origin[id(example)]}
            for name, part in (("train", train), ("validation", validation))
            for line, example in enumerate(part, start=1)
            if id(example) in origin
        ],
        "tokens": {
            "train": _stats([tokens[id(e)] for e in train]),
            "validation": _stats([tokens[id(e)] for e in validation]),
        },
        "answer_characters": _stats([len(e["messages"][-1]["content"]) for _, e in kept]),
    }
    return FineTuneSet(train, validation, summary)


def to_jsonl(examples: Sequence[dict[str, Any]], scrub: Scrubber) -> bytes:
    """One example per line (``{"messages": [...]}``), UTF-8, secrets removed."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    with bulk():
        text = "\n".join(map(encode, examples))
    return scrub.for_json()(text + "\n" if examples else "").encode("utf-8")


@dataclass(frozen=True)
class FineTuneExport:
    train: bytes
    validation: bytes
    summary: dict[str, Any]

    def as_zip(self) -> ExportFile:
        files = {
            "train.jsonl": self.train,
            "validation.jsonl": self.validation,
            "summary.json": json.dumps(self.summary, indent=2).encode("utf-8"),
        }
        return ExportFile(
            f"workbench-finetune-{stamp()}.zip", ZIP_MIME, zip_bytes(files), self.summary["counts"]
        )


def export_finetune(
    engine: Engine, selection: Selection, options: FineTuneOptions, *, actor: str, scrub: Scrubber
) -> FineTuneExport:
    """Build the set and write both files; audited as ``export.jsonl`` with the counts."""
    found = build(engine, selection, options)
    record_export(engine, actor=actor, fmt="jsonl", selection=selection, counts=found.summary["counts"])
    return FineTuneExport(to_jsonl(found.train, scrub), to_jsonl(found.validation, scrub), found.summary)
