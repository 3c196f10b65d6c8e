"""Builders for the library, insights and export tests: the demo plus a finished bench evaluation.

The demo (two projects, prompts "Late order reply" and "HR policy answer", 24 rated answers)
gets one finished evaluation of the HR prompt whose assertion results are written directly,
as the runner would, so pass rates have something to show without calling a model.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.evals.snapshot import EvaluationConfig
from workbench.store.engine import session_scope
from workbench.store.tables import AssertionResult, Evaluation, Output, Prompt, PromptVersion, Run


@dataclass(frozen=True)
class Demo:
    late_order: int  # prompt ids
    hr: int
    customer_project: int
    hr_project: int


def demo(engine: Engine) -> Demo:
    with session_scope(engine) as session:
        prompts = {p.name: p for p in session.exec(select(Prompt))}
    late, hr = prompts["Late order reply"], prompts["HR policy answer"]
    return Demo(late.id, hr.id, late.project_id, hr.project_id)  # type: ignore[arg-type]


def add_evaluation(
    engine: Engine, prompt_id: int, *, failing_models: tuple[str, ...] = ("fake-lazy",)
) -> int:
    """A finished evaluation over every stored answer of the prompt: two assertions each; the
    answers of ``failing_models`` fail the second. Returns the evaluation id."""
    with session_scope(engine) as session:
        prompt = session.get(Prompt, prompt_id)
        assert prompt is not None
        outputs = list(
            session.exec(
                select(Output)
                .join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
                .where(PromptVersion.prompt_id == prompt_id)
                .order_by(col(Output.id))
            )
        )
        snapshot = EvaluationConfig(
            prompt_id=prompt_id, prompt_name=prompt.name, versions=(), models=(), cases=()
        )  # what a real evaluation stores (a backup checks its shape)
        evaluation = Evaluation(
            project_id=prompt.project_id,
            prompt_id=prompt_id,
            name="nightly",
            status="done",
            config=snapshot.to_json(),
        )
        session.add(evaluation)
        session.flush()
        passed = 0
        for output in outputs:
            ok = output.model_name not in failing_models
            passed += ok
            for index, (kind, verdict) in enumerate((("contains", True), ("length", ok))):
                session.add(
                    AssertionResult(
                        evaluation_id=evaluation.id,  # type: ignore[arg-type]
                        output_id=output.id,  # type: ignore[arg-type]
                        test_case_id=output.test_case_id,
                        assertion_index=index,
                        assertion_type=kind,
                        assertion={"type": kind},
                        passed=verdict,
                        reason="" if verdict else "too long: 95 words > 80",
                    )
                )
        evaluation.summary = {"pass_rate": round(passed / len(outputs), 4), "total": len(outputs)}
        session.add(evaluation)
        return evaluation.id  # type: ignore[return-value]


def runs_of(engine: Engine, prompt_id: int) -> int:
    with session_scope(engine) as session:
        return len(
            session.exec(
                select(Run.id)
                .join(PromptVersion, col(PromptVersion.id) == Run.prompt_version_id)
                .where(PromptVersion.prompt_id == prompt_id)
            ).all()
        )
