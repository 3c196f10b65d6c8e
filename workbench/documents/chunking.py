"""Splitting a document into passages: whole sentences, under their section heading.

A sentence-aware splitter of our own rather than a chunking library: the libraries on the
registry either count tokens with a tokenizer they download (not possible offline) or bring
dependencies far heavier than these sixty lines. The rules:

- Markdown headings (``#``..``######``) start a new section; a passage never spans two, and
  carries its section's heading so a reader (and the model) knows where it comes from.
- Paragraphs are kept whole when they fit; a long paragraph is cut between sentences; a single
  sentence longer than the limit is cut between words.
- Passages aim at ``target_tokens`` (approximate tokens: 4 characters each, as for English).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

CHARS_PER_TOKEN = 4
TARGET_TOKENS = 180
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
# A sentence ends at . ! ? (and closing quotes/brackets) followed by space and a capital,
# a digit or an opening mark; "e.g. the" and "No. 5" stay joined well enough for retrieval.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]»”’]))\s+(?=[A-Z0-9\"'(«“‘])")


def approx_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN)) if text else 0


@dataclass(frozen=True)
class PassageDraft:
    heading: str
    text: str

    @property
    def tokens(self) -> int:
        return approx_tokens(self.text)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _sections(text: str) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) in order; text before any heading has the heading ""."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.strip().split("\n") if line.strip()]
        body: list[str] = []
        for line in lines:
            match = _HEADING.match(line.strip())
            if match:
                if body:
                    sections[-1][1].append("\n".join(body))
                    body = []
                sections.append((match.group(2).strip(), []))
            else:
                body.append(line.strip())
        if body:
            sections[-1][1].append("\n".join(body))
    return [(h, p) for h, p in sections if p]


def _pieces(paragraph: str, limit: int) -> list[str]:
    """The paragraph whole, or its sentences, or (for a giant sentence) runs of words."""
    if len(paragraph) <= limit:
        return [paragraph]
    out: list[str] = []
    for sentence in sentences(paragraph):
        if len(sentence) <= limit:
            out.append(sentence)
            continue
        words, current = sentence.split(), ""
        for word in words:
            if current and len(current) + 1 + len(word) > limit:
                out.append(current)
                current = word
            else:
                current = f"{current} {word}".strip()
        if current:
            out.append(current)
    return out


def split_passages(text: str, target_tokens: int = TARGET_TOKENS) -> list[PassageDraft]:
    """The document's passages, in reading order."""
    limit = target_tokens * CHARS_PER_TOKEN
    passages: list[PassageDraft] = []
    for heading, paragraphs in _sections(text):
        current: list[str] = []
        size = 0
        for paragraph in paragraphs:
            for piece in _pieces(paragraph, limit):
                if current and size + len(piece) + 1 > limit:
                    passages.append(PassageDraft(heading, "\n".join(current)))
                    current, size = [], 0
                current.append(piece)
                size += len(piece) + 1
        if current:
            passages.append(PassageDraft(heading, "\n".join(current)))
    return passages
