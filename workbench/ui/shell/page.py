"""The frame every page shares: a title, a one-line explanation, and error display."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError

from workbench.errors import WorkbenchError

# Characters markdown would act on. An underscore inside a word (OPENAI_API_KEY, json_schema)
# never starts emphasis, so it stays as typed and the message still reads the same in tests.
_MARKDOWN_ACTIVE = re.compile(r"[\\`*$\[\]~]|(?<![^\W_])_|_(?![^\W_])")


def literal(text: str) -> str:
    """Text shown as typed inside markdown: error messages quote the user's own input and
    Python names (``__class__`` would otherwise turn bold and lose its underscores)."""
    return _MARKDOWN_ACTIVE.sub(lambda m: "\\" + m.group(0), text)


def rerun_fragment() -> None:
    """Rerun the fragment this code runs in (a fragment's own action), or the whole page when
    this run is not a fragment's rerun (a full run, or AppTest, which reruns everything)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitInvalidLayoutContextError:
        st.rerun()


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
        st.error(literal(str(exc)).replace("\n", "  \n"), icon=":material/warning:")


def require_project() -> int:
    """The active project's id; without one, say so and stop the page."""
    from workbench.ui.shell import state

    project_id = state.active_project_id()
    if project_id is None:
        st.info("There is no project yet. Projects hold a use case and its prompts.")
        st.stop()
    return project_id
