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

import io
import json
import math
import random
import statistics
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from sqlalchemy import Engine, Row, String, case, cast, func
from sqlmodel import col, select

from workbench.errors import InvalidInput
from workbench.exports import personal_data
from workbench.exports.files import (
    ZIP_MIME,
    ExportFile,
    bulk,
    read_ahead,
    record_export,
    snapshot,
    stamp,
    zip_bytes,
)
from workbench.exports.finetune_text import (
    CHARS_PER_TOKEN,
    TOKENS_PER_MESSAGE,
    Context,
    Contexts,
    Kept,
    clean,
    fold,
)
from workbench.exports.finetune_text import approx_tokens as approx_tokens  # part of this module's API
from workbench.exports.key_scrub import Scrubber
from workbench.exports.pairs import provenance, selected_pairs
from workbench.exports.scope import Selection, id_ranges, in_selection
from workbench.prompts.templates import PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.lookup import select_columns
from workbench.store.sqltext import temp_in_memory
from workbench.store.tables import Output, PromptVersion, Rating

CHUNK_IDS = 10_000  # output ids read at a time
LINES_PER_WRITE = 5000
PROVIDER_MINIMUM = 10  # OpenAI refuses a fine-tuning file with fewer training examples
T = TypeVar("T")


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
    kept_train: list[Kept] = field(default_factory=list)
    kept_validation: list[Kept] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    scrub: Scrubber = field(default_factory=Scrubber)  # what the files are written through

    @property
    def train(self) -> list[dict[str, Any]]:
        return [kept.example() for kept in self.kept_train]

    @property
    def validation(self) -> list[dict[str, Any]]:
        return [kept.example() for kept in self.kept_validation]


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


def _split(examples: list[tuple[str, T]], share: float, seed: int) -> tuple[list[T], list[T]]:
    """Seeded split of (group key, example) pairs; one group's examples stay together, and a
    group joins validation only while validation stays within the requested share."""
    groups: dict[str, list[T]] = {}
    for key, example in examples:
        groups.setdefault(key, []).append(example)
    keys = sorted(groups)
    random.Random(seed).shuffle(keys)
    wanted = round(len(examples) * share)
    if share > 0 and len(examples) >= 2:
        wanted = max(wanted, 1)
    train: list[T] = []
    validation: list[T] = []
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


def _rated(engine: Engine, selection: Selection, min_score: float) -> tuple[int, int, list[Row]]:
    """(answers, rated answers, the answers rated at least ``min_score``, best first). Read a
    range of output ids at a time, one range ahead, in one transaction; the texts of an answer
    come back only when it is rated high enough (SQLite reads a column only on the CASE branch
    that needs it)."""
    scope = Selection(selection.project_ids, selection.prompt_ids, None, selection.allowed_project_ids)

    def ranges() -> Generator[Sequence[Row], None, None]:
        with engine.connect() as conn, temp_in_memory(conn), snapshot(conn):
            for within in id_ranges(conn, scope, CHUNK_IDS):
                scores = (
                    select(col(Rating.output_id).label("output_id"), func.avg(Rating.score).label("score"))
                    .where(in_selection(Rating.output_id, scope, within))
                    .group_by(col(Rating.output_id))
                    .subquery()
                )
                wanted = scores.c.score >= min_score
                yield conn.execute(
                    select_columns(
                        Output.id,
                        Output.prompt_version_id,
                        case((wanted, cast(Output.messages, String))),
                        case((wanted, cast(Output.variables, String))),
                        case((wanted, Output.text)),
                        scores.c.score,
                    )
                    .outerjoin(scores, scores.c.output_id == Output.id)
                    .where(
                        in_selection(Output.id, scope, within),
                        Output.status == "ok",
                        col(Output.prompt_version_id).is_not(None),
                    )
                ).all()

    answered = rated = 0
    rows: list[Row] = []
    for batch in read_ahead(ranges):
        answered += len(batch)
        for row in batch:
            if row[5] is not None:
                rated += 1
                if row[5] >= min_score:
                    rows.append(row)
    rows.sort(key=lambda row: (-row[5], row[0]))
    return answered, rated, rows


def _build(engine: Engine, selection: Selection, options: FineTuneOptions) -> FineTuneSet:
    answered, rated, rows = _rated(engine, selection, options.min_score)
    with session_scope(engine) as session:
        templates = {
            vid: PromptTemplate(system=system, user=user)
            for vid, system, user in session.execute(
                select(PromptVersion.id, PromptVersion.system_template, PromptVersion.user_template).where(
                    col(PromptVersion.id).in_({r[1] for r in rows})
                )
            )
        }
    contexts = Contexts(templates)
    kept: list[tuple[str, Kept]] = []
    seen: set[tuple[str, str]] = set()
    counts = {"empty_after_cleaning": 0, "changed_by_cleaning": 0, "duplicates": 0, "too_long": 0}

    def admit(context: Context, text: str, group: str) -> Kept | None:
        """The example of this answer in this context, or None (counted) when it is left out."""
        answer = clean(text)
        if context.changed or answer != text.strip():
            counts["changed_by_cleaning"] += 1
        if not answer or not context.has_user:
            counts["empty_after_cleaning"] += 1
            return None
        key = (context.key, fold(answer))
        if key in seen:
            counts["duplicates"] += 1
            return None
        seen.add(key)
        size = context.tokens + math.ceil(len(answer) / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE + 2
        if size > options.max_tokens:
            counts["too_long"] += 1
            return None
        example = Kept(context, answer, size)
        kept.append((group, example))
        return example

    for _output_id, version_id, raw_messages, variables, text, _score in rows:
        context = contexts.get(version_id, raw_messages, variables)
        admit(context, text, context.group)
    pairs = selected_pairs(engine, selection)
    origin: dict[int, dict[str, Any]] = {}  # id(example) -> provenance, for generated pairs
    for pair in pairs:
        user = Context.of([{"role": "user", "content": pair.prompt}])
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
            "rated": rated,
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
            "train": _stats([k.tokens for k in train]),
            "validation": _stats([k.tokens for k in validation]),
        },
        "answer_characters": _stats([len(k.answer) for _, k in kept]),
    }
    return FineTuneSet(train, validation, summary)


def to_jsonl(examples: Sequence[dict[str, Any]], scrub: Scrubber) -> bytes:
    """One example per line (``{"messages": [...]}``), UTF-8, secrets removed."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    with bulk():
        text = "\n".join(map(encode, examples))
    return scrub.for_json()(text + "\n" if examples else "").encode("utf-8")


def write_jsonl(kept: Sequence[Kept], out: IO[bytes], scrub: Scrubber) -> None:
    """``to_jsonl`` of the kept examples, byte for byte, written a batch of lines at a time.
    Each line is its context's encoded prefix plus the encoded answer: a prompt's messages are
    encoded once, not once per answer (JSON encoding was the largest cost of a big export)."""
    scrub_json = scrub.for_json()
    for start in range(0, len(kept), LINES_PER_WRITE):
        text = "".join([k.line() + "\n" for k in kept[start : start + LINES_PER_WRITE]])
        out.write(scrub_json(text).encode("utf-8"))


@dataclass(frozen=True)
class FineTuneExport:
    train: bytes
    validation: bytes
    summary: dict[str, Any]

    def as_zip(self) -> ExportFile:
        files = {
            "train.jsonl": self.train,
            "validation.jsonl": self.validation,
            "summary.json": summary_json(self.summary),
        }
        return ExportFile(
            f"workbench-finetune-{stamp()}.zip", ZIP_MIME, zip_bytes(files), self.summary["counts"]
        )


def summary_json(summary: dict[str, Any]) -> bytes:
    return json.dumps(summary, indent=2).encode("utf-8")


def prepare_finetune(
    engine: Engine,
    selection: Selection,
    options: FineTuneOptions,
    *,
    actor: str,
    scrub: Scrubber,
    redact_personal_data: bool = True,
) -> FineTuneSet:
    """``build``, audited as ``export.jsonl`` with the counts: what an export then writes
    (``write_jsonl`` of ``kept_train`` and ``kept_validation`` with the set's ``scrub``). Personal
    data of confidential and restricted projects is redacted unless ``redact_personal_data`` is
    off; the summary says which (``personal_data``)."""
    found = build(engine, selection, options)
    personal = personal_data.in_export(engine, selection, redact=redact_personal_data)
    found.scrub = personal.scrubber(scrub)
    if personal.note():
        found.summary = {**found.summary, "personal_data": personal.note()}
    counts = {**found.summary["counts"], **personal.counts()}
    record_export(engine, actor=actor, fmt="jsonl", selection=selection, counts=counts)
    return found


def export_finetune(
    engine: Engine,
    selection: Selection,
    options: FineTuneOptions,
    *,
    actor: str,
    scrub: Scrubber,
    redact_personal_data: bool = True,
) -> FineTuneExport:
    """Build the set and both files in memory (for the page's downloads)."""
    found = prepare_finetune(
        engine, selection, options, actor=actor, scrub=scrub, redact_personal_data=redact_personal_data
    )
    files = []
    for kept in (found.kept_train, found.kept_validation):
        buffer = io.BytesIO()
        write_jsonl(kept, buffer, found.scrub)
        files.append(buffer.getvalue())
    return FineTuneExport(files[0], files[1], found.summary)
