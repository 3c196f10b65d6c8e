"""Cleaning a document's text, with every change counted so the user can see what was done.

"You need clean data that's formatted well" (the source talk): a fine-tuned model that was fed
stray characters spits them back. Three things are repaired:

- **control characters** (everything below U+0020 except tab and newline, DEL, the C1 range,
  zero-width and replacement characters) are removed;
- **broken encodings**: UTF-8 read as Windows-1252 ("donâ€™t", "cafÃ©") is decoded back
  ("don’t", "café"), run by run, only where the result is valid UTF-8;
- **repeated boilerplate lines**: a short line that recurs three times or more (a PDF's page
  header or footer, "Confidential") is kept once at most, and in PDFs lines that are only a
  page number ("3", "Page 3 of 12") are dropped.

Whitespace is tidied too (line ends, trailing blanks, runs of blank lines).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff\ufffd]")
# Runs of characters that UTF-8 bytes become when read as Windows-1252: a lead byte shown as
# Â-ï, then one to three continuation bytes shown as the cp1252 glyphs of 0x80-0xBF.
_CP1252_CONT = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ\u00a0¡¢£¤¥¦§¨©ª«¬\u00ad®¯°±²³´µ¶·¸¹º»¼½¾¿"
_MOJIBAKE = re.compile(f"[ÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖ×ØÙÚÛÜÝÞßàáâãäåæçèéêëìíîï][{_CP1252_CONT}]{{1,3}}")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)
BOILERPLATE_MIN_REPEATS = 3
BOILERPLATE_MAX_CHARS = 120


@dataclass
class Cleaned:
    text: str
    report: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """ "3 control characters removed, 1 broken encoding repaired" (or "nothing to clean")."""
        words = {
            "control_characters": "control character{s} removed",
            "encoding_fixes": "broken encoding{s} repaired",
            "boilerplate_lines": "repeated boilerplate line{s} removed",
            "page_numbers": "page number{s} removed",
        }
        parts = [
            f"{n} {words[k].format(s='' if n == 1 else 's')}"
            for k, n in self.report.items()
            if n and k in words
        ]
        return ", ".join(parts) or "nothing to clean"


def _fix_run(match: re.Match[str]) -> str:
    run = match.group()
    try:
        return run.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run


def repair_encoding(text: str) -> tuple[str, int]:
    fixed = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal fixed
        out = _fix_run(match)
        fixed += out != match.group()
        return out

    return _MOJIBAKE.sub(fix, text), fixed


def _boilerplate(lines: list[str]) -> set[str]:
    counts = Counter(line.strip() for line in lines if line.strip())
    return {
        line
        for line, n in counts.items()
        if n >= BOILERPLATE_MIN_REPEATS and len(line) <= BOILERPLATE_MAX_CHARS and not line.startswith("#")
    }


def clean_text(text: str, *, paged: bool = False) -> Cleaned:
    """The cleaned text and what cleaning changed, counted per kind. ``paged`` (PDFs) also drops
    lines that are only a page number, which in other text may be content."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    text, control = _CONTROL.subn("", text)
    text, encoding = repair_encoding(text)
    lines = text.split("\n")
    repeated = _boilerplate(lines)
    kept: list[str] = []
    seen: set[str] = set()
    boilerplate = pages = 0
    for line in lines:
        stripped = line.strip()
        if paged and _PAGE_NUMBER.match(stripped):
            pages += 1
            continue
        if stripped in repeated:
            if stripped in seen:
                boilerplate += 1
                continue
            seen.add(stripped)
        kept.append(line.rstrip())
    tidy = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return Cleaned(
        tidy,
        {
            "control_characters": control,
            "encoding_fixes": encoding,
            "boilerplate_lines": boilerplate,
            "page_numbers": pages,
        },
    )


def fold(text: str) -> str:
    """Text as compared for sameness: case and runs of whitespace do not count."""
    return " ".join(text.split()).casefold()


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))
