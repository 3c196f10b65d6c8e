"""Compare's rows of variable values: one text box per variable and row, not a data grid.

A data grid (``st.data_editor``) lost characters when typed into fast: a rerun started by one
cell redrew the grid under the cursor, and a new row typed with Tab overwrote row 1. Plain text
boxes keep each box's own text in the browser while the page reruns, so typing fast with Tab
and Enter keeps every character (``tests/e2e/test_typing.py`` proves it in Chromium).

Rows live in session state under ``compare_rows_<version id>`` (a plain list of dicts, so they
outlive a visit to another page) and are kept server-side for the person (``rows/<version
id>``), so they come back after a reload. A row with every box empty is left out of the run.
"""

from __future__ import annotations

import streamlit as st

from workbench.documents.context import filled_variables
from workbench.prompts.templates import PromptTemplate
from workbench.store.lookup import id_of
from workbench.store.tables import PromptVersion
from workbench.ui.shell import kept


def store_key(version_id: int) -> str:
    return f"compare_rows_{version_id}"


def cell_key(version_id: int, row: int, name: str) -> str:
    return f"compare_cell_{version_id}_{row}_{name}"


def _start_rows(version: PromptVersion, names: list[str]) -> list[dict[str, str]]:
    """This person's rows from last time, else one row of the version's sample values."""
    saved = (kept.recall(f"rows/{version.id}") or {}).get("rows")
    if saved:
        return [{n: str(row.get(n, "")) for n in names} for row in saved]
    return [{n: str(version.sample_variables.get(n, "")) for n in names}]


def _drop_row_widgets(version_id: int, row: int, names: list[str]) -> None:
    for name in names:
        st.session_state.pop(cell_key(version_id, row, name), None)


def variable_rows(version: PromptVersion) -> list[dict[str, str]]:
    """Rows of values for the version's variables (rows left all empty are not returned). The
    context that retrieval fills from the project's documents is not asked for."""
    filled = filled_variables(version.params)
    names = [
        n
        for n in PromptTemplate(system=version.system_template, user=version.user_template).variables()
        if n not in filled
    ]
    if filled:
        st.caption(
            f"{{{{ {', '.join(sorted(filled))} }}}} is filled from the project's documents for each row."
        )
    if not names:
        st.caption("This version has no variables: each model answers it once.")
        return [{}]
    key = store_key(id_of(version))
    if key not in st.session_state:
        st.session_state[key] = _start_rows(version, names)
    rows: list[dict[str, str]] = [{n: str(r.get(n, "") or "") for n in names} for r in st.session_state[key]]
    spec = [0.4, *([4] * len(names))]
    header = st.columns(spec)
    for column, name in zip(header[1:], names, strict=True):
        column.markdown(f"**{name}**")
    for index, row in enumerate(rows):
        cells = st.columns(spec, vertical_alignment="center")
        cells[0].caption(str(index + 1))
        for column, name in zip(cells[1:], names, strict=True):
            widget = cell_key(id_of(version), index, name)
            if widget not in st.session_state:
                st.session_state[widget] = row[name]
            row[name] = column.text_input(
                f"{name}, row {index + 1}", key=widget, label_visibility="collapsed", placeholder=name
            )
    add, remove, hint = st.columns([1, 1.3, 3], vertical_alignment="center")
    resized = False
    if add.button("Add a row", key=f"compare_add_row_{version.id}", icon=":material/add:"):
        rows.append(dict.fromkeys(names, ""))
        resized = True
    elif len(rows) > 1 and remove.button(
        "Remove the last row", key=f"compare_drop_row_{version.id}", icon=":material/remove:"
    ):
        _drop_row_widgets(id_of(version), len(rows) - 1, names)
        rows.pop()
        resized = True
    hint.caption("One row per set of values. Tab moves to the next box; Enter applies what you typed.")
    st.session_state[key] = rows
    kept.keep(f"rows/{version.id}", {"rows": rows})
    if resized:
        st.rerun()  # draw the table with its new rows
    return [r for r in rows if any(v for v in r.values())]
