"""Evaluate: run a prompt's bench on versions × models, read the verdicts, reopen and compare
past evaluations, and rerun one exactly as it was."""

import streamlit as st

from workbench.evals import cases, evaluations, matrix, past_runs
from workbench.evals.snapshot import snapshot_config
from workbench.prompts import versions
from workbench.ui.authoring.prompt_picker import pick_prompt
from workbench.ui.bench import eval_form, eval_run, eval_views
from workbench.ui.shell import state
from workbench.ui.shell.auth import allowed
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine

header("Evaluate", spec("pages/evaluate.py").explanation)
engine = get_engine()
project_id = require_project()
prompt_id = pick_prompt(
    engine, project_id, current=state.active_prompt_id(), key=f"evaluate_prompt_{project_id}", allow_new=False
)
if prompt_id is None:
    st.info("This project has no prompts yet: write one, give it test cases on Bench, then evaluate it here.")
    st.stop()
may_run = allowed("evaluation.run", project_id)
live = eval_run.running()
stored = cases.list_cases(engine, prompt_id)
past = past_runs.lines(engine, prompt_id)

with shows_errors():
    # Named after the prompt, so each prompt's form opens or folds on its own.
    name = next(p.name for p in versions.list_prompts(engine, project_id) if p.id == prompt_id)
    with st.expander(
        f"New evaluation of {name}", expanded=not past or live is not None, icon=":material/play_circle:"
    ):
        if not stored:
            st.info("This prompt has no test cases yet: add questions with known answers on the Bench page.")
        else:
            chosen = eval_form.evaluation_inputs(engine, project_id, prompt_id, stored)
            if chosen.problem:
                st.caption(chosen.problem)
            if st.button(
                "Run evaluation",
                type="primary",
                icon=":material/play_arrow:",
                key="evaluate_run",
                disabled=live is not None or chosen.problem is not None or not may_run,
            ):
                eval_run.request(
                    engine,
                    project_id,
                    snapshot_config(
                        engine,
                        prompt_id=prompt_id,
                        version_ids=chosen.version_ids,
                        model_ids=chosen.model_ids,
                        model_params=chosen.model_params,
                        judge=chosen.judge,
                        concurrency=chosen.concurrency,
                        min_pass_rate=chosen.min_pass_rate,
                    ),
                )
    if live is None:
        eval_run.start_when_allowed(engine, project_id)
        live = eval_run.running()
    if live is not None:
        eval_run.follow(live)
    eval_run.say_how_it_ended()

if not past:
    st.caption("No evaluations of this prompt yet: the verdicts appear here, version by model.")
    st.stop()

st.subheader("Results")
labels = {line.id: line.label for line in past}
if st.session_state.get(eval_run.SHOWN) not in labels:
    st.session_state[eval_run.SHOWN] = past[0].id
pick, again = st.columns([6, 1], vertical_alignment="bottom")
shown = pick.selectbox("Evaluation", list(labels), format_func=labels.__getitem__, key=eval_run.SHOWN)
rerun = again.button(
    "Rerun",
    icon=":material/replay:",
    key="evaluate_rerun",
    disabled=live is not None or not may_run,
    help="Run it again exactly as it was: the same versions, models, settings and cases (see Settings used).",
)
with shows_errors():
    report = evaluations.report(engine, shown)
    if rerun:
        eval_run.request(engine, project_id, matrix.current_models(engine, report.config))
        st.rerun()
    if report.evaluation.status == evaluations.INTERRUPTED and live is None:
        eval_run.interrupted_notice(engine, report, may_run)
    eval_views.figures(report)
    eval_views.heatmap(report.matrix, "Pass rate by version and model")
    grid, regressions, used, compare = st.tabs(
        ["Cases", "Regressions", "Settings used", "Compare with another"]
    )
    with grid:
        eval_views.case_grid(report)
    with regressions:
        eval_views.regressions(report)
    with used:
        eval_views.settings_used(report)
        st.caption(
            "Rerun uses exactly these versions, models, settings and cases, whatever was edited since."
        )
    with compare:
        others = [i for i in labels if i != shown]
        if not others:
            st.caption("Run another evaluation of this prompt to compare the two.")
        else:
            other = st.selectbox(
                "Compare with", others, format_func=labels.__getitem__, key="evaluate_compare"
            )
            eval_views.comparison(past_runs.compare(report, evaluations.report(engine, other)))
