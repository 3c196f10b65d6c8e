"""A prompt's history as people read it: versions with who/when/why and how they were rated, and
the labels on each. Labels themselves (releases, moves, rollback) are ``prompts.label_history``.

Ratings come from ``workbench.judging.feedback`` (the one place ratings are aggregated): average of
the normalised 1-5 score, number of ratings and tag counts per version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from workbench.judging import feedback
from workbench.prompts import versions
from workbench.store.lookup import id_of


@dataclass(frozen=True)
class VersionRow:
    id: int
    number: int
    author: str
    created_at: datetime
    change_note: str
    labels: tuple[str, ...]
    average_rating: float | None
    ratings: int
    tags: str = ""  # "accurate ×3, too long ×1"


def version_history(engine: Engine, prompt_id: int) -> list[VersionRow]:
    """Every version, newest first, with its labels and ratings."""
    summary = feedback.version_feedback(engine, prompt_id)
    rated: dict[int, tuple[float | None, int, str]] = {
        int(number): (round(float(mean), 2), int(count), str(tags))
        for number, mean, count, tags in summary[
            ["version_number", "mean_score", "ratings", "tags"]
        ].itertuples(index=False)
    }
    labels: dict[int, list[str]] = {}
    for label in versions.labels_for_prompt(engine, prompt_id):
        labels.setdefault(label.version_id, []).append(label.name)
    return [
        VersionRow(
            id=id_of(v),
            number=v.number,
            author=v.author,
            created_at=v.created_at,
            change_note=v.change_note,
            labels=tuple(labels.get(id_of(v), [])),
            average_rating=rated.get(v.number, (None, 0, ""))[0],
            ratings=rated.get(v.number, (None, 0, ""))[1],
            tags=rated.get(v.number, (None, 0, ""))[2],
        )
        for v in versions.list_versions(engine, prompt_id)
    ]
