"""Bench: a prompt's test cases (known answers and the checks on them), import/export, and a
quick check of one pasted answer."""

import pandas as pd
import streamlit as st

from workbench.evals import cases, cells, evaluations, scoring, spreadsheets
from workbench.evals.assertions import TYPES
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.ui.bench.cases_editor import cases_editor
from workbench.ui.shell import auth, state
from workbench.ui.shell.key_lookup import lookup_key
from workbench.ui.shell.nav import page_script, spec
from workbench.ui.shell.page import header, shows_errors
from workbench.ui.shell.resources import get_engine
from workbench.ui.shell.safe_markdown import safe_markdown

GENERATION, FLASH = "bench_generation", "bench_flash"
NO_JUDGE = "No judge (rubric checks fail)"

header("Bench", spec("pages/bench.py").explanation)
engine = get_engine()
project_id = state.active_project_id()


def done(message: str) -> None:
    """Reload the table from the database on the next run and say what happened."""
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1
    st.session_state[FLASH] = message
    st.rerun()


prompts = versions.list_prompts(engine, project_id) if project_id is not None else []
if not prompts:
    st.info("This project has no prompts yet: write one first, then give it test cases here.")
    st.stop()
names = {id_of(p): p.name for p in prompts}
ids = list(names)
current = state.active_prompt_id()
left, right = st.columns(2)
prompt_id = left.selectbox(
    "Prompt",
    ids,
    index=ids.index(current) if current in ids else 0,
    format_func=lambda k: names[k],
    key=f"bench_prompt_{project_id}",
)
state.set_active_prompt(prompt_id)
numbers = {id_of(v): v.number for v in versions.list_versions(engine, prompt_id)}
version_id = right.selectbox(
    "Variable columns from",
    list(numbers),
    format_func=lambda v: f"version {numbers[v]}",
    help="The table needs one column per variable of this version's template.",
    key=f"bench_version_{prompt_id}",
)
actor = state.user_name()
notice = st.container()  # always present, so the tabs below keep their place (and selection)
if FLASH in st.session_state:
    notice.success(st.session_state.pop(FLASH), icon=":material/check_circle:")

stored = cases.list_cases(engine, prompt_id)
tab_cases, tab_files, tab_check = st.tabs(["Test cases", "Import / export", "Check one answer"])

with tab_cases, shows_errors():
    extra = st.multiselect(
        "More assertion columns",
        list(TYPES),
        key=f"bench_types_{prompt_id}",
        help="Columns in use are always shown; add one per other kind of check (syntax: 'How to write assertions').",
    )
    frame = cases.cases_frame(engine, prompt_id, version_id, extra_types=extra, with_id=True)
    # A new key whenever the stored cases or the columns change, so old edits never land on new rows.
    editor_key = (
        f"bench_cases_{prompt_id}_{version_id}_{len(frame.columns)}_{st.session_state.get(GENERATION, 0)}"
    )
    edited = cases_editor(frame, editor_key)
    st.caption(
        f"{len(stored)} test cases. Add rows at the bottom; select rows and press Delete to remove them."
    )
    left, right = st.columns([1, 3], vertical_alignment="center")
    save = left.button("Save test cases", type="primary", key="bench_save")
    right.page_link(
        page_script("pages/evaluate.py"),
        label="Run this bench on versions × models",
        icon=":material/grid_on:",
    )
    if save and auth.allowed("testcase.edit"):
        with session_scope(engine) as session:
            change = cases.save_table(
                session,
                prompt_id,
                edited,
                actor=actor,
                version_id=version_id,
                shown_ids=frame.id.dropna().tolist(),
            )
        done(f"Saved: {change}.")
    with st.expander("How to write assertions"):
        st.markdown(
            "A cell holds the check's main value (e.g. `25 days` under `assert:contains`), a JSON list "
            '(`["refund", "sorry"]`), a JSON object of parameters (`{"value": "pto", '
            '"case_sensitive": false}`), or a JSON list of objects for several checks of one kind.'
        )
        st.dataframe(pd.DataFrame(cells.syntax_reference()), hide_index=True, width="stretch")

with tab_files, shows_errors():
    upload = st.file_uploader(  # a new uploader after each import: the same file is not imported twice
        "CSV or XLSX file",
        type=["csv", "xlsx"],
        key=f"bench_upload_{prompt_id}_{st.session_state.get(GENERATION, 0)}",
    )
    mode = st.radio(
        "Imported cases", ["are added after the existing ones", "replace the existing ones"], key="bench_mode"
    )
    if (
        st.button("Import", disabled=upload is None, key="bench_import")
        and upload is not None
        and auth.allowed("testcase.edit")
    ):
        replace = mode.startswith("replace")
        with session_scope(engine) as session:
            change = cases.import_cases(
                session,
                prompt_id,
                upload.getvalue(),
                upload.name,
                actor=actor,
                replace=replace,
                version_id=version_id,
            )
        done(f"Imported {upload.name}: {change}.")
    st.caption(
        "Columns: `name`, one per variable, `expected`, and `assert:<type>`. A file with any problem is refused whole."
    )
    no_export = auth.why_not("export")
    for column, fmt in zip(st.columns(len(spreadsheets.FORMATS)), spreadsheets.FORMATS, strict=True):
        column.download_button(
            f"Export {fmt.upper()}",
            b"" if no_export else cases.export_cases(engine, prompt_id, fmt, version_id),
            file_name=cases.export_filename(names[prompt_id], fmt),
            mime=spreadsheets.MIME_TYPES[fmt],
            key=f"bench_export_{fmt}",
            disabled=no_export is not None,
            help=no_export,
        )

with tab_check, shows_errors():
    if not stored:
        st.info("Add a test case first.")
        st.stop()
    by_id = {c.id: c for c in stored}
    case_id = st.selectbox(
        "Test case",
        list(by_id),
        format_func=lambda i: by_id[i].name or f"case {i}",
        key=f"bench_check_case_{prompt_id}",
    )
    case = by_id[case_id]
    st.caption(f"Expected: {safe_markdown(case.expected or '—')}")
    text = st.text_area("Answer to check", key="bench_check_text", height=120)
    a, b, c = st.columns(3)
    latency = a.number_input("Latency (ms)", min_value=0.0, value=None, key="bench_check_latency")
    cost = b.number_input("Cost (USD)", min_value=0.0, value=None, format="%.6f", key="bench_check_cost")
    judges = evaluations.judge_choices(engine)
    judge_label = c.selectbox("Judge model", [NO_JUDGE, *judges], key="bench_check_judge")
    if st.button("Check", key="bench_check") and (
        judge_label not in judges or auth.allowed("evaluation.run")
    ):
        judge = (
            evaluations.judge_for(engine, judges[judge_label], lookup_key) if judge_label in judges else None
        )
        verdicts = scoring.check_answer(case, text, latency_ms=latency, cost_usd=cost, judge=judge)
        failed = int((verdicts.verdict != scoring.PASS).sum())
        if verdicts.empty:
            st.info("This case has no assertions yet.")
        elif failed:
            st.error(f"{failed} of {len(verdicts)} checks failed.")
        else:
            st.success(f"All {len(verdicts)} checks passed.")
        st.dataframe(verdicts, hide_index=True, width="stretch")
