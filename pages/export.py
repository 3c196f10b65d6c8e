"""Export: the rated library (or a part of it) as CSV, Excel, fine-tuning JSONL, promptfoo or a
full backup; import prompts and test cases."""

import streamlit as st

from workbench.exports.finetune import FineTuneOptions
from workbench.exports.scope import Selection
from workbench.governance import access
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.lookup import id_of
from workbench.ui.library import export_panels as panels
from workbench.ui.library.library_view import visible_projects
from workbench.ui.shell import auth
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine

header("Export", spec("pages/export.py").explanation)
engine = get_engine()

with shows_errors():
    exportable = {id_of(p): p.name for p in visible_projects(engine, "export")}
    if not exportable:
        st.warning("Exports are for admins of a project; you administer none.", icon=":material/lock:")
        st.stop()
    signin = access.signin_enabled(engine)
    everything = not signin or len(exportable) == len(project_records.list_projects(engine))

    st.subheader("What to export")
    left, right = st.columns(2)
    chosen = left.multiselect(
        "Projects",
        list(exportable),
        format_func=lambda k: exportable[k],
        key="export_projects",
        placeholder="All projects",
    )
    prompt_rows = [p for p in versions.list_prompts(engine) if p.project_id in (chosen or exportable)]
    prompt_names = {id_of(p): f"{exportable[p.project_id]} / {p.name}" for p in prompt_rows}
    picked = right.multiselect(
        "Prompts",
        list(prompt_names),
        format_func=lambda k: prompt_names[k],
        key="export_prompts",
        placeholder="All their prompts",
    )
    fence = frozenset(exportable) if signin else None
    selection = Selection(project_ids=tuple(chosen), prompt_ids=tuple(picked), allowed_project_ids=fence)
    scrub = panels.page_scrubber(engine)

    table, tuning, bench, whole, incoming = st.tabs(
        ["Table (CSV, Excel)", "Fine-tuning (JSONL)", "promptfoo", "Full backup", "Import"]
    )
    with table:
        st.caption(
            "One row per answer: project, prompt, version, variables, model, answer, ratings, tags, comments "
            "and assertion results. Excel keeps every text as text (never a formula)."
        )
        rated_only = st.checkbox("Only answers rated at least…", key="export_rated_only")
        floor = st.slider("Average rating", 1.0, 5.0, 4.0, 0.5, key="export_min", disabled=not rated_only)
        table_selection = Selection(
            selection.project_ids, selection.prompt_ids, floor if rated_only else None, fence
        )
        panels.table_downloads(engine, table_selection, scrub)
        panels.prompts_download(engine, selection, scrub)
    with tuning:
        st.caption(
            "Chat-format examples (system / user / assistant) from well-rated answers: cleaned of control "
            "characters, de-duplicated, length-limited, split into training and validation with a fixed seed."
        )
        cols = st.columns(4)
        options = FineTuneOptions(
            min_score=cols[0].slider("Rated at least", 1.0, 5.0, 4.0, 0.5, key="ft_min"),
            max_tokens=int(cols[1].number_input("Token limit", 16, 200_000, 4096, step=256, key="ft_tokens")),
            validation_share=cols[2].slider("Validation share", 0.0, 0.5, 0.1, 0.05, key="ft_share"),
            seed=int(cols[3].number_input("Seed", 0, 2**31 - 1, 13, key="ft_seed")),
        )
        panels.finetune_downloads(engine, selection, options, scrub)
    with bench:
        st.caption(
            "A promptfoo configuration per prompt: its labelled and latest versions, the models it ran on, "
            "and its test cases with assertions mapped to promptfoo's types (approximations are listed in "
            "the file). Run it with `npx promptfoo@latest eval -c promptfooconfig.yaml`."
        )
        panels.promptfoo_download(engine, selection, scrub, single=len(picked) == 1)
    with whole:
        if everything:
            st.caption("Every table and row, ids kept, including the audit log. No API key is ever in it.")
            panels.backup_download(engine, scrub)
        else:
            st.info(
                "A full backup holds every project; only someone who administers all of them can make one."
            )
        panels.restore_help()
    with incoming:
        importable = {p for p in exportable if auth.allowed("import", p, explain=False)}
        panels.import_prompts_form(engine, importable if signin else None)
        st.divider()
        panels.import_cases_form(
            engine,
            {
                pid: n
                for pid, n in prompt_names.items()
                if pid in {p.id for p in prompt_rows if p.project_id in importable}
            },
        )
