"""The Review page's card: progress, the next answer of the queue, and its rating control.

It is a fragment: saving a rating reruns the card only (the queue is read again and the next
answer shown), not the page with its pickers, sidebar and menu.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.judging import review
from workbench.judging.ratings import RatingView
from workbench.ui.rating.rating_control import blind_seed, describe, rating_control
from workbench.ui.shell.page import rerun_fragment
from workbench.ui.shell.safe_markdown import safe_markdown

LAST = "review_last"  # {"output_id", "model", "blind", "summary"} of the answer just rated


@st.fragment
def review_card(engine: Engine, version_id: int, rater: str, *, kind: str, blind: bool) -> None:
    last = st.session_state.get(LAST)
    if last and last["version_id"] == version_id:
        revealed = f" It was written by **{safe_markdown(last['model'])}**." if last["blind"] else ""
        st.success(
            f"Saved {last['summary']} for the previous answer.{revealed}", icon=":material/check_circle:"
        )

    queue = review.review_queue(
        engine, version_id=version_id, rater=rater, shuffle_seed=blind_seed() if blind else None
    )
    st.progress(queue.rated / queue.total if queue.total else 1.0, text=queue.progress_text)
    item = queue.next
    if item is None:
        st.success(
            f"All rated: you have rated all {queue.total} answers of this version. "
            "See how they compare on the Feedback and Leaderboard pages.",
            icon=":material/celebration:",
        )
        return

    st.subheader(f"Answer {queue.rated + 1} of {queue.total}")
    st.caption(
        ("Model hidden until you rate it" if blind else f"Model: **{safe_markdown(item.model)}**")
        + (f" · Test case: {safe_markdown(item.test_case)}" if item.test_case else "")
    )
    if item.variables:
        with st.expander("Input", expanded=True):
            for name, value in item.variables.items():
                st.markdown(f"**{safe_markdown(name)}**: {safe_markdown(value)}")
    with st.container(border=True):
        st.markdown(safe_markdown(item.text))

    def saved(rating: RatingView) -> None:
        st.session_state[LAST] = {
            "version_id": version_id,
            "output_id": rating.output_id,
            "model": item.model,
            "blind": rating.blind,
            "summary": describe(rating),
        }
        rerun_fragment()  # the next answer, without redrawing the page

    st.caption(
        "Pick the stars, add tags or a comment if useful, then save. Keyboard: Tab to the stars, "
        "arrow keys to move, Space to pick, Ctrl+S (or Enter in the comment box) to save."
    )
    rating_control(
        engine,
        item.output_id,
        rater,
        kind=kind,
        blind=blind,
        key="review",
        shortcut="Ctrl+S",
        on_saved=saved,
    )
