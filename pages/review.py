"""Review: rate the answers of one prompt version one by one until all are rated."""

import streamlit as st

from workbench.judging import review
from workbench.ui.rating.review_card import review_card
from workbench.ui.shell import state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine

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
        "Prompt version", list(labels), format_func=lambda k: labels[k], key="review_version"
    )
    kind = top[1].segmented_control(
        "Rate with",
        ["stars", "thumbs"],
        default="stars",
        required=True,
        key="review_kind",
        format_func=lambda k: {"stars": ":material/star: Stars", "thumbs": ":material/thumb_up: Thumbs"}[k],
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

    review_card(engine, version_id, rater, kind=kind or "stars", blind=blind)
