"""Feedback: what raters said about a prompt, per version and per model, and whether they agree."""

import streamlit as st

from workbench.judging import feedback, ratings
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import DEFAULT_RATING_TAGS
from workbench.ui.rating.charts import score_chart, score_columns, tag_chart
from workbench.ui.shell import auth, state
from workbench.ui.shell.meanings import ALPHA, AVERAGE_SCORE, INTERVAL, KAPPA, TOO_FEW, explain
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

header("Feedback", spec("pages/feedback.py").explanation)
engine = get_engine()
project_id = require_project()


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


with shows_errors():
    prompts = {id_of(p): p.name for p in versions.list_prompts(engine, project_id)}
    if not prompts:
        st.info("This project has no prompts yet.")
        st.stop()
    prompt_id = st.selectbox("Prompt", list(prompts), format_func=lambda k: prompts[k], key="feedback_prompt")
    frame = feedback.ratings_frame(engine, prompt_id=prompt_id)
    if frame.empty:
        st.info("No ratings for this prompt yet: rate its answers on the Review page.")
    else:
        shown = ", ".join(f"v{n}" for n in sorted(frame["version_number"].unique()))
        st.caption(
            f"Showing **{prompts[prompt_id]}**, versions {shown}: {len(frame)} ratings by "
            f"{frame['rater'].nunique()} people."
        )
        st.subheader("Per version")
        per_version = feedback.version_feedback(engine, prompt_id)
        st.plotly_chart(score_chart(feedback.score_summary(frame, "version"), "version"), key="fb_versions")
        st.dataframe(
            per_version.drop(columns=["version_number"]),
            hide_index=True,
            width="stretch",
            column_config=score_columns(),
        )
        explain([AVERAGE_SCORE, INTERVAL, TOO_FEW])
        st.subheader("Per version and model")
        st.dataframe(
            feedback.version_feedback(engine, prompt_id, per_model=True).drop(columns=["version_number"]),
            hide_index=True,
            width="stretch",
            column_config=score_columns(),
        )
        counts = feedback.tag_counts(frame, "version")
        if not counts.empty:
            st.plotly_chart(tag_chart(counts, "version"), key="fb_tags")

        st.subheader("Do the raters agree?")
        agreement = feedback.rater_agreement(frame)
        cols = st.columns(4)
        cols[0].metric("Outputs rated by 2+ people", agreement.shared_outputs)
        cols[1].metric("Krippendorff's α (ordinal)", _fmt(agreement.alpha_ordinal), help=ALPHA)
        cols[2].metric("Krippendorff's α (interval)", _fmt(agreement.alpha_interval), help=ALPHA)
        cols[3].metric(
            "Cohen's κ (weighted)",
            _fmt(agreement.kappa),
            help="Only when exactly two people rated the same outputs: "
            + (" and ".join(agreement.kappa_raters) or "not the case here"),
        )
        st.caption(agreement.verdict)
        explain([ALPHA, KAPPA])

        latest = int(per_version["version_number"].max())
        st.subheader(f"Low-rated answers of v{latest} and what raters said")
        version_ids = dict(zip(frame["version_number"], frame["version_id"], strict=False))
        low = feedback.low_rated(engine, int(version_ids[latest]))
        if not low:
            st.caption(f"No answer of v{latest} averages 2.5 or less.")
        for item in low:
            tags = ", ".join(item.tags) or "no tags"
            with st.expander(safe_markdown(f"{item.mean_score:.1f} ★ · {item.model} · {tags}")):
                st.markdown(safe_markdown(item.text))
                for comment in item.comments:
                    st.markdown("> " + safe_markdown(comment).replace("\n", "\n> "))

    with st.expander("Tags offered to raters in this project"):
        current = ratings.project_tags(engine, project_id)
        chosen = st.multiselect(
            "Tags",
            sorted(set(current) | set(DEFAULT_RATING_TAGS), key=str.lower),
            default=current,
            accept_new_options=True,
            key="feedback_tags",
            help="Type a new tag and press Enter to add it. Ratings keep the tags they already have.",
        )
        if st.button("Save tags", key="feedback_tags_save") and auth.allowed("tags.edit", project_id):
            with session_scope(engine) as session:
                ratings.set_project_tags(session, project_id, chosen, actor=state.user_name() or "anonymous")
            st.success("Tags saved.")
