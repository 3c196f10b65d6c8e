"""Draft's "Context from documents": which variable is the question, which one gets the
passages, how many and how big (saved with the version), and the passages picked for the
values on screen, each with its source.

Documents may hold personal data, so the passages are shown only to people who may read the
project's documents (editors and admins when sign-in is on); the settings are anyone's to see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from workbench.documents import records
from workbench.documents.context import (
    MAX_K,
    MAX_TOKENS,
    RetrievalSettings,
    Retrieved,
    retrieve,
    settings_of,
    with_settings,
)
from workbench.errors import InvalidInput
from workbench.store.engine import session_scope
from workbench.ui.authoring import draft_state
from workbench.ui.shell import auth
from workbench.ui.shell.page import literal

KEY = "w_draft_rag_"  # cleared with the draft's other widgets when another version is opened


def _tags(engine: Engine, project_id: int) -> list[str]:
    with session_scope(engine) as session:
        return sorted({t for d in records.list_documents(session, project_id) for t in d.tags})


def settings_form(engine: Engine, project_id: int, variables: Sequence[str]) -> RetrievalSettings | None:
    """The retrieval settings of the draft, edited here and kept in its parameters. The widgets'
    keys name the version they were opened from: a browser sends the previous version's widget
    values with the rerun that opens another one, which would otherwise overwrite its settings."""
    current = settings_of(draft_state.params())
    origin = draft_state.origin()
    key = f"{KEY}{origin.prompt_id}_{origin.version_id}_"
    on = st.toggle(
        "Fill a variable with passages from this project's documents",
        value=current is not None,
        key=f"{key}on",
        help="Before each call, the workbench searches the project's documents for the question and "
        "puts the best passages, with their source, into the context variable.",
    )
    if not on:
        if current is not None:
            draft_state.set_params(with_settings(draft_state.params(), None))
        return None
    context_name = st.text_input(
        "Context variable: where the passages go",
        value=current.context_variable if current else "context",
        key=f"{key}context",
    ).strip()
    choices = [v for v in variables if v != context_name] or ["question"]
    default = current.query_variable if current and current.query_variable in choices else choices[0]
    left, mid, right = st.columns(3)
    query = left.selectbox("Question variable", choices, index=choices.index(default), key=f"{key}query")
    k = mid.number_input("Passages (k)", 1, MAX_K, value=current.k if current else 4, key=f"{key}k")
    ceiling = right.number_input(
        "Token ceiling",
        50,
        MAX_TOKENS,
        value=current.max_tokens if current else 1200,
        step=100,
        key=f"{key}tokens",
    )
    tags = st.multiselect(
        "Only documents tagged (none: every included document)",
        _tags(engine, project_id),
        default=[t for t in (current.tags if current else ()) if t in _tags(engine, project_id)],
        key=f"{key}tags",
    )
    try:
        settings = RetrievalSettings(str(query), context_name, int(k), int(ceiling), tuple(tags))
    except InvalidInput as exc:
        st.error(literal(exc.message), icon=":material/error:")
        return current
    draft_state.set_params(with_settings(draft_state.params(), settings))
    if context_name not in variables:
        st.caption(f"Write {{{{ {context_name} }}}} in a message where the passages should go.")
    st.caption("Saved with the version: " + literal(settings.summary()) + ".")
    return settings


def with_context(
    engine: Engine, project_id: int, settings: RetrievalSettings | None, values: Mapping[str, Any]
) -> tuple[dict[str, Any], Retrieved | None]:
    """The values with the context filled for the preview, and what was retrieved."""
    if settings is None:
        return dict(values), None
    if not auth.allowed("documents.read", project_id, explain=False):
        return {
            **values,
            settings.context_variable: "(passages hidden: you cannot read this project's documents)",
        }, None
    with session_scope(engine) as session:
        found = retrieve(session, project_id, settings, values)
    return {**values, settings.context_variable: found.text}, found


def show_passages(
    settings: RetrievalSettings | None, found: Retrieved | None, values: Mapping[str, Any]
) -> None:
    if settings is None:
        return
    st.markdown("#### Passages used as context")
    if found is None:
        st.caption("Only editors and admins of this project see its documents.")
        return
    if not str(values.get(settings.query_variable) or "").strip():
        st.caption(f"Fill in {settings.query_variable} to see which passages it finds.")
        return
    if not found.hits:
        st.caption("No passage matches this question: the model gets a note saying so.")
    for i, hit in enumerate(found.hits, start=1):
        where = hit.title + (f" › {hit.heading}" if hit.heading and hit.heading != hit.title else "")
        source = f" · {hit.source_name}" if hit.source_name else ""
        with st.container(border=True, key=f"draft_passage_{i}"):
            st.markdown(f"**[{i}] {literal(where)}**{literal(source)} · score {hit.score:.2f}")
            st.caption(literal(hit.text[:600]))
