"""Reading what a generating model answered, and the automatic checks on it.

- JSON is read leniently: the whole answer, else a fenced block, else the first ``{...}``.
- A test case's quote must appear verbatim in its passage once runs of whitespace are folded
  (line breaks in a PDF's text must not reject a true quote); otherwise the case is rejected
  automatically, since its answer may be invented.
- Questions that say the same thing (case, punctuation and word order aside, at least
  ``SAME_QUESTION`` similar) are merged: the later one points at the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

SAME_QUESTION = 90  # word-order-blind similarity (0-100) at which two questions are one
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def read_json(text: str) -> Any:
    """The JSON value in a model's answer, or ``None`` when there is none."""
    candidates = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except (json.JSONDecodeError, ValueError):
            continue
    return None


@dataclass(frozen=True)
class Triple:
    question: str
    answer: str
    quote: str


def triples(text: str) -> list[Triple] | None:
    """The question/answer/quote triples of a cases answer; ``None`` when it is not the JSON asked."""
    data = read_json(text)
    items = data.get("cases") if isinstance(data, dict) else data if isinstance(data, list) else None
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(
                Triple(
                    str(item.get("question") or "").strip(),
                    str(item.get("answer") or "").strip(),
                    str(item.get("quote") or "").strip(),
                )
            )
    return out


def prompts(text: str) -> list[str] | None:
    """The prompts of a pairs answer; ``None`` when it is not the JSON asked."""
    data = read_json(text)
    items = data.get("prompts") if isinstance(data, dict) else data if isinstance(data, list) else None
    if not isinstance(items, list):
        return None
    return [str(p).strip() for p in items if isinstance(p, str | int | float) and str(p).strip()]


def folded(text: str) -> str:
    return " ".join(text.split())


def quote_found(quote: str, passage: str) -> bool:
    """Is ``quote`` in ``passage`` word for word, whitespace runs aside? Straight and curly
    quotation marks count as the same (models write one for the other)."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
    needle = folded(quote).translate(table).strip(" \"'")
    return bool(needle) and needle in folded(passage).translate(table)


def problem_with(triple: Triple, passage: str) -> str | None:
    """Why a generated case is rejected automatically, or ``None``."""
    if not triple.question or not triple.answer:
        return "The model left the question or the answer empty."
    if not triple.quote:
        return "The model gave no supporting quote."
    if not quote_found(triple.quote, passage):
        return f"The quote is not in the passage word for word, so the answer may be invented: “{triple.quote[:160]}”"
    return None


def _question_key(text: str) -> str:
    return re.sub(r"[^\w\s]", " ", text.casefold())


def same_question(question: str, others: Iterable[tuple[int, str]]) -> int | None:
    """The id of an earlier question that says the same, if any."""
    key = _question_key(question)
    for other_id, other in others:
        if fuzz.token_sort_ratio(key, _question_key(other)) >= SAME_QUESTION:
            return other_id
    return None
