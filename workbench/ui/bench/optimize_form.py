"""The "Improve on the bench" page's inputs: which version, the model it runs on, the model that
proposes edits, the judge (only when a case needs one), the search's size, and the budget shown
first with a ceiling the person sets. Returns a plan; nothing is sent here."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from workbench.improve import rewrite
from workbench.improve.optimization_plan import LIMITS, OptimizationPlan, SearchSettings, plan_optimization
from workbench.models import endpoints
from workbench.models.pricing import money
from workbench.runs import outputs
from workbench.store.tables import TestCase
from workbench.ui.authoring.prompt_picker import version_choices
from workbench.ui.bench.eval_form import pick_judge

KEY = "optimize"


def _pick_version(engine: Engine, prompt_id: int) -> int:
    """Production by default, else the newest: the version people use is the one to improve."""
    choices = version_choices(engine, prompt_id)
    key = f"{KEY}_version_{prompt_id}"
    if st.session_state.get(key) not in choices.by_id:
        st.session_state[key] = next(iter(choices.labelled("production")), choices.rows[0].id)
    return int(st.selectbox("Version to improve", list(choices.by_id), format_func=choices.title, key=key))


def _pick_models(engine: Engine, project_id: int) -> tuple[int | None, int | None]:
    """(the model the prompt runs on, the model that proposes edits)."""
    enabled = {e.id: e for e in endpoints.list_endpoints(engine, include_disabled=False)}
    models = {
        m.id: endpoints.model_label(m, enabled[m.endpoint_id])
        for m in endpoints.list_models(engine, enabled_only=True)
        if m.endpoint_id in enabled and enabled[m.endpoint_id].provider != "echo"
    }
    writers = dict(rewrite.improver_models(engine, project_id))
    if not models or not writers:
        st.info("No model can be asked here yet: add an endpoint and its models in Settings.")
        return None, None
    proven = [i for i in outputs.models_that_answered(engine) if i in models]
    order = [*proven, *(i for i in models if i not in proven)]

    def follow_model() -> None:  # the proposer is the same model unless the person picks another
        chosen = st.session_state.get(f"{KEY}_model")
        if chosen in writers:
            st.session_state[f"{KEY}_proposer"] = chosen

    left, right = st.columns(2)
    model_id = left.selectbox(
        "Model the prompt runs on",
        order,
        format_func=models.__getitem__,
        key=f"{KEY}_model",
        on_change=follow_model,
        help="Every candidate is tested on this model, with the version's own settings.",
    )
    ask = [model_id, *(i for i in writers if i != model_id)] if model_id in writers else list(writers)
    proposer = right.selectbox(
        "Model that proposes edits",
        ask,
        format_func=writers.__getitem__,
        key=f"{KEY}_proposer",
        help="It reads the failing cases, the checks' reasons and reviewers' comments, and writes candidates.",
    )
    return model_id, proposer


def _search() -> tuple[SearchSettings, int]:
    with st.expander("Search settings"):
        a, b, c, d, e = st.columns(5)
        per_round = a.number_input(
            "Candidates per round", *LIMITS["per_round"], 4, key=f"{KEY}_per_round",
            help="How many different edits the proposing model writes in each round.",
        )  # fmt: skip
        rounds = b.number_input(
            "Rounds", *LIMITS["rounds"], 3, key=f"{KEY}_rounds",
            help="Each round improves on a candidate that was best on some case.",
        )  # fmt: skip
        share = c.slider(
            "Cases to learn from", 30, 90, 70, step=5, format="%d%%", key=f"{KEY}_share",
            help="The rest are held out: never shown to the proposing model, they confirm the winner.",
        )  # fmt: skip
        seed = d.number_input(
            "Split seed", 0, 10_000, 0, key=f"{KEY}_seed", help="The same seed gives the same split."
        )
        concurrency = e.number_input("Calls at once", 1, 16, 4, key=f"{KEY}_concurrency")
    settings = SearchSettings(int(per_round), int(rounds), share / 100, int(seed))
    return settings, int(concurrency)


def plan_inputs(
    engine: Engine, project_id: int, prompt_id: int, cases: list[TestCase]
) -> OptimizationPlan | None:
    """The plan for the chosen inputs (at the full search's size), or ``None`` when a model is missing."""
    version_id = _pick_version(engine, prompt_id)
    model_id, proposer = _pick_models(engine, project_id)
    judge = pick_judge(engine, project_id, prompt_id, cases, key=f"{KEY}_judge")
    search, concurrency = _search()
    if model_id is None or proposer is None:
        return None
    return plan_optimization(
        engine,
        prompt_id=prompt_id,
        version_id=version_id,
        model_id=model_id,
        proposer_model_id=proposer,
        judge=judge,
        search=search,
        concurrency=concurrency,
    )


def budget(plan: OptimizationPlan) -> OptimizationPlan:
    """The estimate first, then the ceiling the person sets; returns the plan held to it."""
    estimate, shape = plan.estimate, plan.shape
    with st.container(border=True):
        st.markdown(
            f"**Budget**: up to **{estimate.calls} calls**, about **{money(estimate.cost_usd)}** "
            f"(at most {money(estimate.max_cost_usd)} if every answer ran to its length limit), "
            "at the prices in Settings."
        )
        st.caption(
            f"{shape.breakdown()[0].upper()}{shape.breakdown()[1:]}. Cases: {shape.train} to learn from, {shape.heldout} held out."
        )
        ceiling = st.number_input(
            "Most calls this run may make",
            min_value=shape.minimum,
            max_value=estimate.calls,
            value=estimate.calls,
            step=1,
            key=f"{KEY}_ceiling_{plan.bench.prompt_id}_{estimate.calls}_{shape.minimum}",
            help=(
                f"The run never goes past it: {shape.confirmation} calls are kept aside to confirm the winner, "
                "and a round tests only as many candidates as still fit. "
                f"{shape.minimum} is the least that tests one candidate."
            ),
        )
        usual, most = estimate.cost_within(int(ceiling))
        st.caption(f"At {int(ceiling)} calls: about {money(usual)}, at most {money(most)}.")
    return plan.with_ceiling(int(ceiling))
