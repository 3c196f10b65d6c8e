"""Adding documents: upload files (TXT, Markdown, HTML, PDF, DOCX) or paste text, with the
author, date and tags they should carry. All or nothing: one bad file is named and nothing is
added. What cleaning repaired, near-duplicates and personal data found are shown once added."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.documents import records
from workbench.documents.convert import ACCEPTED
from workbench.store.engine import session_scope
from workbench.ui.shell import auth, state
from workbench.ui.shell.page import literal, shows_errors

FLASH = "documents_added"
UPLOADS = "documents_uploads"  # bumped after an add, so the uploader starts empty


def _flash(lines: list[str]) -> None:
    st.session_state[FLASH] = lines


def show_flash() -> None:
    lines = st.session_state.pop(FLASH, None)
    if lines:
        st.success("\n\n".join(literal(line) for line in lines), icon=":material/check_circle:")


def render(engine: Engine, project_id: int) -> None:
    round_ = st.session_state.setdefault(UPLOADS, 0)
    files = st.file_uploader(
        f"Files ({', '.join(ACCEPTED)}; 50 MB each at most)",
        type=list(ACCEPTED),
        accept_multiple_files=True,
        key=f"documents_files_{round_}",
    )
    if files:  # the app has them (the uploader lists a file while it is still being sent)
        st.caption(f"Ready to add: {literal(', '.join(f.name for f in files))}.")
    pasted = st.text_area(
        "…or paste text (Markdown headings such as '# Sick leave' become sections)",
        key=f"documents_paste_{round_}",
        height=140,
    )
    title, author, when, tags = st.columns([2, 2, 1, 2])
    typed_title = title.text_input(
        "Title (pasted text; files use their own)", key=f"documents_title_{round_}"
    )
    typed_author = author.text_input("Author (default: from the file)", key=f"documents_author_{round_}")
    typed_date = when.date_input("Date", value=None, key=f"documents_date_{round_}", format="YYYY-MM-DD")
    typed_tags = tags.text_input("Tags, comma-separated", key=f"documents_tags_{round_}")
    if not st.button("Add documents", type="primary", icon=":material/upload_file:", key="documents_add"):
        return
    if not auth.allowed("documents.edit", project_id):
        return
    tag_list = tuple(t.strip() for t in typed_tags.split(",") if t.strip())
    common = dict(author=typed_author.strip(), published=typed_date, tags=tag_list)
    sources = [records.Source(name=f.name, data=f.getvalue(), **common) for f in files or []]  # type: ignore[arg-type]
    if pasted.strip():
        sources.append(records.Source(name="", text=pasted, title=typed_title.strip(), **common))  # type: ignore[arg-type]
    done = False
    with shows_errors(), session_scope(engine) as session:
        prepared = records.prepare(session, project_id, sources)
        added = records.add(session, project_id, prepared, actor=state.user_name())
        _flash([_line(d, p) for d, p in zip(added, prepared, strict=True)])
        done = True
    if done:  # committed: start with an empty form
        st.session_state[UPLOADS] = round_ + 1
        st.rerun()


def _line(document: records.Document, prepared: records.Prepared) -> str:
    parts = [
        f"Added '{document.title}'"
        + (f" ({document.source_name})" if document.source_name else "")
        + f": {document.words} words in {len(prepared.passages)} passages; cleaning: {prepared.cleaned.summary()}."
    ]
    if prepared.near_duplicate:
        _, title, score = prepared.near_duplicate
        parts.append(
            f"Near-duplicate of '{title}' ({score:.0%} similar): exclude one of them if it is an old copy."
        )
    if document.personal_data:
        found = ", ".join(f"{n} {kind}" for kind, n in document.personal_data.items())
        parts.append(f"Personal data found: {found}. The project's data policy decides where it may be sent.")
    return " ".join(parts)
