"""Review: rate the answers of one prompt version one by one until all are rated."""

import streamlit as st

from workbench.judging import review
from workbench.judging.ratings import RatingView
from workbench.ui.rating.rating_control import blind_seed, describe, rating_control
from workbench.ui.shell import state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

LAST = "review_last"  # {"output_id", "model", "blind", "summary"} of the answer just rated

header("Review", spec("pages/review.py").explanation)
engine = get_engine()
project_id = require_project()
rater = state.user_name()

with shows_errors():
    choices = review.reviewable_versions(engine, project_id)
    if not choices:
        elsewhere = review.projects_with_answers(engine)
        hint = f" These projects have answers to review: {', '.join(elsewhere)}." if elsewhere else ""
        st.info(
            f"No answers to review in this project yet: run a prompt version on the Compare page first.{hint}"
        )
        st.stop()
    labels = {c.version_id: c.label for c in choices}
    top = st.columns([3, 2, 2], vertical_alignment="bottom")
    version_id = top[0].selectbox(
        "Prompt version", list(labels), format_func=labels.get, key="review_version"
    )
    kind = top[1].segmented_control(
        "Rate with",
        ["stars", "thumbs"],
        default="stars",
        required=True,
        key="review_kind",
        format_func={"stars": ":material/star: Stars", "thumbs": ":material/thumb_up: Thumbs"}.get,
    )
    blind = top[2].toggle(
        "Blind review",
        key="review_blind",
        help="Hide which model wrote each answer, in a shuffled order, until you have rated it.",
    )
    if not rater:
        st.info(
            "Type your name in the sidebar to start: every rating records who gave it.",
            icon=":material/edit:",
        )
        st.stop()

    last = st.session_state.get(LAST)
    if last and last["version_id"] == version_id:
        revealed = f" It was written by **{last['model']}**." if last["blind"] else ""
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
        st.stop()

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

    def _saved(rating: RatingView) -> None:
        st.session_state[LAST] = {
            "version_id": version_id,
            "output_id": rating.output_id,
            "model": item.model,
            "blind": rating.blind,
            "summary": describe(rating),
        }
        st.rerun()

    st.caption(
        "Pick the stars, add tags or a comment if useful, then save. Keyboard: Tab to the stars, "
        "arrow keys to move, Space to pick, Ctrl+S (or Enter in the comment box) to save."
    )
    rating_control(
        engine,
        item.output_id,
        rater,
        kind=kind or "stars",
        blind=blind,
        key="review",
        shortcut="Ctrl+S",
        on_saved=_saved,
    )
