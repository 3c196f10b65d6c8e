"""The frame every page shares: a title, a one-line explanation, and error display."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from workbench.errors import WorkbenchError


def header(title: str, explanation: str) -> None:
    st.title(title)
    st.caption(explanation)


@contextmanager
def shows_errors() -> Iterator[None]:
    """Show a ``WorkbenchError`` as an error box; anything else propagates (tests see it)."""
    try:
        yield
    except WorkbenchError as exc:
        # Messages may list several problems, one per line; keep the lines in markdown.
        st.error(str(exc).replace("\n", "  \n"), icon="⚠️")


def require_project() -> int:
    """The active project's id; without one, say so and stop the page."""
    from workbench.ui import state

    project_id = state.active_project_id()
    if project_id is None:
        st.info("There is no project yet. Projects hold a use case and its prompts.")
        st.stop()
    return project_id
