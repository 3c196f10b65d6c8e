"""Leaderboard: blind pairwise votes on two answers to one input, and the ranking they produce."""

from typing import Literal

import streamlit as st

from workbench.judging import feedback, pairwise
from workbench.ui.rating import kept_reads
from workbench.ui.rating.charts import leaderboard_chart, leaderboard_columns, score_chart, score_columns
from workbench.ui.rating.rating_control import blind_seed
from workbench.ui.shell import auth, state
from workbench.ui.shell.meanings import AVERAGE_SCORE, BRADLEY_TERRY, INTERVAL, TOO_FEW, WIN_RATE, explain
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

LAST = "pairwise_last"  # {"by", "a", "b", "choice"} of the vote just given, for the reveal
BY: dict[Literal["model", "version"], str] = {
    "model": "Models (same prompt version)",
    "version": "Prompt versions (same model)",
}
SHORTCUTS = {"a": "A", "b": "B", "tie": "T", "both_bad": "X"}

header("Leaderboard", spec("pages/leaderboard.py").explanation)
engine = get_engine()
project_id = require_project()
rater = state.user_name()

by = st.segmented_control(
    "Rank", list(BY), format_func=lambda k: BY[k], default="model", required=True, key="lb_by"
)
by = by or "model"
noun = "models" if by == "model" else "versions"

with shows_errors():
    st.subheader("Which answer is better?")
    last = st.session_state.get(LAST)
    if last and last["by"] == by:
        st.info(
            f"Revealed: **A** was **{last['a']}**, **B** was **{last['b']}**. "
            f"You chose: {pairwise.CHOICE_LABELS[last['choice']]}.",
            icon=":material/lock_open:",
        )
    queue = kept_reads.pairs_queue(project_id, rater, by, blind_seed())
    if not rater:
        st.info(
            "Type your name in the sidebar to vote: every vote records who gave it.", icon=":material/edit:"
        )
    elif not queue.first:
        st.success(
            f"No pairs left to judge: you have voted on every pair of {noun} answering the same input "
            f"(to get more, run two {noun} on the same input on the Compare page)."
        )
    else:
        pair = queue.first[0]
        st.caption(
            f"{queue.left} pairs left · the {noun[:-1]} behind each answer is hidden until you vote · "
            "keys: A, B, T (tie), X (both bad)"
        )
        prompt = pair.version_a if by == "model" else pair.version_a.rsplit(" · v", 1)[0]
        st.markdown(f"Prompt: **{prompt}**" + ("" if by == "model" else " (two of its versions)"))
        if pair.a.variables:
            st.markdown(
                "  \n".join(
                    f"**{safe_markdown(k)}**: {safe_markdown(v)}" for k, v in pair.a.variables.items()
                )
            )
        left, right = st.columns(2)
        for column, name, item in ((left, "A", pair.a), (right, "B", pair.b)):
            with column.container(border=True):
                st.markdown(f"**Answer {name}**")
                st.markdown(safe_markdown(item.text))
        buttons = st.columns(4)
        for column, (choice, label) in zip(buttons, pairwise.CHOICE_LABELS.items(), strict=True):
            if column.button(
                label, key=f"vote_{choice}", shortcut=SHORTCUTS[choice], width="stretch"
            ) and auth.allowed("output.vote", project_id):
                pairwise.record_preference(
                    engine,
                    output_a_id=pair.a.output_id,
                    output_b_id=pair.b.output_id,
                    choice=choice,
                    rater=rater,
                    blind=True,
                )
                shown = (pair.a.model, pair.b.model) if by == "model" else (pair.version_a, pair.version_b)
                st.session_state[LAST] = {"by": by, "a": shown[0], "b": shown[1], "choice": choice}
                st.rerun()

    st.subheader(f"Leaderboard of {noun}")
    votes = pairwise.votes_frame(engine, project_id)
    board = pairwise.rank_votes(votes, by)
    if not board.empty:
        sources = pairwise.vote_sources(votes, by)
        total = sum(sources.values())
        st.caption(
            f"From {total} {'vote' if total == 1 else 'votes'} on: "
            + ", ".join(f"{what} ({n})" for what, n in sources.items())
            + ("." if by == "model" else ". Each vote compares two versions answered by the same model.")
        )
    if board.empty:
        st.info(f"No votes between {noun} yet: vote above and the ranking appears here.")
    else:
        few = int(board["too_few"].sum())
        st.plotly_chart(leaderboard_chart(board), key="lb_chart")
        if few:
            st.warning(
                f"{few} of {len(board)} {noun} rest on fewer than {pairwise.MIN_COMPARISONS} comparisons "
                "(grey): too few to trust yet. Keep voting.",
                icon=":material/balance:",
            )
        st.dataframe(
            board.drop(columns=["win_rate_low", "win_rate_high"]),
            hide_index=True,
            width="stretch",
            column_config=leaderboard_columns("Model" if by == "model" else "Version"),
        )
        explain([BRADLEY_TERRY, WIN_RATE, TOO_FEW])

    st.subheader(f"Ranking of {noun} by ratings")
    rated = kept_reads.scores_frame(project_id)
    summary = feedback.score_summary(rated, by)
    if summary.empty:
        st.info("No ratings yet: rate answers on the Review page.")
    else:
        counts = rated["version"].value_counts()
        st.caption(
            f"From {len(rated)} ratings of: " + ", ".join(f"{v} ({n})" for v, n in counts.items()) + "."
        )
        st.plotly_chart(score_chart(summary, by), key="score_chart")
        st.dataframe(summary, hide_index=True, width="stretch", column_config=score_columns())
        explain([AVERAGE_SCORE, INTERVAL, TOO_FEW])
