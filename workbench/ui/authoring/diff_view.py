"""A side-by-side diff table (rows from ``workbench.prompts.diffs``), coloured like a code review."""

from __future__ import annotations

from html import escape

import streamlit as st

from workbench.prompts.diffs import DiffRow, TemplateDiff

STYLE = """
<style>
.wb-diff {border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 0.9rem;
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace;}
.wb-diff th {text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; font-family: sans-serif;}
.wb-diff td {vertical-align: top; padding: 2px 8px; white-space: pre-wrap; word-break: break-word;}
.wb-diff td.no {width: 2.5rem; color: #999; text-align: right; user-select: none;}
.wb-diff td.del {background: #fdecea;} .wb-diff td.ins {background: #e6f4ea;}
.wb-diff mark.del {background: #f5b7b1;} .wb-diff mark.ins {background: #a9dfbf;}
</style>
"""


def _cell(spans: tuple[tuple[str, bool], ...], side: str, kind: str) -> str:
    css = "" if kind == "equal" or not spans else f' class="{side}"'
    body = "".join(
        f'<mark class="{side}">{escape(t)}</mark>' if hit and kind == "replace" else escape(t)
        for t, hit in spans
    )
    return f"<td{css}>{body}</td>"


def diff_html(rows: list[DiffRow], left_title: str, right_title: str) -> str:
    lines = [
        STYLE,
        '<table class="wb-diff"><colgroup><col style="width:2.5rem"><col><col style="width:2.5rem"><col></colgroup>',
        f'<tr><th colspan="2">{escape(left_title)}</th><th colspan="2">{escape(right_title)}</th></tr>',
    ]
    for row in rows:
        lines.append(
            "<tr>"
            f'<td class="no">{row.left_no or ""}</td>{_cell(row.left, "del", row.kind)}'
            f'<td class="no">{row.right_no or ""}</td>{_cell(row.right, "ins", row.kind)}'
            "</tr>"
        )
    lines.append("</table>")
    return "".join(lines)


def show_template_diff(diff: TemplateDiff, left_title: str, right_title: str) -> None:
    """Both messages side by side; an unchanged message is said so in one line."""
    if not diff.changed:
        st.info("The two prompts are identical.")
        return
    for label, rows in (("System message", diff.system), ("User message", diff.user)):
        if not any(row.kind != "equal" for row in rows):
            st.caption(f"{label}: unchanged.")
            continue
        st.markdown(f"**{label}**")
        st.html(diff_html(rows, left_title, right_title))
