"""The tables of releases and of answers served in use (``workbench.monitor``).

Kept apart from ``tables`` so that module stays readable; ``store.engine`` (which every reader
and writer imports) and the migrations' environment import both, so every table is on
``SQLModel.metadata``.

- A ``Release`` is what a label serves: a prompt version, the model it runs on and the call
  settings. Releases are immutable and shared: pointing a label at the same version, model and
  settings again finds the same row (by ``fingerprint``), so a rollback returns to the very
  release the Monitor already has figures for.
- A ``ServedAnswer`` is one answer an application served, reported back through
  ``workbench.monitor``. Its ``uid`` is made by the application's process, not the database, so
  an answer kept in the local spool while the database is down can already receive feedback.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from workbench.store.tables import utcnow


class Release(SQLModel, table=True):
    """A prompt version + model (an endpoint's name and a model id; both empty: the caller
    chooses) + call settings (``CallSettings.to_dict()``), pointed at by labels."""

    __tablename__ = "release"
    __table_args__ = (UniqueConstraint("prompt_id", "fingerprint", name="uq_release_prompt_fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    version_id: int = Field(foreign_key="prompt_version.id", index=True)
    endpoint_name: str | None = Field(default=None, max_length=100)
    model_name: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # sha256 of version, endpoint, model and settings: the identity that makes releases shared.
    fingerprint: str = Field(max_length=64)
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class ServedAnswer(SQLModel, table=True):
    """One answer an application served with a prompt release, and what its user thought of it."""

    __tablename__ = "served_answer"
    __table_args__ = (
        Index("ix_served_answer_prompt_time", "prompt_id", "served_at"),
        Index("ix_served_answer_release_time", "release_id", "served_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=32, unique=True, index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    prompt_id: int = Field(foreign_key="prompt.id")
    release_id: int | None = Field(default=None, foreign_key="release.id")  # None: fetched by version
    version_id: int = Field(foreign_key="prompt_version.id", index=True)
    label: str | None = Field(default=None, max_length=100)
    source: str = Field(default="", max_length=100)  # the application's name, when it gives one
    # The model that answered: the release's, or the caller's when the release leaves it open.
    endpoint_name: str = Field(default="", max_length=100)
    model_name: str = Field(default="", max_length=200)
    variables: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str = ""
    status: str = Field(default="ok", max_length=20)  # ok | error
    error_kind: str | None = Field(default=None, max_length=40)
    error_message: str | None = None
    latency_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    # Personal data the detectors found (distinct values per kind, never the values), and
    # whether the stored text is the redacted copy (confidential and restricted projects).
    personal_data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    redacted: bool = False
    served_at: datetime = Field(default_factory=utcnow)
    recorded_at: datetime = Field(default_factory=utcnow)
    # The end user's feedback, arriving later by ``uid``.
    thumbs: int | None = None  # 1 up, 0 down
    score: int | None = None  # 1-5
    comment: str = ""
    feedback_at: datetime | None = None
    # Set when the answer was sent to Review: the Output row raters see.
    output_id: int | None = Field(default=None, foreign_key="output.id")
