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
    from workbench.store.engine import open_database

    return open_database(database_url(args))


def default_actor() -> str:
    """Who the audit log names for a command: the operating-system user, as ``cli:<name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
