"""workbench_admin: a workbench-wide admin role; endpoint.key_confirmed_for: trust in a key

Revision ID: 0007_workbench_admin
Revises: 0006_releases
Create Date: 2026-12-02 15:00:00

Global settings (endpoints and keys, the sign-in switch, who administers the workbench) were
guarded by a project admin role, so an admin of any project could change them. They now need a
workbench admin, a role of its own. Whoever was named first admin when sign-in was switched on,
or became admin by the first sign-in, becomes workbench admin here.

An endpoint's key is sent only to the key variable and base URL a workbench admin confirmed;
existing endpoints keep the trust they had, so nothing stops working on upgrade.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_workbench_admin"
down_revision: str | None = "0006_releases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

endpoint = sa.table(
    "endpoint",
    sa.column("id", sa.Integer),
    sa.column("base_url", sa.String),
    sa.column("api_key_env", sa.String),
    sa.column("key_confirmed_for", sa.String),
)
app_setting = sa.table("app_setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
audit_event = sa.table("audit_event", sa.column("action", sa.String), sa.column("after", sa.JSON))
workbench_admin = sa.table(
    "workbench_admin",
    sa.column("email", sa.String),
    sa.column("added_by", sa.String),
    sa.column("created_at", sa.DateTime),
)


def _first_admins(conn: sa.Connection) -> set[str]:
    found = set()
    for (value,) in conn.execute(
        sa.select(app_setting.c.value).where(app_setting.c.key == "signin_bootstrapped_by")
    ):
        if isinstance(value, str) and value:
            found.add(value.strip().lower())
    for (after,) in conn.execute(
        sa.select(audit_event.c.after).where(audit_event.c.action == "settings.signin")
    ):
        if isinstance(after, dict) and isinstance(after.get("first_admin"), str):
            found.add(after["first_admin"].strip().lower())
    return {email for email in found if "@" in email}


def upgrade() -> None:
    op.create_table(
        "workbench_admin",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    with op.batch_alter_table("endpoint") as batch:
        batch.add_column(sa.Column("key_confirmed_for", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.select(endpoint.c.id, endpoint.c.base_url, endpoint.c.api_key_env)):
        conn.execute(
            endpoint.update()
            .where(endpoint.c.id == row.id)
            .values(key_confirmed_for=f"{row.api_key_env or ''}@{row.base_url or ''}")
        )
    for email in sorted(_first_admins(conn)):
        conn.execute(
            workbench_admin.insert().values(email=email, added_by="migration", created_at=datetime.now(UTC))
        )


def downgrade() -> None:
    with op.batch_alter_table("endpoint") as batch:
        batch.drop_column("key_confirmed_for")
    op.drop_table("workbench_admin")
