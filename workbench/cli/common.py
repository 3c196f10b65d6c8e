"""What every subcommand shares: the ``--database`` option and the actor recorded in the audit log."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

DATABASE_HELP = "SQLAlchemy URL (default: WORKBENCH_DATABASE_URL or ./data/workbench.db)"


def add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", help=DATABASE_HELP)


def database_url(args: argparse.Namespace) -> str:
    from workbench.store.engine import database_url as resolve

    return resolve(getattr(args, "database", None))


def missing_database(url: str) -> str | None:
    """Why ``url`` names no database to use (a command that reads one must not create an empty
    one by mistake), or ``None``."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return f"'{url}' is not a database URL."
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return f"There is no database at {parsed.database}. Pass --database or set WORKBENCH_DATABASE_URL."
    return None


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


EXIT_NOT_RUN = 2  # a command that could not run: bad input, no database, a refused send


def fail(message: str) -> int:
    """Say why on stderr; the exit code of a command that could not run."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_NOT_RUN


def run_on_database(args: argparse.Namespace, run: Callable[[argparse.Namespace, str], int]) -> int:
    """``run(args, url)`` on the command's database: a missing database, a ``WorkbenchError`` or a
    database error is said plainly and exits 2, never a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from workbench.errors import WorkbenchError

    url = database_url(args)
    problem = missing_database(url)
    if problem:
        return fail(problem)
    try:
        return run(args, url)
    except WorkbenchError as exc:
        return fail(str(exc))
    except SQLAlchemyError as exc:
        return fail(f"The database could not be used ({type(exc).__name__}): {str(exc).splitlines()[0]}")
