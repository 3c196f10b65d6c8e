"""Which part of the library an export covers: projects, prompts, and a minimum rating.

An empty selection is the whole library (within the projects the person may export). The
output query is a subquery of output ids, so every export reads exactly the same outputs and
its dependent rows (ratings, tags, assertion results) with ``IN (subquery)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, true
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import col, select

from workbench.errors import NotFound
from workbench.store.engine import session_scope
from workbench.store.tables import Output, Project, Prompt, PromptVersion, Rating

IdRange = tuple[int, int]  # first and last output id, both included


@dataclass(frozen=True)
class Selection:
    """``project_ids``/``prompt_ids`` empty = all; ``min_score`` keeps outputs whose average
    rating (1-5) is at least that; ``allowed_project_ids`` (``None`` = all) is the outer fence."""

    project_ids: tuple[int, ...] = ()
    prompt_ids: tuple[int, ...] = ()
    min_score: float | None = None
    allowed_project_ids: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return (
            self.allowed_project_ids is None
            and not self.project_ids
            and not self.prompt_ids
            and self.min_score is None
        )

    def as_dict(self) -> dict[str, object]:
        """For audit events: what was exported."""
        return {
            "projects": list(self.project_ids) or "all",
            "prompts": list(self.prompt_ids) or "all",
            "min_score": self.min_score,
        }


def prompt_ids_query(selection: Selection) -> Select:
    query = select(Prompt.id)
    if selection.allowed_project_ids is not None:
        query = query.where(col(Prompt.project_id).in_(sorted(selection.allowed_project_ids)))
    if selection.project_ids:
        query = query.where(col(Prompt.project_id).in_(list(selection.project_ids)))
    if selection.prompt_ids:
        query = query.where(col(Prompt.id).in_(list(selection.prompt_ids)))
    return query


def well_rated(min_score: float, within: IdRange | None = None) -> Select:
    """Ids of outputs whose average rating is at least ``min_score`` (among ``within``)."""
    query = select(Rating.output_id)
    if within is not None:
        query = query.where(col(Rating.output_id).between(*within))
    return query.group_by(col(Rating.output_id)).having(func.avg(Rating.score) >= float(min_score))


def output_ids_query(selection: Selection, within: IdRange | None = None) -> Select:
    """Ids of the outputs of the selected prompts' versions (rated enough, when asked), among
    the ids ``within`` when given."""
    query = select(Output.id).join(PromptVersion, col(PromptVersion.id) == Output.prompt_version_id)
    if within is not None:
        query = query.where(col(Output.id).between(*within))
    if selection.allowed_project_ids is not None or selection.project_ids or selection.prompt_ids:
        query = query.where(col(PromptVersion.prompt_id).in_(prompt_ids_query(selection)))
    if selection.min_score is not None:
        query = query.where(col(Output.id).in_(well_rated(selection.min_score, within)))
    return query


def resolve(
    engine: Engine,
    *,
    projects: Sequence[str] = (),
    prompts: Sequence[str] = (),
    min_score: float | None = None,
) -> Selection:
    """A selection from names (the CLI's ``--project`` and ``--prompt``); unknown names are
    refused with the names that exist. A prompt name may be ``Project/Prompt`` when two
    projects have prompts of the same name."""
    with session_scope(engine) as session:
        by_name = {
            name: pid for pid, name in session.exec(select(Project.id, Project.name)) if pid is not None
        }
        all_prompts = session.exec(select(Prompt.id, Prompt.name, Prompt.project_id)).all()
    project_names = {pid: name for name, pid in by_name.items()}
    missing = [p for p in projects if p not in by_name]
    if missing:
        raise NotFound(
            f"No project named {', '.join(repr(m) for m in missing)}. Projects: {', '.join(sorted(by_name))}."
        )
    project_ids = tuple(by_name[p] for p in projects)
    prompt_ids: list[int] = []
    for wanted in prompts:
        found = [
            pid
            for pid, name, project_id in all_prompts
            if (name == wanted or f"{project_names[project_id]}/{name}" == wanted)
            and (not project_ids or project_id in project_ids)
        ]
        if not found:
            known = sorted(
                {name for _, name, project_id in all_prompts if not project_ids or project_id in project_ids}
            )
            raise NotFound(f"No prompt named '{wanted}'. Prompts: {', '.join(known) or 'none'}.")
        prompt_ids.extend(found)  # type: ignore[arg-type]
    return Selection(project_ids=project_ids, prompt_ids=tuple(prompt_ids), min_score=min_score)


def in_selection(output_id: Any, selection: Selection, within: IdRange | None = None) -> ColumnElement[bool]:
    """``output_id IN (selected outputs)``; plain true for the whole library, where the subquery
    would only cost a scan (callers still join outputs to their prompt version). ``within``
    narrows it to a range of output ids, subqueries included, so that a big export read a
    range at a time never evaluates the whole selection once per range."""
    if selection.everything:
        return true() if within is None else col(output_id).between(*within)
    chosen = col(output_id).in_(output_ids_query(selection, within))
    return chosen if within is None else and_(col(output_id).between(*within), chosen)


def id_ranges(conn: Connection, selection: Selection, size: int) -> list[IdRange]:
    """Consecutive ranges of ``size`` output ids from the first selected output to the last
    (some may hold none)."""
    first_last = select(func.min(Output.id), func.max(Output.id)).where(in_selection(Output.id, selection))
    low, high = conn.execute(first_last).one()
    if low is None or high is None:
        return []
    return [(start, min(start + size - 1, high)) for start in range(low, high + 1, size)]
