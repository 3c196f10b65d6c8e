"""Figures for the home page: what a project holds and how much has been done with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import col, select

from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import Label, Output, Prompt, PromptVersion, Rating, Run, TestCase


@dataclass(frozen=True)
class PromptSummary:
    prompt_id: int
    name: str
    description: str
    versions: int
    latest_number: int
    latest_at: datetime | None
    labels: dict[str, int] = field(default_factory=dict)  # label -> version number
    test_cases: int = 0


@dataclass(frozen=True)
class ProjectOverview:
    prompts: list[PromptSummary]
    runs: int
    outputs: int
    ratings: int
    average_score: float | None

    @property
    def versions(self) -> int:
        return sum(p.versions for p in self.prompts)


def project_overview(engine: Engine, project_id: int) -> ProjectOverview:
    with session_scope(engine) as session:
        prompts = list(
            session.exec(
                select(Prompt)
                .where(Prompt.project_id == project_id, col(Prompt.archived).is_(False))
                .order_by(col(Prompt.name))
            )
        )
        ids = [p.id for p in prompts]
        version_stats: dict[int, tuple[int, int | None, datetime | None]] = {
            row[0]: row[1:]
            for row in session.exec(
                select(
                    PromptVersion.prompt_id,
                    func.count(col(PromptVersion.id)),
                    func.max(PromptVersion.number),
                    func.max(PromptVersion.created_at),
                )
                .where(col(PromptVersion.prompt_id).in_(ids))
                .group_by(col(PromptVersion.prompt_id))
            )
        }
        labels: dict[int, dict[str, int]] = {}
        for label_name, prompt_id, number in session.exec(
            select(Label.name, Label.prompt_id, PromptVersion.number)
            .join(PromptVersion, col(PromptVersion.id) == Label.version_id)
            .where(col(Label.prompt_id).in_(ids))
        ):
            labels.setdefault(prompt_id, {})[label_name] = number
        cases = dict(
            session.exec(
                select(TestCase.prompt_id, func.count(col(TestCase.id)))
                .where(col(TestCase.prompt_id).in_(ids))
                .group_by(col(TestCase.prompt_id))
            ).all()
        )
        runs = session.exec(select(func.count(col(Run.id))).where(Run.project_id == project_id)).one()
        outputs = session.exec(
            select(func.count(col(Output.id)))
            .join(Run, col(Run.id) == Output.run_id)
            .where(Run.project_id == project_id)
        ).one()
        rating_count, average = session.exec(
            select(func.count(col(Rating.id)), func.avg(Rating.score))
            .join(Output, col(Output.id) == Rating.output_id)
            .join(Run, col(Run.id) == Output.run_id)
            .where(Run.project_id == project_id)
        ).one()
        summaries = []
        for p in prompts:
            prompt_id = id_of(p)
            count, latest, latest_at = version_stats.get(prompt_id, (0, 0, None))
            summaries.append(
                PromptSummary(
                    prompt_id=prompt_id,
                    name=p.name,
                    description=p.description,
                    versions=count or 0,
                    latest_number=latest or 0,
                    latest_at=latest_at,
                    labels=labels.get(prompt_id, {}),
                    test_cases=cases.get(prompt_id, 0),
                )
            )
        return ProjectOverview(
            prompts=summaries,
            runs=runs or 0,
            outputs=outputs or 0,
            ratings=rating_count or 0,
            average_score=float(average) if average is not None else None,
        )
