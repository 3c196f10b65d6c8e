"""The workbench's tables (SQLModel).

Design rules that the rest of the code relies on:

- Prompt versions are immutable: nothing ever updates a ``PromptVersion`` row. A ``Label``
  points at a release (a version with its model and settings, ``release_tables.Release``) and
  every move is kept in ``LabelMove``.
- No table holds an API key. An ``Endpoint`` stores the *name* of the environment variable
  that holds its key, never the key.
- An ``Output`` keeps a snapshot of what was sent (rendered messages, parameters, provider and
  model names), so it still reads correctly after endpoints or models are edited or removed.
- JSON columns hold small, schema-light structures (parameters, variables, assertion specs);
  anything that pages filter or aggregate on at scale is a real column with an index.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from workbench.store.columns import json_column, utcnow

SENSITIVITY_LEVELS = ("public", "internal", "confidential", "restricted")
DEFAULT_RATING_TAGS = (
    "accurate",
    "hallucination",
    "wrong tone",
    "too long",
    "too short",
    "off-topic",
    "unsafe",
    "great example",
)
OUTPUT_STATUSES = ("ok", "error", "incomplete", "cancelled")
PAIRWISE_CHOICES = ("a", "b", "tie", "both_bad")
ROLES = ("viewer", "editor", "admin")


_json = json_column


class Project(SQLModel, table=True):
    """A use case: the user story, the five P's, KPIs and the data sensitivity rules."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    description: str = ""
    # User story: "As a <persona>, I want to <want> so that <so_that>."
    persona: str = ""
    want: str = ""
    so_that: str = ""
    # The five P's.
    purpose: str = ""
    people: str = ""
    process: str = ""
    platform: str = ""
    performance: str = ""
    # Measurable success criteria: [{"metric": "pass_rate", "op": ">=", "target": 0.95, "label": ...}]
    success_criteria: list[dict[str, Any]] = _json(list)
    sensitivity: str = Field(default="internal", max_length=20)
    # Endpoint names allowed to receive this project's prompts (empty = any, by policy level).
    allowed_providers: list[str] = _json(list)
    # Rating tags offered to raters of this project.
    tags: list[str] = _json(lambda: list(DEFAULT_RATING_TAGS))
    # Personal names the PII check must look for (user-maintained).
    pii_names: list[str] = _json(list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Prompt(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_prompt_project_name"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    name: str = Field(max_length=200, index=True)
    description: str = ""
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    archived: bool = False


class PromptVersion(SQLModel, table=True):
    """One immutable snapshot of a prompt. ``number`` counts from 1 within its prompt."""

    __tablename__ = "prompt_version"
    __table_args__ = (UniqueConstraint("prompt_id", "number", name="uq_version_prompt_number"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    number: int
    system_template: str = ""
    user_template: str = ""
    # The call settings saved with the version (``CallSettings.to_dict()``), plus retrieval settings.
    params: dict[str, Any] = _json(dict)
    # Example variable values, so a version can be previewed and run straight away.
    sample_variables: dict[str, Any] = _json(dict)
    change_note: str = ""
    author: str = ""
    parent_id: int | None = Field(default=None, foreign_key="prompt_version.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Label(SQLModel, table=True):
    """A movable name (production, staging, ...) pointing at one release of a prompt.

    ``version_id`` repeats the release's version so the many readers that only need the
    template (library, exports, evaluations by label) need no join; only
    ``versions.record_label_move`` writes either column, always both together."""

    __table_args__ = (UniqueConstraint("prompt_id", "name", name="uq_label_prompt_name"),)

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    name: str = Field(max_length=100)
    version_id: int = Field(foreign_key="prompt_version.id", index=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    updated_by: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


LABEL_MOVE_KINDS = ("set", "move", "rollback")


class LabelMove(SQLModel, table=True):
    """History of a label: every assignment, including the first and every rollback. The
    version columns repeat the releases' versions (see ``Label``)."""

    __tablename__ = "label_move"

    id: int | None = Field(default=None, primary_key=True)
    label_id: int = Field(foreign_key="label.id", index=True)
    from_version_id: int | None = Field(default=None, foreign_key="prompt_version.id")
    to_version_id: int = Field(foreign_key="prompt_version.id")
    from_release_id: int | None = Field(default=None, foreign_key="release.id")
    to_release_id: int = Field(foreign_key="release.id")
    kind: str = Field(default="move", max_length=20)  # set | move | rollback
    moved_by: str = ""
    moved_at: datetime = Field(default_factory=utcnow)
    note: str = ""


class Endpoint(SQLModel, table=True):
    """Where models are reached: a provider kind, an optional base URL, and the key's env var."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    provider: str = Field(max_length=40)  # registry name: echo, openai, anthropic, openai_compatible
    base_url: str | None = None
    api_key_env: str | None = Field(default=None, max_length=100)
    max_concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 2
    enabled: bool = True
    # The key variable and base URL a workbench admin last confirmed the key may be sent to
    # (``models.endpoints.key_target``); while they differ from the current ones, no key is sent.
    key_confirmed_for: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ModelEntry(SQLModel, table=True):
    """A model offered by an endpoint, with its display name and prices per million tokens."""

    __tablename__ = "model"
    __table_args__ = (UniqueConstraint("endpoint_id", "model", name="uq_model_endpoint_model"),)

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="endpoint.id", index=True)
    model: str = Field(max_length=200)
    display_name: str = ""
    price_input_per_mtok: float = 0.0
    price_output_per_mtok: float = 0.0
    enabled: bool = True


class Run(SQLModel, table=True):
    """One press of Run (Compare), one evaluation pass, or one improver call."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    prompt_version_id: int | None = Field(default=None, foreign_key="prompt_version.id", index=True)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id", index=True)
    kind: str = Field(
        default="compare", max_length=20
    )  # compare | eval | generate | optimize | improve | judge | app
    status: str = Field(default="running", max_length=20)  # running | done | cancelled | failed | interrupted
    settings: dict[str, Any] = _json(dict)
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    # The process answering it, "host:pid:start" (store.liveness), so a restart can tell a
    # crashed run from one still running in another server process.
    owner: str | None = Field(default=None, max_length=200)


class Output(SQLModel, table=True):
    """One model answer (or failure) for one row of variables; written as soon as it finishes."""

    __table_args__ = (
        Index("ix_output_version_model", "prompt_version_id", "model_id"),
        Index("ix_output_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    prompt_version_id: int | None = Field(default=None, foreign_key="prompt_version.id")
    model_id: int | None = Field(default=None, foreign_key="model.id", index=True)
    test_case_id: int | None = Field(default=None, foreign_key="test_case.id", index=True)
    row_index: int = 0
    # Snapshots of what was asked, so the row stays readable if the endpoint changes.
    endpoint_name: str = ""
    provider: str = ""
    model_name: str = ""
    variables: dict[str, Any] = _json(dict)
    messages: list[dict[str, Any]] = _json(list)
    params: dict[str, Any] = _json(dict)
    # What came back.
    text: str = ""
    status: str = Field(default="ok", max_length=20)  # ok | error | incomplete | cancelled
    error_kind: str | None = Field(default=None, max_length=40)
    error_message: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    cache_hit: bool = False
    cache_key: str | None = Field(default=None, max_length=64, index=True)
    finish_reason: str | None = Field(default=None, max_length=40)
    # The document passages retrieval put into the messages (``None``: the version retrieves
    # nothing): [{"passage_id", "document_id", "title", "source", "position", "score"}], so a
    # rating or a failing case can be traced to the context the model was given.
    passages: list[dict[str, Any]] | None = _json(lambda: None, nullable=True)
    created_at: datetime = Field(default_factory=utcnow)


class ModelCall(SQLModel, table=True):
    """One call to a model that is not a cell of a run: the judge, the improver, a connection
    test, and what later capabilities add. Every call goes through ``workbench.models.gateway``;
    a run's answers are stored as ``Output`` rows (their purpose is the run's kind), and every
    other call as one of these, so what was sent and received is always on record."""

    __tablename__ = "model_call"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=30, index=True)  # judge | improve | connection_test | ...
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id", index=True)
    actor: str = Field(default="", max_length=200)
    endpoint_name: str = ""
    provider: str = ""
    model_name: str = ""
    messages: list[dict[str, Any]] = _json(list)
    params: dict[str, Any] = _json(dict)
    text: str = ""
    status: str = Field(default="ok", max_length=20)  # ok | error | incomplete | cancelled
    error_kind: str | None = Field(default=None, max_length=40)
    error_message: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    finish_reason: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Rating(SQLModel, table=True):
    """One rater's judgement of one output; a rater re-rating updates their own row."""

    __table_args__ = (UniqueConstraint("output_id", "rater", name="uq_rating_output_rater"),)

    id: int | None = Field(default=None, primary_key=True)
    output_id: int = Field(foreign_key="output.id", index=True)
    rater: str = Field(max_length=200, index=True)
    kind: str = Field(default="stars", max_length=10)  # stars | thumbs
    value: int  # stars 1-5; thumbs 0 (down) or 1 (up)
    score: float  # normalised to 1-5 so stars and thumbs aggregate together
    comment: str = ""
    blind: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RatingTag(SQLModel, table=True):
    """Tags of a rating, one row each, so the library can filter and count by tag."""

    __tablename__ = "rating_tag"

    rating_id: int = Field(foreign_key="rating.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(max_length=100, primary_key=True, index=True)


class PairwisePreference(SQLModel, table=True):
    """ "A is better / B is better / tie / both bad" for two outputs of the same input."""

    __tablename__ = "pairwise_preference"

    id: int | None = Field(default=None, primary_key=True)
    output_a_id: int = Field(foreign_key="output.id", index=True)
    output_b_id: int = Field(foreign_key="output.id", index=True)
    choice: str = Field(max_length=10)  # a | b | tie | both_bad
    rater: str = Field(max_length=200)
    blind: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class TestCase(SQLModel, table=True):
    """A bench question with known answer: variable values, expected text and assertions."""

    __tablename__ = "test_case"
    __test__ = False  # not a pytest class

    id: int | None = Field(default=None, primary_key=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    position: int = 0
    name: str = ""
    variables: dict[str, Any] = _json(dict)
    expected: str | None = None
    # [{"type": "contains", "value": "25 days", "case_sensitive": false}, ...]
    assertions: list[dict[str, Any]] = _json(list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Evaluation(SQLModel, table=True):
    """A bench run: the exact versions, models, parameters and assertions it used."""

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    name: str = ""
    status: str = Field(default="running", max_length=20)  # running | done | cancelled | failed | interrupted
    config: dict[str, Any] = _json(dict)
    summary: dict[str, Any] = _json(dict)
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
    owner: str | None = Field(default=None, max_length=200)  # as on ``Run``


class AssertionResult(SQLModel, table=True):
    __tablename__ = "assertion_result"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    output_id: int = Field(foreign_key="output.id", index=True)
    test_case_id: int | None = Field(default=None, foreign_key="test_case.id", index=True)
    assertion_index: int = 0
    assertion_type: str = Field(max_length=40)
    assertion: dict[str, Any] = _json(dict)
    passed: bool
    score: float | None = None
    reason: str = ""


class AuditEvent(SQLModel, table=True):
    """Append-only record of who changed what; nothing in the app updates or deletes it."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(default="", max_length=200, index=True)
    action: str = Field(max_length=60, index=True)
    entity_type: str = Field(default="", max_length=60)
    entity_id: str = Field(default="", max_length=60)
    project_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = _json(lambda: None, nullable=True)
    after: dict[str, Any] | None = _json(lambda: None, nullable=True)
    detail: str = ""


class AppSetting(SQLModel, table=True):
    """Workspace-wide settings edited in the app (sign-in switch, default limits...)."""

    __tablename__ = "app_setting"

    key: str = Field(primary_key=True, max_length=100)
    value: Any = _json(lambda: None, nullable=True)
    updated_by: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A signed-in user's role in a project (viewer, editor, admin)."""

    __table_args__ = (UniqueConstraint("project_id", "email", name="uq_membership_project_email"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    email: str = Field(max_length=320, index=True)
    role: str = Field(default="viewer", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class WorkbenchAdmin(SQLModel, table=True):
    """Someone who administers the whole workbench (endpoints and keys, the sign-in switch, who
    else is a workbench admin), as distinct from an admin of one project."""

    __tablename__ = "workbench_admin"

    email: str = Field(primary_key=True, max_length=320)
    added_by: str = Field(default="", max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


class PersonalDraft(SQLModel, table=True):
    """Work a person has typed but not saved yet (a prompt's draft, Compare's rows and models,
    Evaluate's choices), kept server-side so a reload or a page switch loses nothing.

    Private to its ``owner`` (the signed-in e-mail, or the browser's own id when sign-in is off);
    ``key`` names what it holds (``draft/prompt/12``, ``compare``...). Never a saved version:
    saving a version (or "Discard changes") deletes the draft.
    """

    __tablename__ = "personal_draft"

    owner: str = Field(primary_key=True, max_length=320)
    key: str = Field(primary_key=True, max_length=200)
    data: dict[str, Any] = _json(dict)
    updated_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """A business document of a project, converted to text and cleaned; its passages are what
    retrieval searches. The text is "radioactive" (it may hold personal data): it is scanned when
    added, and only editors and admins read or export it when sign-in is on."""

    __table_args__ = (UniqueConstraint("project_id", "content_hash", name="uq_document_project_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    title: str = Field(max_length=300)
    source_name: str = Field(default="", max_length=300)  # the uploaded file's name ("" when pasted)
    source_kind: str = Field(default="text", max_length=20)  # txt | md | html | pdf | docx | text
    author: str = Field(default="", max_length=200)
    published: date | None = None
    tags: list[str] = _json(list)
    content_hash: str = Field(max_length=64, index=True)  # sha256 of the cleaned text
    text: str = ""
    words: int = 0
    # What cleaning changed, counted: {"control_characters": 3, "encoding_fixes": 1, ...}
    cleaning: dict[str, Any] = _json(dict)
    # Personal data found when added: distinct values per kind label, never the values.
    personal_data: dict[str, int] = _json(dict)
    near_duplicate_of: int | None = Field(default=None, foreign_key="document.id")
    similarity: float | None = None
    excluded: bool = False
    created_by: str = ""
    created_at: datetime = Field(default_factory=utcnow, index=True)


class Passage(SQLModel, table=True):
    """One searchable piece of a document (a few sentences under their heading). The full-text
    index over ``text`` is the database's own: FTS5 on SQLite, a GIN tsvector index on
    PostgreSQL (both created by migration ``0004_documents``)."""

    __table_args__ = (Index("ix_passage_document_position", "document_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id")
    project_id: int = Field(foreign_key="project.id", index=True)
    position: int = 0
    heading: str = ""
    text: str = ""
    tokens: int = 0


class GenerationCandidate(SQLModel, table=True):
    """One item a model proposed from documents, waiting for review: a test case (question,
    expected answer, supporting quote) or a fine-tuning pair (a prompt whose answer is the
    document). Accepted cases become bench test cases (``test_case_id``); accepted pairs join
    the fine-tuning export. Each keeps the document, passage and model answer it came from."""

    __tablename__ = "generation_candidate"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: str = Field(max_length=10, index=True)  # case | pair
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    output_id: int | None = Field(default=None, foreign_key="output.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    passage_id: int | None = Field(default=None, foreign_key="passage.id")
    prompt_id: int | None = Field(default=None, foreign_key="prompt.id", index=True)
    question: str = ""  # the case's question, or the pair's prompt
    answer: str = ""  # the expected answer, or the pair's answer (the document's text)
    quote: str = ""  # the supporting quote (cases)
    # proposed | accepted | rejected (by a person) | invalid (rejected automatically) | merged
    status: str = Field(default="proposed", max_length=20, index=True)
    reason: str = ""  # why it was rejected automatically or merged
    test_case_id: int | None = Field(default=None, foreign_key="test_case.id")
    reviewed_by: str = ""
    reviewed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


# "Improve on the bench" keeps its tables in their own module; importing them here puts them on
# ``SQLModel.metadata`` for everyone who imports the store's tables (engine, Alembic).
from workbench.store.optimization_tables import (  # noqa: E402, F401
    Optimization,
    OptimizationCandidate,
    OptimizationResult,
)
