"""What every subcommand shares: the ``--database`` option and the actor recorded in the audit log."""

from __future__ import annotations

import argparse
import getpass

from sqlalchemy import Engine

DATABASE_HELP = "SQLAlchemy URL (default: WORKBENCH_DATABASE_URL or ./data/workbench.db)"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", help=DATABASE_HELP)


def database_url(args: argparse.Namespace) -> str:
    from workbench.store.engine import database_url as resolve

    return resolve(getattr(args, "database", None))


def open_engine(args: argparse.Namespace) -> Engine:
    """The migrated database, with work a stopped process left "running" marked interrupted."""
    from workbench.store.engine import open_database
    from workbench.store.liveness import work_left_running

    engine = open_database(database_url(args))
    if work_left_running(engine):  # only then pay for importing what looks closer
        from workbench.evals.interrupted import mark_interrupted

        mark_interrupted(engine)
    return engine


def default_actor() -> str:
    """Who the audit log names for a command: the operating-system user, as ``cli:<name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
