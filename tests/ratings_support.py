"""Builders for the rating tests: a project, a prompt with versions, and finished answers.

Answers are stored through ``workbench.demo.answers.store_outputs`` (a completed run), the same
path the demo seed uses, so no model is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from workbench.demo.answers import store_outputs
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope

MODELS = ("fake-large", "fake-small", "fake-lazy")
QUESTIONS = ("How many PTO days?", "Can PTO carry over?", "How much sick leave?")


@dataclass
class Bench:
    project_id: int
    prompt_id: int
    version_ids: list[int]


def make_bench(engine: Engine, *, project: str = "Ratings project", versions_count: int = 2) -> Bench:
    with session_scope(engine) as session:
        p = project_records.create_project(session, actor="test", name=project)
        prompt = versions.create_prompt(session, project_id=p.id, name="Answer", actor="test")  # type: ignore[arg-type]
    ids = []
    for n in range(versions_count):
        with session_scope(engine) as session:
            v = versions.save_version(
                session,
                prompt_id=prompt.id,  # type: ignore[arg-type]
                system_template=f"Version {n + 1}.",
                user_template="{{ question }}",
                author="test",
            )
        ids.append(v.id)
    return Bench(project_id=p.id, prompt_id=prompt.id, version_ids=ids)  # type: ignore[arg-type]


def add_answers(
    engine: Engine,
    version_id: int,
    *,
    models: Sequence[str] = MODELS,
    questions: Sequence[str] = QUESTIONS,
    text: str = "{model} says {row} (version {version})",
    status: str = "ok",
) -> list[int]:
    """One run of ``version_id``: every model answers every question; returns output ids."""
    outputs = [
        {
            "row_index": row,
            "variables": {"question": q},
            "endpoint_name": "Local fake server",
            "provider": "openai_compatible",
            "model_name": model,
            "text": text.format(model=model, row=row, version=version_id),
            "status": status,
        }
        for row, q in enumerate(questions)
        for model in models
    ]
    with session_scope(engine) as session:
        return store_outputs(session, version_id=version_id, outputs=outputs, actor="test")[1]
