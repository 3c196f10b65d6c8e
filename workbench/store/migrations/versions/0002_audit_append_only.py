"""audit_event is append-only in the database itself

Revision ID: 0002_audit_append_only
Revises: 0001
Create Date: 2026-11-24 10:00:00

The app never updates or deletes audit rows; these triggers make the database refuse it too,
so a script, a console session or a bug cannot rewrite history. On PostgreSQL a role that owns
the table can still drop the trigger: the guarantee is against accidents and casual edits, and
anyone who removes it leaves that in the DDL history (``pg_event_trigger`` or logs).

SQLite note for later migrations: ``batch_alter_table("audit_event")`` rebuilds the table and
drops its triggers; such a migration must recreate them (call ``create_guards`` below).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_audit_append_only"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_event is append-only: the audit log cannot be changed or deleted"

SQLITE_UP = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]

POSTGRES_UP = [
    f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
        END $$""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
        FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    return []  # other backends: the app itself still only appends


def create_guards() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def upgrade() -> None:
    create_guards()


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
