"""run.owner, evaluation.owner: the process answering a run or an evaluation

Revision ID: 0008_interrupted_work
Revises: 0007_workbench_admin
Create Date: 2026-12-02 16:00:00

A run or an evaluation left "running" by a killed process said so forever. Each now records the
process that owns it ("host:pid:start"), so a restart marks the work of a dead process as
interrupted and leaves the work of a live one alone. Existing rows get no owner: when they are
still "running", they were left by a process from before this upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_interrupted_work"
down_revision: str | None = "0007_workbench_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("run", "evaluation"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))


def downgrade() -> None:
    for table in ("evaluation", "run"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("owner")
