"""personal_draft: what a person typed but has not saved, kept per person

Revision ID: 0009_drafts
Revises: 0008_interrupted_work
Create Date: 2026-12-10 10:00:00

Draft edits, Compare's rows and models and Evaluate's choices lived only in the browser
session, so a reload lost them. They are now kept server-side, private to each person (the
signed-in e-mail, or the browser's own id). A new table only: no existing row is touched.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_drafts"
down_revision: str | None = "0008_interrupted_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_draft",
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "key"),
    )


def downgrade() -> None:
    op.drop_table("personal_draft")
