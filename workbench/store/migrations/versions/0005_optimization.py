"""optimization, optimization_candidate, optimization_result: "Improve on the bench" runs

Revision ID: 0005_optimization
Revises: 0004_documents
Create Date: 2026-12-04 10:00:00

An optimizer proposes edits to a prompt, tests each on the prompt's bench and keeps only what
scores; its runs are stored so they can be reopened: the run (plan, split, ceiling, verdict),
every candidate it tried (parent, reason, figures) and every candidate × case verdict. New
tables only: no existing row is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_optimization"
down_revision: str | None = "0004_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "optimization",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("status", TEXT(length=20), nullable=False),
        sa.Column("outcome", TEXT(length=30), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("message", TEXT(), nullable=False),
        sa.Column("calls_used", sa.Integer(), nullable=False),
        sa.Column("max_calls", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("saved_version_id", sa.Integer(), nullable=True),
        sa.Column("created_by", TEXT(), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.Column("finished_at", WHEN(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.ForeignKeyConstraint(["prompt_id"], ["prompt.id"]),
        sa.ForeignKeyConstraint(["saved_version_id"], ["prompt_version.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["prompt_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("optimization") as batch:
        batch.create_index(batch.f("ix_optimization_created_at"), ["created_at"], unique=False)
        batch.create_index(batch.f("ix_optimization_project_id"), ["project_id"], unique=False)
        batch.create_index(batch.f("ix_optimization_prompt_id"), ["prompt_id"], unique=False)

    op.create_table(
        "optimization_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("optimization_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("system_template", TEXT(), nullable=False),
        sa.Column("user_template", TEXT(), nullable=False),
        sa.Column("reason", TEXT(), nullable=False),
        sa.Column("status", TEXT(length=20), nullable=False),
        sa.Column("problem", TEXT(), nullable=False),
        sa.Column("proposal_call_id", sa.Integer(), nullable=True),
        sa.Column("train_passed", sa.Integer(), nullable=True),
        sa.Column("train_total", sa.Integer(), nullable=True),
        sa.Column("train_score", sa.Float(), nullable=True),
        sa.Column("heldout_passed", sa.Integer(), nullable=True),
        sa.Column("heldout_total", sa.Integer(), nullable=True),
        sa.Column("heldout_score", sa.Float(), nullable=True),
        sa.Column("cases_won", sa.Integer(), nullable=False),
        sa.Column("on_front", sa.Boolean(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.Column("created_at", WHEN(), nullable=False),
        sa.ForeignKeyConstraint(["optimization_id"], ["optimization.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["optimization_candidate.id"]),
        sa.ForeignKeyConstraint(["proposal_call_id"], ["model_call.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("optimization_candidate") as batch:
        batch.create_index(
            batch.f("ix_optimization_candidate_optimization_id"), ["optimization_id"], unique=False
        )

    op.create_table(
        "optimization_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("case_index", sa.Integer(), nullable=False),
        sa.Column("share", TEXT(length=10), nullable=False),
        sa.Column("output_id", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("failures", TEXT(), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["optimization_candidate.id"]),
        sa.ForeignKeyConstraint(["output_id"], ["output.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("optimization_result") as batch:
        batch.create_index(batch.f("ix_optimization_result_candidate_id"), ["candidate_id"], unique=False)
        batch.create_index(batch.f("ix_optimization_result_output_id"), ["output_id"], unique=False)


def downgrade() -> None:
    op.drop_table("optimization_result")
    op.drop_table("optimization_candidate")
    op.drop_table("optimization")
