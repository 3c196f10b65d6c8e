"""Send answers in use to Review: pick which (unhappy end users, comments, none, all), of which
release, how many; they become answers raters rate on the Review page."""

from __future__ import annotations

from datetime import datetime

import streamlit as st
from sqlalchemy import Engine

from workbench.monitor import to_review
from workbench.store.engine import session_scope
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import page_script

FLASH = "monitor_review_flash"


def show(
    engine: Engine,
    project_id: int,
    prompt_id: int,
    releases: dict[int, str],
    since: datetime,
    until: datetime,
) -> None:
    st.subheader("Send answers to Review")
    st.caption(
        "Reviewers rate answers in use on the Review page like any other answer; the well-rated ones "
        "join the fine-tuning export. Each answer is sent once."
    )
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
        st.page_link(page_script("pages/review.py"), label="Open Review", icon=":material/rate_review:")
    which_col, release_col, count_col = st.columns([2, 3, 1], vertical_alignment="bottom")
    which = which_col.selectbox(
        "Which answers",
        list(to_review.CHOICES),
        format_func=lambda k: to_review.CHOICES[k].capitalize(),
        key="monitor_review_which",
    )
    options: list[int | None] = [None, *releases]
    release_id = release_col.selectbox(
        "Of",
        options,
        format_func=lambda r: "every release" if r is None else releases[r],
        key="monitor_review_release",
    )
    limit = int(count_col.number_input("At most", 1, 500, 20, key="monitor_review_limit"))
    picked = to_review.pick_for_review(
        engine, prompt_id, which=which, release_id=release_id, since=since, until=until, limit=limit
    )
    sent = to_review.sent_count(engine, prompt_id)
    st.caption(
        f"{len(picked)} answers match (newest first). {sent} of this prompt's answers in use were sent before."
    )
    if st.button(
        f"Send {len(picked)} to Review",
        key="monitor_review_send",
        icon=":material/rate_review:",
        disabled=not picked,
    ) and auth.allowed("run.start", project_id):
        with session_scope(engine) as session:
            result = to_review.send_to_review(session, picked, actor=state.user_name())
        st.session_state[FLASH] = f"{result.answers} answers are waiting on the Review page."
        st.rerun()
