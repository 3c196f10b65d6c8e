"""Alembic environment: runs on the connection the app hands over (see workbench.store.engine.migrate).

``render_as_batch`` lets SQLite ALTER tables by copy-and-move, so later migrations can change
columns without dropping user data.
"""

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel

from workbench.store import release_tables, tables  # noqa: F401  (fills SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("The Alembic configuration names no sqlalchemy.url to migrate.")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
