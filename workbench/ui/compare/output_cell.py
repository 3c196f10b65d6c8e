"""The output grid: rows of variable values × model columns, one bordered cell per answer.

``Grid`` lays out bordered cells and draws one ``CellView`` in each, with an optional ``extra``
callback that draws more controls under a finished output (the ratings capability adds its
stars there). ``follow`` polls a ``LiveRun`` and redraws only the cells that changed, so every
answer streams into its place while the others do the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import streamlit as st

from workbench.models.pricing import money, rounded
from workbench.models.settings import CallSettings
from workbench.runs.live import LiveRun, LiveSnapshot
from workbench.runs.outputs import CellView
from workbench.ui.shell.page import literal
from workbench.ui.shell.safe_markdown import safe_markdown

CellExtra = Callable[[CellView], None]
POLL_S = 0.15  # the longest wait between looks: a click (Cancel) is handled by the next look
REDRAW_S = 0.15  # streamed words are drawn at most this often; the run's end at once
TEXT_HEIGHT = 260
LONG_TEXT = 400  # characters

BADGES = {
    "queued": ":gray-badge[queued]",
    "running": ":violet-badge[:material/progress_activity: streaming]",
    "ok": ":green-badge[:material/check: done]",
    "error": ":red-badge[:material/error: failed]",
    "incomplete": ":orange-badge[:material/content_cut: incomplete]",
    "cancelled": ":gray-badge[:material/cancel: cancelled]",
    "interrupted": ":orange-badge[:material/power_off: interrupted]",
}
FINISH = {
    "stop": "complete",
    "end_turn": "complete",
    "length": "cut at max tokens",
    "max_tokens": "cut at max tokens",
    "stop_sequence": "stop sequence",
    "content_filter": "blocked by a content filter",
}


def cost_shown(view: CellView) -> Decimal | None:
    """The cost a cell shows, rounded as shown: what the answer cost now (a reused answer cost
    nothing new); ``None`` when the cell shows no cost (a failed call, a blind cell)."""
    measured = (view.latency_ms, view.ttft_ms, view.tokens_in, view.tokens_out)
    if view.status not in ("ok", "incomplete") or all(m is None for m in measured):
        return None
    if view.cache_hit:
        return Decimal(0)
    return None if view.cost_usd is None else rounded(view.cost_usd)


def total_shown(views: Sequence[CellView]) -> str:
    """The sum of the costs the cells show, to the last digit shown: a total that equals its cells."""
    amounts = [c for c in (cost_shown(v) for v in views) if c is not None]
    return money(sum(amounts, Decimal(0))) if amounts else "—"


def figures(view: CellView) -> str:
    """Latency, first token, tokens, cost and finish reason in words."""
    parts = []
    if view.latency_ms is not None:
        parts.append(f"{view.latency_ms / 1000:.2f} s")
    if view.ttft_ms is not None:
        parts.append(f"first token {view.ttft_ms / 1000:.2f} s")
    if view.tokens_in is not None or view.tokens_out is not None:
        tokens_in = "?" if view.tokens_in is None else view.tokens_in
        tokens_out = "?" if view.tokens_out is None else view.tokens_out
        parts.append(f"tokens {tokens_in} in / {tokens_out} out")
    if view.status in ("ok", "incomplete") and parts:  # nothing measured (a blind cell): no cost either
        cost = cost_shown(view)
        parts.append(f"{money(cost)} new cost (reused)" if view.cache_hit else money(cost))
    if view.finish_reason:
        parts.append(f"finish: {FINISH.get(view.finish_reason, view.finish_reason)}")
    return " · ".join(parts)


def context_source(number: int, passage: Mapping[str, Any]) -> str:
    """ "[1] Sick leave › Reporting (sick-leave.pdf)": a passage an answer was given."""
    heading = passage.get("heading") or ""
    where = str(passage.get("title", "")) + (
        f" › {heading}" if heading and heading != passage.get("title") else ""
    )
    source = f" ({passage['source']})" if passage.get("source") else ""
    return f"[{number}] {safe_markdown(where)}{safe_markdown(source)}"


def params_line(params: Mapping[str, Any]) -> str:
    """The settings a stored answer was asked with, as a person reads them."""
    return CallSettings.from_dict(params).summary()


def cell_body(view: CellView) -> None:
    """What a cell says about its answer: title, status, text, figures."""
    badge = BADGES.get(view.status, view.status)
    if view.cache_hit:
        badge += " :blue-badge[:material/recycling: cache hit]"
    st.markdown(f"**{safe_markdown(view.title)}** {badge}")
    st.caption(params_line(view.params) or " ")
    if len(view.text) > LONG_TEXT:  # long answers scroll, so a row's cells stay side by side
        with st.container(height=TEXT_HEIGHT, border=False):
            st.markdown(safe_markdown(view.text))
    elif view.text:
        st.markdown(safe_markdown(view.text))
    elif view.status == "queued":
        st.caption("Waiting for a free slot…")
    elif view.status == "running":
        st.caption("Waiting for the first words…")
    # Below the text and never clipped: what went wrong and what to do about it.
    if view.status == "error":
        st.error(literal(view.error_message or "Failed."), icon=":material/error:")
    elif view.status == "incomplete":
        st.warning(
            literal(view.error_message or "The answer was cut off; the partial text is kept."),
            icon=":material/content_cut:",
        )
    elif view.status == "interrupted":
        st.warning(
            literal(view.error_message or "Lost when the server stopped."), icon=":material/power_off:"
        )
    elif view.status == "cancelled":
        st.info(safe_markdown(view.error_message or "Cancelled."), icon=":material/stop_circle:")
    elif view.error_message:  # an answer kept with a note (e.g. characters no database holds)
        st.caption(f":material/info: {literal(view.error_message)}")
    st.caption(figures(view) or " ")
    if view.passages:  # a rating or a failure can be traced to the context the model had
        st.caption("Context: " + " · ".join(context_source(i, p) for i, p in enumerate(view.passages, 1)))
    if view.cache_hit:
        st.caption("Reused an identical earlier answer: no new cost; figures are from that call.")


def row_caption(index: int, variables: Mapping[str, Any]) -> str:
    shown = " · ".join(f"**{k}**: {safe_markdown(str(v)[:80])}" for k, v in variables.items())
    return f"Row {index + 1}" + (f" — {shown}" if shown else "")


class Grid:
    """Rows × columns of bordered cells laid out once. Each cell's answer and the controls under
    it are placeholders filled by cell key, and each row keeps a place under it (its vote).

    A run followed to its end thus gets its rating controls added in place: the answers already
    on screen are neither drawn nor sent to the browser again (``show`` redraws an answer only
    when it changed), which is most of what the page would otherwise redraw at that moment."""

    def __init__(self, views: Sequence[CellView], columns: int) -> None:
        self.bodies: dict[str, Any] = {}
        self.controls: dict[str, Any] = {}
        self.under_rows: dict[int, Any] = {}
        self.drawn: dict[str, CellView] = {}
        self.area = st.empty()
        rows: dict[int, list[CellView]] = {}
        for view in views:
            rows.setdefault(view.row_index, []).append(view)
        with self.area.container():
            for index in sorted(rows):
                st.markdown(row_caption(index, rows[index][0].variables))
                cols = st.columns(max(columns, 1))
                for view in sorted(rows[index], key=lambda v: v.column):
                    box = cols[view.column % len(cols)].container(border=True)
                    self.bodies[view.key] = box.empty()
                    self.controls[view.key] = box.empty()
                self.under_rows[index] = st.empty()

    def holds(self, views: Sequence[CellView]) -> bool:
        """Whether every one of ``views`` has its place here (a stored run laid out as it ran)."""
        return bool(views) and {v.key for v in views} == set(self.bodies)

    def show(self, view: CellView, extra: CellExtra | None = None) -> None:
        """The answer (unless the same one is on screen already), then ``extra(view)`` under it
        once the answer is final."""
        same = replace(view, revision=0)
        if self.drawn.get(view.key) != same:
            with self.bodies[view.key].container():
                cell_body(view)
            self.drawn[view.key] = same
        if extra is not None and view.finished and view.output_id is not None:
            with self.controls[view.key].container():
                extra(view)


def follow(live: LiveRun, columns: int, *, show_cells: bool = True) -> tuple[LiveSnapshot, Grid]:
    """Redraw changed cells until the run is over; the progress bar shows answers done. It wakes
    at the first change, draws streamed words at most every ``REDRAW_S``, and the run's end
    at once. Returns the last snapshot and the grid, which the page completes in place.

    ``show_cells=False`` shows the progress only (blind rating: which column streams fastest,
    and in which order, would give the models away)."""
    progress = st.empty()
    snap = live.snapshot()
    grid = Grid(snap.cells if show_cells else [], columns)
    while True:
        snap = live.snapshot()
        progress.progress(snap.progress, text=f"{snap.done} of {snap.total} answers")
        for view in snap.cells if show_cells else ():
            grid.show(view)
        if snap.finished:
            break
        drawn = time.monotonic()
        live.wait_for_change(snap.version, POLL_S)
        live.wait_until_finished(REDRAW_S - (time.monotonic() - drawn))
    progress.empty()
    return snap, grid
