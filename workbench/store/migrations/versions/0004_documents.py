"""documents: a project's documents, their passages with a full-text index, generated candidates

Revision ID: 0004_documents
Revises: 0003_model_call
Create Date: 2026-12-02 13:40:10

New tables (document, passage, generation_candidate) and one new nullable column
(output.passages); no existing row is touched.

The full-text index is each backend's own engine, so retrieval never loops over passages in
Python:

- SQLite: an FTS5 table ``passage_fts`` over ``passage.text`` (external content, porter
  stemming), kept in step by triggers on insert, update and delete; ranked with ``bm25()``.
- PostgreSQL: a stored generated column ``passage.search_vector`` (``to_tsvector('english',
  text)``) with a GIN index; queried with ``websearch_to_tsquery`` and ranked with ``ts_rank``.

Neither is part of the SQLModel metadata (the tables' schema test leaves them out, saying why).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_documents"
down_revision: str | None = "0003_model_call"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("source_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("source_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("cleaning", sa.JSON(), nullable=False),
        sa.Column("personal_data", sa.JSON(), nullable=False),
        sa.Column("near_duplicate_of", sa.Integer(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["near_duplicate_of"],
            ["document.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "content_hash", name="uq_document_project_hash"),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_content_hash"), ["content_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_project_id"), ["project_id"], unique=False)

    op.create_table(
        "passage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("passage", schema=None) as batch_op:
        batch_op.create_index("ix_passage_document_position", ["document_id", "position"], unique=False)
        batch_op.create_index(batch_op.f("ix_passage_project_id"), ["project_id"], unique=False)

    op.create_table(
        "generation_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("output_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("passage_id", sa.Integer(), nullable=True),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("question", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("quote", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("test_case_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
        ),
        sa.ForeignKeyConstraint(
            ["output_id"],
            ["output.id"],
        ),
        sa.ForeignKeyConstraint(
            ["passage_id"],
            ["passage.id"],
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["prompt.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["test_case_id"],
            ["test_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("generation_candidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_generation_candidate_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_generation_candidate_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_generation_candidate_output_id"), ["output_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generation_candidate_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generation_candidate_prompt_id"), ["prompt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generation_candidate_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_generation_candidate_status"), ["status"], unique=False)

    with op.batch_alter_table("output", schema=None) as batch_op:
        batch_op.add_column(sa.Column("passages", sa.JSON(), nullable=True))

    _create_search_index()


FTS_TRIGGERS = {
    "passage_fts_insert": (
        "AFTER INSERT ON passage BEGIN INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text); END"
    ),
    "passage_fts_delete": (
        "AFTER DELETE ON passage BEGIN "
        "INSERT INTO passage_fts(passage_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    ),
    "passage_fts_update": (
        "AFTER UPDATE OF text ON passage BEGIN "
        "INSERT INTO passage_fts(passage_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text); END"
    ),
}


def _create_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE passage_fts USING fts5("
            "text, content='passage', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        for name, body in FTS_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    elif dialect == "postgresql":
        # A stored vector: ranking reads it instead of parsing every matching passage again.
        op.execute(
            "ALTER TABLE passage ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        op.execute("CREATE INDEX ix_passage_search ON passage USING GIN (search_vector)")


def _drop_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS passage_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_passage_search")
        op.execute("ALTER TABLE passage DROP COLUMN IF EXISTS search_vector")


def downgrade() -> None:
    _drop_search_index()
    with op.batch_alter_table("output", schema=None) as batch_op:
        batch_op.drop_column("passages")

    with op.batch_alter_table("generation_candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generation_candidate_status"))
        batch_op.drop_index(batch_op.f("ix_generation_candidate_run_id"))
        batch_op.drop_index(batch_op.f("ix_generation_candidate_prompt_id"))
        batch_op.drop_index(batch_op.f("ix_generation_candidate_project_id"))
        batch_op.drop_index(batch_op.f("ix_generation_candidate_output_id"))
        batch_op.drop_index(batch_op.f("ix_generation_candidate_kind"))
        batch_op.drop_index(batch_op.f("ix_generation_candidate_document_id"))

    op.drop_table("generation_candidate")
    with op.batch_alter_table("passage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_passage_project_id"))
        batch_op.drop_index("ix_passage_document_position")

    op.drop_table("passage")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_project_id"))
        batch_op.drop_index(batch_op.f("ix_document_created_at"))
        batch_op.drop_index(batch_op.f("ix_document_content_hash"))

    op.drop_table("document")
