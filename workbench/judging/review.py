"""The review queue: the answers of one prompt version that a rater has not rated yet.

The queue is recomputed from the database on every call, never kept in session state, so a
rating given anywhere (here, on the Compare grid, in another tab) takes the answer out of the
queue at once, and a rerun can never show an answer twice. Runs repeated on the same input often
return the very same answer (a cache hit, or a deterministic model); those copies are one
answer to a person, so the queue shows the first copy once and counts a rating of any copy as
rating all of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.judging.blind import shuffled
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of, select_columns
from workbench.store.tables import Output, Project, Prompt, PromptVersion, Rating, Run, TestCase


def model_label(endpoint_name: str, model_name: str) -> str:
    """How an output's model is named on screen (the snapshot taken when it ran)."""
    return f"{endpoint_name} · {model_name}" if endpoint_name else model_name


@dataclass(frozen=True)
class QueueItem:
    output_id: int
    model: str
    variables: dict[str, Any]
    text: str
    test_case: str
    row_index: int


@dataclass(frozen=True)
class ReviewQueue:
    total: int  # distinct answers of the version
    rated: int  # of which the rater has rated
    pending: tuple[QueueItem, ...]

    @property
    def next(self) -> QueueItem | None:
        return self.pending[0] if self.pending else None

    @property
    def done(self) -> bool:
        return not self.pending

    @property
    def progress_text(self) -> str:
        return f"{self.rated} of {self.total} rated"


@dataclass(frozen=True)
class VersionChoice:
    version_id: int
    prompt_name: str
    number: int
    outputs: int

    @property
    def label(self) -> str:
        return f"{self.prompt_name} · v{self.number} ({self.outputs} answers)"


def answer_key_of(endpoint: str, model: str, variables: Any, text: str) -> tuple[str, str, str, str]:
    """``answer_key`` from the columns, for callers that read columns rather than rows."""
    return (endpoint, model, json.dumps(variables or {}, sort_keys=True, default=str), text.strip())


def answer_key(output: Output) -> tuple[str, str, str, str]:
    """What makes two outputs the same answer to a reader: model, input and text."""
    return answer_key_of(output.endpoint_name, output.model_name, output.variables, output.text)


def _item(output: Output, case_names: dict[int, str]) -> QueueItem:
    return QueueItem(
        output_id=id_of(output),
        model=model_label(output.endpoint_name, output.model_name),
        variables=dict(output.variables or {}),
        text=output.text,
        test_case=case_names.get(output.test_case_id, "") if output.test_case_id else "",
        row_index=output.row_index,
    )


def _case_names(session: Any, outputs: Sequence[Output]) -> dict[int, str]:
    ids = {o.test_case_id for o in outputs if o.test_case_id}
    if not ids:
        return {}
    return dict(session.exec(select(TestCase.id, TestCase.name).where(col(TestCase.id).in_(ids))).all())


def review_queue(
    engine: Engine, *, version_id: int, rater: str, shuffle_seed: str | None = None
) -> ReviewQueue:
    """The rater's queue for a version: oldest answer first, or shuffled by ``shuffle_seed``
    (blind review: a run of answers from one model would give the model away)."""
    rater = (rater or "").strip()
    with session_scope(engine) as session:
        fetch(session, PromptVersion, version_id)
        outputs = list(
            session.exec(
                select(Output)
                .where(Output.prompt_version_id == version_id, Output.status == "ok")
                .order_by(col(Output.created_at), col(Output.id))
            )
        )
        outputs = [o for o in outputs if o.text.strip()]
        rated_ids = set()
        if rater and outputs:
            rated_ids = set(
                session.exec(
                    select(Rating.output_id).where(
                        Rating.rater == rater, col(Rating.output_id).in_([o.id for o in outputs])
                    )
                )
            )
        case_names = _case_names(session, outputs)
    first_of: dict[tuple[str, str, str, str], Output] = {}
    rated_keys: set[tuple[str, str, str, str]] = set()
    for output in outputs:
        key = answer_key(output)
        first_of.setdefault(key, output)
        if output.id in rated_ids:
            rated_keys.add(key)
    pending = [_item(o, case_names) for key, o in first_of.items() if key not in rated_keys]
    if shuffle_seed:
        pending = shuffled(shuffle_seed, version_id, pending)
    return ReviewQueue(total=len(first_of), rated=len(rated_keys), pending=tuple(pending))


def describe_output(engine: Engine, output_id: int) -> QueueItem:
    with session_scope(engine) as session:
        output = fetch(session, Output, output_id, missing=f"Output {output_id} no longer exists.")
        return _item(output, _case_names(session, [output]))


def reviewable_versions(engine: Engine, project_id: int) -> list[VersionChoice]:
    """Versions of the project's prompts that have answers to review, newest prompt version
    first, each with as many answers as its queue holds (copies of one answer count once)."""
    with session_scope(engine) as session:
        rows = session.exec(
            select_columns(
                PromptVersion.id,
                Prompt.name,
                PromptVersion.number,
                Output.endpoint_name,
                Output.model_name,
                Output.variables,
                Output.text,
            )
            .join(Prompt, col(Prompt.id) == PromptVersion.prompt_id)
            .join(Output, col(Output.prompt_version_id) == PromptVersion.id)
            .join(Run, col(Run.id) == Output.run_id)
            .where(Run.project_id == project_id, Output.status == "ok")
        ).all()
    answers: dict[tuple[int, str, int], set[tuple[str, str, str, str]]] = {}
    for version_id, name, number, endpoint, model, variables, text in rows:
        if text.strip():
            answers.setdefault((version_id, name, number), set()).add(
                answer_key_of(endpoint, model, variables, text)
            )
    return [
        VersionChoice(version_id=v, prompt_name=name, number=number, outputs=len(found))
        for (v, name, number), found in sorted(answers.items(), key=lambda item: (item[0][1], -item[0][2]))
    ]


def projects_with_answers(engine: Engine) -> list[str]:
    """Names of the projects that have answers to review (to point a newcomer somewhere useful)."""
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Project.name)
                .join(Run, col(Run.project_id) == Project.id)
                .join(Output, col(Output.run_id) == Run.id)
                .where(Output.status == "ok", col(Output.prompt_version_id).is_not(None))
                .group_by(col(Project.name))
                .order_by(col(Project.name))
            )
        )
