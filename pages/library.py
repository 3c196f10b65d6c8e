"""Library: every prompt you may see, with versions, labels, ratings, pass rate and activity;
search and filter it, and open any prompt in the Draft page."""

import streamlit as st

from workbench.insights import library
from workbench.store.lookup import id_of
from workbench.ui.library.library_view import open_in_draft_button, visible_ids, visible_projects
from workbench.ui.rating.charts import rating_text
from workbench.ui.shell.meanings import PASS_RATE, explain
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Library", spec("pages/library.py").explanation)
engine = get_engine()

with shows_errors():
    visible = visible_ids(engine)
    names = {id_of(p): p.name for p in visible_projects(engine)}
    if not names:
        st.info("There is no project yet. Projects hold a use case and its prompts.")
        st.stop()
    choices = library.filter_choices(engine, visible)

    top = st.columns([3, 3, 2])
    text = top[0].text_input(
        "Search",
        key="library_text",
        placeholder="Words in a prompt's name, description or template",
        help="Case-insensitive; matches the prompt's name and description and the text of any of its versions.",
    )
    chosen_projects = top[1].multiselect(
        "Projects",
        list(names),
        format_func=lambda k: names[k],
        key="library_projects",
        placeholder="All projects",
    )
    rating = top[2].slider(
        "Average rating",
        1.0,
        5.0,
        (1.0, 5.0),
        step=0.5,
        key="library_rating",
        help="Out of 5. Narrowing the range hides prompts nobody has rated yet.",
    )
    below = st.columns(3)
    labels = below[0].multiselect("Labels", choices.labels, key="library_labels", placeholder="Any label")
    tags = below[1].multiselect(
        "Rating tags",
        choices.tags,
        key="library_tags",
        placeholder="Any tag",
        help="Prompts with at least one answer that a rater gave one of these tags.",
    )
    models = below[2].multiselect(
        "Models",
        choices.models,
        key="library_models",
        placeholder="Any model",
        help="Prompts that were run on at least one of these models.",
    )
    filters = library.LibraryFilter(
        visible_project_ids=visible,
        project_ids=tuple(chosen_projects),
        text=text,
        labels=tuple(labels),
        tags=tuple(tags),
        models=tuple(models),
        rating=(float(rating[0]), float(rating[1])),
    )
    frame = library.library_frame(engine, filters)
    st.caption(
        f"{len(frame)} prompt{'' if len(frame) == 1 else 's'} · {library.describe_filter(filters, names)}. "
        "Pass rate: the newest finished bench evaluation."
    )
    if frame.empty:
        st.info("No prompt matches. Loosen a filter, or write a new prompt on the Draft page.")
        st.stop()

    st.dataframe(
        frame.drop(columns=["prompt_id", "project_id", "latest_version_id"]).assign(
            average_rating=rating_text(frame["average_rating"], digits=2)
        ),
        hide_index=True,
        width="stretch",
        key="library_table",
        column_order=[
            "project",
            "prompt",
            "latest_version",
            "labels",
            "average_rating",
            "ratings",
            "pass_rate",
            "runs",
            "last_activity",
            "versions",
            "description",
        ],
        column_config={
            "project": "Project",
            "prompt": st.column_config.TextColumn("Prompt", width="medium"),
            "versions": st.column_config.NumberColumn("Versions", width="small"),
            "description": st.column_config.TextColumn("Description", width="medium"),
            "latest_version": st.column_config.NumberColumn("Latest", format="v%d", width="small"),
            "labels": "Labels",
            "average_rating": st.column_config.TextColumn("Avg rating"),
            "ratings": st.column_config.NumberColumn("Ratings", width="small"),
            "pass_rate": st.column_config.ProgressColumn(
                "Pass rate",
                min_value=0,
                max_value=1,
                format="percent",
                help="Of the prompt's newest evaluation in which some call answered: the share of answers "
                "that passed every check.",
            ),
            "runs": st.column_config.NumberColumn("Runs", width="small"),
            "last_activity": st.column_config.DatetimeColumn("Last activity", format="D MMM YYYY, HH:mm"),
        },
    )

    explain(
        [
            PASS_RATE + " Shown for the newest evaluation in which some call answered.",
            "**Avg rating**: the mean score raters gave its answers, from 1 to 5.",
        ]
    )
    pick, go = st.columns([4, 1], vertical_alignment="bottom")
    titles = {
        int(pid): f"{project} / {prompt}"
        for pid, project, prompt in zip(frame["prompt_id"], frame["project"], frame["prompt"], strict=True)
    }
    target = pick.selectbox(
        "Open a prompt",
        list(titles),
        format_func=lambda k: titles[k],
        key="library_open",
        help="Loads its latest version into the editor; the sidebar switches to its project.",
    )
    with go:
        open_in_draft_button(engine, target, key="library_open_btn")
