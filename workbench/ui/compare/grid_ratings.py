"""Rating on the Compare grid: a rating control under every finished answer, blind rows, and a
"which is better?" vote for two answers of the same row.

Blind mode hides which model wrote each answer and shuffles the row (per browser session and
row, through ``blind_cells``) until the rater has rated every answer in it; then the model names
appear in the same order. While a row is hidden, the figures that would give a model away
(parameters, time, tokens, cost) are left out too, and a rating or vote given then is stored as
blind. Votes feed the project's leaderboard at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st
from sqlalchemy import Engine

from workbench.judging import pairwise, ratings
from workbench.runs.outputs import CellView
from workbench.ui.compare.output_cell import Grid
from workbench.ui.rating.rating_control import blind_cells, rating_cell, remember
from workbench.ui.shell import auth
from workbench.ui.shell.nav import page_script
from workbench.ui.shell.page import shows_errors
from workbench.ui.shell.safe_markdown import safe_markdown

KINDS = {"stars": ":material/star: Stars", "thumbs": ":material/thumb_up: Thumbs"}
VOTED = "compare_voted"  # {"row": "<run>/<row>", "text": ...} of the vote just recorded


def rating_options() -> tuple[str, bool]:
    """The page-level choices: rate with stars or thumbs, and whether rows are blind."""
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    kind = left.segmented_control(
        "Rate with",
        list(KINDS),
        default="stars",
        required=True,
        key="compare_rate_kind",
        format_func=lambda kind: KINDS[kind],
    )
    blind = right.toggle(
        "Blind rating",
        key="compare_blind",
        help="Hide which model wrote each answer, in an order shuffled per row, until you have rated "
        "every answer in the row. Ratings and votes given that way are stored as blind.",
    )
    return kind or "stars", blind


def rateable(view: CellView) -> bool:
    """A finished answer with text (a failed call has nothing to rate)."""
    return view.finished and view.output_id is not None and view.status != "error" and bool(view.text.strip())


def _masked(view: CellView, column: int, title: str) -> CellView:
    return replace(
        view,
        column=column,
        title=title,
        params={},
        latency_ms=None,
        ttft_ms=None,
        tokens_in=None,
        tokens_out=None,
        cost_usd=None,
        finish_reason=None,
        cache_hit=False,
    )


def _blind(
    engine: Engine, row_key: str, views: Sequence[CellView], rater: str, rated_ids: set[int]
) -> tuple[list[CellView], bool, str]:
    """The row as shown blind: rateable answers shuffled and renamed, failed ones after them.
    Returns the views, whether names are still hidden, and the reveal line once revealed."""
    rated = [v for v in views if rateable(v)]
    cells = blind_cells(engine, row_key, [(v.output_id, v.title) for v in rated], rater, rated_ids)  # type: ignore[misc]
    by_id = {c.output_id: c for c in cells}
    hidden = bool(cells) and not cells[0].revealed
    shown, extra = [], len(cells)
    for view in views:
        cell = by_id.get(view.output_id)  # type: ignore[arg-type]
        if cell is None:
            column, title, extra = extra, "Failed call" if hidden else view.title, extra + 1
        else:
            column, title = cell.position, cell.shown
        shown.append(_masked(view, column, title) if hidden else replace(view, column=column, title=title))
    reveal = " · ".join(f"{c.hidden} was **{c.model}**" for c in cells) if cells and not hidden else ""
    return shown, hidden, reveal


def _vote(
    engine: Engine, row_key: str, a: int, b: int, names: dict[int, str], rater: str, blind: bool
) -> None:
    st.markdown(f"**A** = {safe_markdown(names[a])} · **B** = {safe_markdown(names[b])}")
    buttons = st.columns(len(pairwise.CHOICE_LABELS))
    for column, (choice, label) in zip(buttons, pairwise.CHOICE_LABELS.items(), strict=True):
        if not column.button(label, key=f"compare_vote_{row_key}_{choice}", width="stretch"):
            continue
        if not rater:
            st.warning(
                "Type your name in the sidebar first: every vote records who gave it.", icon=":material/edit:"
            )
        elif auth.allowed("output.vote"):
            with shows_errors():
                pairwise.record_preference(
                    engine, output_a_id=a, output_b_id=b, choice=choice, rater=rater, blind=blind
                )
                st.session_state[VOTED] = {
                    "row": row_key,
                    "text": f"Vote recorded: {label} (A = {names[a]}, B = {names[b]}). The leaderboard counts it now.",
                }


@st.fragment
def pair_vote(engine: Engine, row_key: str, views: Sequence[CellView], rater: str, blind: bool) -> None:
    """Pick two answers of the row (the only two, when there are two) and say which is better.
    A fragment: picking answers or voting reruns this panel only, not the page."""
    names = {v.output_id: v.title for v in sorted(views, key=lambda v: v.column)}
    if len(names) < 2:
        return
    # A popover, not an expander: its contents are drawn in the browser only once opened.
    with st.popover("Which answer is better? Vote for the leaderboard", icon=":material/compare_arrows:"):
        ids = list(names)
        a, b = ids[0], ids[1]
        if len(ids) > 2:
            left, right = st.columns(2)
            a = left.selectbox(
                "Answer A", ids, format_func=lambda i: names[i], key=f"compare_pair_a_{row_key}"
            )
            rest = [i for i in ids if i != a]
            b = right.selectbox(
                "Answer B", rest, format_func=lambda i: names[i], key=f"compare_pair_b_{row_key}"
            )
        _vote(engine, row_key, a, b, names, rater, blind)  # type: ignore[arg-type]
        voted = st.session_state.get(VOTED)
        if voted and voted["row"] == row_key:
            st.success(voted["text"], icon=":material/how_to_vote:")
        st.page_link(
            page_script("pages/leaderboard.py"), label="Open the leaderboard", icon=":material/leaderboard:"
        )


def rated_grid(
    engine: Engine,
    project_id: int,
    run_id: int,
    views: Sequence[CellView],
    columns: int,
    *,
    kind: str,
    blind: bool,
    rater: str,
    streamed: Grid | None = None,
) -> None:
    """The stored run's grid, row by row, each finished answer with its rating control. The
    rater's ratings and the project's tags are read once for the whole grid; each control is a
    fragment, so rating an answer reruns that cell only.

    ``streamed``: the grid a followed run streamed into, completed in place when the stored run
    fits it (not when blind: those rows are shuffled, and nothing was shown while they ran)."""
    if streamed is not None and (blind or not streamed.holds(views)):
        streamed.area.empty()
        streamed = None
    rows: dict[int, list[CellView]] = {}
    for view in views:
        rows.setdefault(view.row_index, []).append(view)
    ids = [v.output_id for v in views if v.output_id is not None and rateable(v)]
    found = ratings.ratings_by(engine, ids, rater.strip()) if rater.strip() else {}
    remember({i: found.get(i) for i in ids})
    tags = ratings.project_tags(engine, project_id)
    for index in sorted(rows):
        row_key = f"{run_id}/{index}"
        shown, hidden, reveal = (
            _blind(engine, row_key, rows[index], rater, set(found)) if blind else (rows[index], False, "")
        )

        def extra(view: CellView, hidden: bool = hidden) -> None:
            if rateable(view):
                rating_cell(
                    engine,
                    view.output_id,  # type: ignore[arg-type]
                    rater,
                    tags,
                    kind=kind,
                    blind=hidden,
                    key="compare",
                    rerun_page=hidden,  # a rating may reveal the row's model names
                )

        grid = streamed or Grid(shown, columns)
        for view in shown:
            grid.show(view, extra)
        with grid.under_rows[index].container():
            if hidden:
                st.caption(
                    ":material/visibility_off: Blind: model names are hidden and the order is shuffled "
                    "until you have rated every answer in this row."
                )
            elif reveal:
                st.caption(f":material/lock_open: Revealed: {safe_markdown(reveal)}.")
            pair_vote(engine, row_key, [v for v in shown if rateable(v)], rater, hidden)
