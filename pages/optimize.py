"""Improve on the bench: a model proposes edits to a prompt version, each is tested on the
bench, and only a version that scores better on held-out cases is saved (labelled candidate);
the budget comes first, the rounds show as they run, and every run can be reopened."""

import streamlit as st

from workbench.evals import cases
from workbench.improve import optimization_runs
from workbench.improve.optimization_report import report
from workbench.prompts import versions
from workbench.ui.authoring.prompt_picker import pick_prompt
from workbench.ui.bench import optimize_form, optimize_report, optimize_run
from workbench.ui.shell import state
from workbench.ui.shell.auth import allowed
from workbench.ui.shell.nav import spec
from workbench.ui.shell.page import header, require_project, shows_errors
from workbench.ui.shell.resources import get_engine

header("Improve on the bench", spec("pages/optimize.py").explanation)
engine = get_engine()
project_id = require_project()
prompt_id = pick_prompt(
    engine, project_id, current=state.active_prompt_id(), key=f"optimize_prompt_{project_id}", allow_new=False
)
if prompt_id is None:
    st.info("This project has no prompts yet: write one, give it test cases on Bench, then improve it here.")
    st.stop()
may_run = allowed("prompt.optimize", project_id, explain=False)
live = optimize_run.running()
stored = cases.list_cases(engine, prompt_id)
past = optimization_runs.list_optimizations(engine, prompt_id)

with shows_errors():
    name = next(p.name for p in versions.list_prompts(engine, project_id) if p.id == prompt_id)
    with st.expander(
        f"Improve {name} on its bench", expanded=not past or live is not None, icon=":material/auto_fix_high:"
    ):
        if len(stored) < 2:
            st.info(
                "Improving on the bench needs at least 2 test cases (some to learn from, some to confirm on): "
                "add questions with known answers on the Bench page."
            )
        else:
            st.caption(
                "A model reads the failing cases, the checks' reasons and reviewers' comments, and proposes "
                "edits; each is tested on part of the bench, the best ones are refined, and the winner is "
                "checked on cases it never saw. Only a better version is saved, labelled 'candidate'."
            )
            plan = optimize_form.plan_inputs(engine, project_id, prompt_id, stored)
            if plan is not None:
                plan = optimize_form.budget(plan)
                if not may_run:
                    allowed("prompt.optimize", project_id)  # says why not
                if st.button(
                    "Start improving",
                    type="primary",
                    icon=":material/play_arrow:",
                    key="optimize_start",
                    disabled=live is not None or not may_run,
                ):
                    optimize_run.request(plan)
    if live is None:
        optimize_run.start_when_allowed(engine, project_id)
        live = optimize_run.running()
    if live is not None:
        optimize_run.follow(live)
    optimize_run.say_how_it_ended()

past = optimization_runs.list_optimizations(engine, prompt_id)
if not past:
    st.caption(
        "No run on this prompt yet: the report appears here, with before and after, the diff and every candidate."
    )
    st.stop()

st.subheader("Results")
lines = {row.id: optimization_runs.line(row) for row in past}
if st.session_state.get(optimize_run.SHOWN) not in lines:
    st.session_state[optimize_run.SHOWN] = past[0].id
shown = int(st.selectbox("Run", list(lines), format_func=lines.__getitem__, key=optimize_run.SHOWN) or 0)
with shows_errors():
    optimize_report.show(report(engine, shown))
