"""Documents: the business's own documents, as context for prompts and as the source of test
cases and fine-tuning pairs."""

from functools import partial

import streamlit as st

from workbench.exports.finetune import FineTuneOptions
from workbench.exports.pairs import export_pairs
from workbench.exports.scope import Selection
from workbench.ui.documents import add_form, generate_form, review_cards, store_view
from workbench.ui.library.export_panels import download, finetune_downloads, page_scrubber
from workbench.ui.shell import auth, state
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project
from workbench.ui.shell.resources import get_engine

header("Documents", spec("pages/documents.py").explanation)
engine = get_engine()
project_id = require_project()
if not auth.allowed("documents.read", project_id):
    st.stop()

add_form.show_flash()
review_cards.collect_recent(engine, project_id)
store, add, cases, pairs = st.tabs(
    ["Documents", "Add", "Test cases from documents", "Fine-tuning pairs"], key="documents_tab"
)
with add:
    add_form.render(engine, project_id)
with store:
    store_view.summary(engine, project_id)
    store_view.table(engine, project_id)
with cases:
    generate_form.section(engine, project_id, "cases")
with pairs:
    generate_form.section(engine, project_id, "pairs")
    if auth.allowed("documents.export", project_id, explain=False):
        st.markdown("#### Export")
        selection = Selection(project_ids=(project_id,))
        scrub = page_scrubber(engine)
        left, right, _ = st.columns([1, 1, 2])

        def pairs_file(fmt: str) -> bytes:
            return export_pairs(engine, selection, fmt, actor=state.user_name(), scrub=scrub).data

        for column, fmt in ((left, "csv"), (right, "xlsx")):
            with column:
                download(
                    f"Accepted pairs ({fmt.upper()})",
                    partial(pairs_file, fmt),
                    f"workbench-pairs.{fmt}",
                    "text/csv" if fmt == "csv" else "application/vnd.ms-excel",
                    f"documents_pairs_{fmt}",
                )
        st.caption("Fine-tuning JSONL: the accepted pairs and this project's answers rated 4 or more.")
        finetune_downloads(engine, selection, FineTuneOptions(min_score=4.0), scrub)
