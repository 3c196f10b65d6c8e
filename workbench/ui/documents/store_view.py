"""The document store: the readiness summary, excluding old documents, the table of documents
with exclude / include / delete, a document's passages, and the export (all audited)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.documents import readiness, records
from workbench.store.engine import session_scope
from workbench.ui.library.export_panels import download
from workbench.ui.shell import auth, state
from workbench.ui.shell.page import literal, shows_errors

CUTOFF = "documents_cutoff"


def summary(engine: Engine, project_id: int) -> None:
    cutoff = st.session_state.get(CUTOFF)
    with session_scope(engine) as session:
        ready = readiness.readiness(session, project_id, cutoff)
    cols = st.columns(5)
    cols[0].metric("Documents", ready.documents, help=f"{ready.included} used for context and generation")
    cols[1].metric("Words", f"{ready.words:,}")
    cols[2].metric("Passages", ready.passages)
    cols[3].metric("Near-duplicates", ready.near_duplicates)
    cols[4].metric("With personal data", ready.with_personal_data)
    st.caption(literal(" · ".join(ready.lines())) + ".")
    if ready.cleaned:
        st.caption(
            "Cleaning repaired: "
            + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in ready.cleaned.items())
            + "."
        )
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    chosen = left.date_input(
        "Documents older than",
        value=cutoff,
        key=CUTOFF,
        format="YYYY-MM-DD",
        help="Old material may no longer be true.",
    )
    if isinstance(chosen, date) and ready.older:
        if right.button(
            f"Exclude the {ready.older} documents dated before {chosen.isoformat()}",
            key="documents_exclude_old",
        ) and auth.allowed("documents.edit", project_id):
            with session_scope(engine) as session:
                readiness.exclude_older(session, project_id, chosen, actor=state.user_name())
            st.rerun()
    elif isinstance(chosen, date):
        right.caption(f"No included document is dated before {chosen.isoformat()}.")


def table(engine: Engine, project_id: int) -> None:
    with session_scope(engine) as session:
        documents = records.list_documents(session, project_id)
    if not documents:
        st.info("No documents yet: add the business's own documents on the Add tab.", icon=":material/info:")
        return
    frame = pd.DataFrame(
        [
            {
                "id": d.id,
                "Title": d.title,
                "File": d.source_name or "pasted",
                "Date": d.published,
                "Author": d.author,
                "Tags": ", ".join(d.tags),
                "Words": d.words,
                "Personal data": ", ".join(d.personal_data) or "",
                "Near-duplicate of": d.near_duplicate_of,
                "Used": not d.excluded,
            }
            for d in documents
        ]
    )
    picked = st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="documents_table",
        on_select="rerun",
        selection_mode="multi-row",
        column_config={"id": None, "Used": st.column_config.CheckboxColumn("Used")},
    )
    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
    ids = [int(frame.iloc[i]["id"]) for i in rows]
    cols = st.columns(4)
    actions = {
        "exclude": cols[0].button(
            "Exclude", key="documents_do_exclude", disabled=not ids, icon=":material/visibility_off:"
        ),
        "include": cols[1].button(
            "Include", key="documents_do_include", disabled=not ids, icon=":material/visibility:"
        ),
        "delete": cols[2].button(
            "Delete", key="documents_do_delete", disabled=not ids, icon=":material/delete:"
        ),
    }
    with cols[3]:
        download(
            "Export all (zip)",
            lambda: readiness.export_documents(engine, project_id, actor=state.user_name()),
            "documents.zip",
            "application/zip",
            "documents_export",
            disabled=not auth.allowed("documents.export", project_id, explain=False),
        )
    chosen = next((name for name, clicked in actions.items() if clicked), None)
    if chosen and auth.allowed("documents.edit", project_id):
        with shows_errors(), session_scope(engine) as session:
            if chosen == "delete":
                for document_id in ids:
                    records.delete_document(session, document_id, actor=state.user_name())
            else:
                records.set_excluded(session, ids, chosen == "exclude", actor=state.user_name())
        st.rerun()
    if len(ids) == 1:
        passages(engine, ids[0])
    else:
        st.caption(
            "Select one document to read its passages; select several to exclude, include or delete them."
        )


def passages(engine: Engine, document_id: int) -> None:
    with session_scope(engine) as session:
        found = records.passages_of(session, document_id)
    st.markdown(f"**{len(found)} passages** (what retrieval searches and generation reads)")
    for p in found:
        with st.container(border=True):
            st.caption(
                f"Passage {p.position + 1}"
                + (f" · {literal(p.heading)}" if p.heading else "")
                + f" · ~{p.tokens} tokens"
            )
            st.text(p.text)
