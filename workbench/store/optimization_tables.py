"""The tables of "Improve on the bench" (``workbench.improve.optimizer``): one row per run, one per
candidate prompt it tried, and one per candidate × bench case it scored.

Kept apart from ``tables`` so that module stays readable; ``tables`` imports this one, so every
table is on ``SQLModel.metadata`` whoever imports the store's tables.

- A candidate is not a prompt version: it is a pair of templates with its parent and the reason
  the proposing model gave. Only the run's winner becomes a version (labelled ``candidate``), so
  the prompt's history holds what a person may promote, not every attempt.
- A result names its case by its place in the run's bench snapshot (``Optimization.config``),
  not by a foreign key: deleting a test case later must neither fail nor change what a stored
  run says it tested.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from workbench.store.columns import json_column, utcnow


class Optimization(SQLModel, table=True):
    """One "Improve on the bench" run of a prompt version: its plan (the bench snapshot, the
    split, the ceiling), how it ended and what it found."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    version_id: int = Field(foreign_key="prompt_version.id")  # the version it started from
    status: str = Field(default="running", max_length=20)  # running | done | cancelled | failed
    # improved | no_improvement | cancelled | failed ("" while running)
    outcome: str = Field(default="", max_length=30)
    config: dict[str, Any] = json_column(dict)
    summary: dict[str, Any] = json_column(dict)
    message: str = ""  # the verdict in plain words
    calls_used: int = 0
    max_calls: int = 0
    cost_usd: float = 0.0
    saved_version_id: int | None = Field(default=None, foreign_key="prompt_version.id")
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None


class OptimizationCandidate(SQLModel, table=True):
    """A prompt the run tried (round 0 is the version it started from), with its figures on the
    training share and, for the winner and the starting version, on the held-out share."""

    __tablename__ = "optimization_candidate"

    id: int | None = Field(default=None, primary_key=True)
    optimization_id: int = Field(foreign_key="optimization.id", index=True)
    round: int = 0
    position: int = 0  # its place among the round's candidates
    parent_id: int | None = Field(default=None, foreign_key="optimization_candidate.id")
    system_template: str = ""
    user_template: str = ""
    reason: str = ""
    status: str = Field(default="proposed", max_length=20)  # proposed | evaluated | rejected
    problem: str = ""  # why it was rejected, or why its evaluation stopped
    proposal_call_id: int | None = Field(default=None, foreign_key="model_call.id")
    train_passed: int | None = None
    train_total: int | None = None
    train_score: float | None = None
    heldout_passed: int | None = None
    heldout_total: int | None = None
    heldout_score: float | None = None
    cases_won: int = 0  # training cases on which no other candidate does better
    on_front: bool = False  # best on at least one training case and beaten by none everywhere
    chosen: bool = False  # the best on training, taken on to the held-out cases
    created_at: datetime = Field(default_factory=utcnow)


class OptimizationResult(SQLModel, table=True):
    """One candidate on one bench case: the stored answer and its verdict."""

    __tablename__ = "optimization_result"

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="optimization_candidate.id", index=True)
    case_index: int  # the case's place in the run's bench snapshot
    share: str = Field(max_length=10)  # train | heldout
    output_id: int = Field(foreign_key="output.id", index=True)
    passed: bool
    score: float | None = None  # the mean of the case's check scores (0 to 1)
    failures: str = ""
