"""The Evaluate page's inputs for a new evaluation: versions, models with their settings, the
judge (only when a case needs one) and the run's limits. Returns plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from workbench.evals import evaluations
from workbench.evals.snapshot import MAX_VERSIONS, JudgeSettings, matrix_size
from workbench.store.tables import PromptVersion, TestCase
from workbench.ui.authoring.prompt_picker import version_choices
from workbench.ui.compare.inputs import pick_models

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
        st.session_state[key] = list(dict.fromkeys([*production, *(v.id for v in rows)]))[:2]

    chosen = st.multiselect(
        f"Versions (1–{MAX_VERSIONS})",
        list(by_id),
        format_func=lambda i: choices.title(i, note=False),
        max_selections=MAX_VERSIONS,
        key=key,
        help="Regressions are read from one version to the next, oldest first.",
    )
    return sorted((by_id[i] for i in chosen), key=lambda v: v.number)


def pick_judge(engine: Engine, cases: list[TestCase], key: str = f"{KEY}_judge") -> JudgeSettings | None:
    """The judge for the bench's rubric checks, asked only when a case has one."""
    judged = sum(any(a.get("type") == "llm_judge" for a in c.assertions) for c in cases)
    if not judged:
        return None
    choices = evaluations.judge_choices(engine)
    label = st.selectbox(
        f"Judge model ({judged} case{'s' if judged > 1 else ''} with a rubric)",
        list(choices),
        key=key,
        help="Grades the rubric (llm_judge) checks of every answer with pass/fail, a score and a reason.",
    )
    return choices.get(label) if label else None


def evaluation_inputs(engine: Engine, prompt_id: int, cases: list[TestCase]) -> EvaluationInputs:
    chosen = _pick_versions(engine, prompt_id)
    out = EvaluationInputs(version_ids=[v.id for v in chosen])  # type: ignore[misc]
    if not chosen:
        out.problem = "Pick at least one version."
        return out
    models = pick_models(
        engine, chosen[-1], key=f"{KEY}_{prompt_id}", minimum=1, defaults=2, skip_offline=True, override=False
    )
    st.caption(
        "Each model's settings apply to every chosen version, so the versions are compared on equal terms."
    )
    out.model_ids = [c.model_id for c, _ in models]
    out.model_params = {c.model_id: c.settings.to_dict() for c, _ in models}
    out.judge = pick_judge(engine, cases)
    with st.expander("Run settings"):
        left, right = st.columns(2)
        out.concurrency = int(left.number_input("Calls at once", 1, 32, 8, key=f"{KEY}_concurrency"))
        target = right.slider(
            "Target pass rate",
            0,
            100,
            90,
            step=5,
            format="%d%%",
            key=f"{KEY}_target",
            help="The results say which version × model reaches it (the CLI gates CI on the same figure).",
        )
        out.min_pass_rate = target / 100
    if not models:
        out.problem = "Pick at least one model."
    else:
        st.caption(f"{matrix_size(len(cases), len(chosen), len(models))}.")
    return out
