"""Text metrics behind the similarity assertion, and the small text helpers assertions share.

ROUGE-L is implemented here rather than pulled from a package: it is one longest-common-
subsequence table, and owning it keeps the tokenisation (case-folded words and numbers) the
same as the rest of the bench. The fuzzy ratios come from rapidfuzz.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, utils

WORD = re.compile(r"\w+")
FENCE = re.compile(r"\A```[\w+-]*[ \t]*\n(?P<body>.*?)\n?```\Z", re.S)


def words(text: str) -> list[str]:
    """Case-folded word tokens (letters, digits, underscore), in order."""
    return WORD.findall(text.casefold())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists (O(len(a)·len(b)) time)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if token == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (Lin, 2004): LCS-based precision and recall over word tokens, in [0, 1]."""
    cand, ref = words(candidate), words(reference)
    if not cand and not ref:
        return 1.0
    if not cand or not ref:
        return 0.0
    common = lcs_length(cand, ref)
    if common == 0:
        return 0.0
    precision, recall = common / len(cand), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def ratio(candidate: str, reference: str) -> float:
    """rapidfuzz's normalised Indel similarity on lower-cased, punctuation-free text, in [0, 1]."""
    return fuzz.ratio(candidate, reference, processor=utils.default_process) / 100


def token_set_ratio(candidate: str, reference: str) -> float:
    """rapidfuzz's token-set ratio: word order and repeated words do not matter, in [0, 1]."""
    return fuzz.token_set_ratio(candidate, reference, processor=utils.default_process) / 100


METRICS = {"rouge_l": rouge_l, "ratio": ratio, "token_set_ratio": token_set_ratio}
METRIC_NAMES = {"rouge_l": "ROUGE-L", "ratio": "fuzzy ratio", "token_set_ratio": "token-set ratio"}


def strip_code_fence(text: str) -> str:
    """The body of an answer that is one fenced block (```json ... ```); otherwise the text."""
    stripped = text.strip()
    match = FENCE.match(stripped)
    return match.group("body") if match else stripped


def quote(text: str, limit: int = 60) -> str:
    """A short quoted excerpt for reasons shown to people."""
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 1] + "…")
