"""The Evaluate page's inputs for a new evaluation: versions, models with their settings, the
judge (only when a case needs one) and the run's limits. Returns plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from workbench.evals.snapshot import MAX_VERSIONS, JudgeSettings, matrix_size
from workbench.store.lookup import id_of
from workbench.store.tables import PromptVersion, TestCase
from workbench.ui.authoring.prompt_picker import version_choices
from workbench.ui.compare.inputs import pick_models
from workbench.ui.shell import kept, model_menu

KEY = "evaluate"


@dataclass
class EvaluationInputs:
    version_ids: list[int] = field(default_factory=list)
    model_ids: list[int] = field(default_factory=list)
    model_params: dict[int, dict[str, Any]] = field(default_factory=dict)
    judge: JudgeSettings | None = None
    concurrency: int = 8
    min_pass_rate: float = 0.9
    problem: str | None = None


def _pick_versions(engine: Engine, prompt_id: int) -> list[PromptVersion]:
    """1–4 versions, oldest first; production and the newest by default."""
    choices = version_choices(engine, prompt_id)
    rows, by_id = choices.rows, choices.by_id
    key = f"{KEY}_versions_{prompt_id}"
    if key not in st.session_state:
        production = choices.labelled("production")
        saved = [i for i in _saved(prompt_id).get("versions", []) if i in by_id]
        st.session_state[key] = saved or list(dict.fromkeys([*production, *(v.id for v in rows)]))[:2]

    chosen = st.multiselect(
        f"Versions (1–{MAX_VERSIONS})",
        list(by_id),
        format_func=lambda i: choices.title(i, note=False),
        max_selections=MAX_VERSIONS,
        key=key,
        help="Regressions are read from one version to the next, oldest first.",
    )
    return sorted((by_id[i] for i in chosen), key=lambda v: v.number)


def pick_judge(
    engine: Engine, project_id: int, prompt_id: int, cases: list[TestCase], key: str | None = None
) -> JudgeSettings | None:
    """The judge for the bench's rubric checks, asked only when a case has one. Echo only repeats
    its input, so it cannot judge; models that cannot run are marked; the default is this
    person's last judge on Evaluate, else the first model that can answer."""
    judged = sum(any(a.get("type") == "llm_judge" for a in c.assertions) for c in cases)
    if not judged:
        return None
    options = {o.id: o for o in model_menu.model_options(engine, project_id) if not o.offline}
    if not options:
        st.warning(
            "No model can judge the rubric checks: add an endpoint in Settings.", icon=":material/gavel:"
        )
        return None
    key = key or f"{KEY}_judge_{prompt_id}"
    if st.session_state.get(key) not in options:
        saved = _saved(prompt_id).get("judge")
        runnable = [i for i, o in options.items() if o.runnable]
        st.session_state[key] = saved if saved in options else next(iter(runnable or options))
    chosen = st.selectbox(
        f"Judge model ({judged} case{'s' if judged > 1 else ''} with a rubric)",
        list(options),
        format_func=lambda i: options[i].shown,
        key=key,
        help="Grades the rubric (llm_judge) checks of every answer with pass/fail, a score and a reason.",
    )
    return JudgeSettings(options[chosen].endpoint.name, options[chosen].model)


def _saved(prompt_id: int) -> dict[str, Any]:
    """This person's choices for the prompt's evaluations, kept across reloads."""
    return kept.recall(f"{KEY}/{prompt_id}") or {}


def _number(key: str, saved: Any, default: float) -> None:
    """Start a settings box at this person's last value (widgets forget theirs off the page)."""
    if key not in st.session_state:
        st.session_state[key] = saved if saved is not None else default


def evaluation_inputs(
    engine: Engine, project_id: int, prompt_id: int, cases: list[TestCase]
) -> EvaluationInputs:
    chosen = _pick_versions(engine, prompt_id)
    out = EvaluationInputs(version_ids=[id_of(v) for v in chosen])
    if not chosen:
        out.problem = "Pick at least one version."
        return out
    models = pick_models(
        engine,
        project_id,
        chosen[-1],
        key=f"{KEY}_{prompt_id}",
        minimum=1,
        defaults=2,
        skip_offline=True,
        override=False,
    )
    st.caption(
        "Each model's settings apply to every chosen version, so the versions are compared on equal terms."
    )
    out.model_ids = [c.model_id for c, _ in models]
    out.model_params = {c.model_id: c.settings.to_dict() for c, _ in models}
    out.judge = pick_judge(engine, project_id, prompt_id, cases)
    saved = _saved(prompt_id)
    _number(f"{KEY}_concurrency", saved.get("concurrency"), 8)
    _number(f"{KEY}_target", saved.get("target"), 90)
    with st.expander("Run settings"):
        left, right = st.columns(2)
        out.concurrency = int(left.number_input("Calls at once", 1, 32, key=f"{KEY}_concurrency"))
        target = right.slider(
            "Target pass rate",
            0,
            100,
            step=5,
            format="%d%%",
            key=f"{KEY}_target",
            help="The results say which version × model reaches it (the CLI gates CI on the same figure).",
        )
        out.min_pass_rate = target / 100
    kept.keep(
        f"{KEY}/{prompt_id}",
        {
            "versions": out.version_ids,
            "judge": st.session_state.get(f"{KEY}_judge_{prompt_id}") if out.judge else None,
            "concurrency": out.concurrency,
            "target": target,
        },
    )
    if not models:
        out.problem = "Pick at least one model."
    else:
        st.caption(f"{matrix_size(len(cases), len(chosen), len(models))}.")
    return out
