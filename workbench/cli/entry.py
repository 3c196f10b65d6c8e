"""The ``workbench`` command: open the UI, migrate the database, and (as capabilities land)
run bench tests, improve a prompt on its bench, export and import headless.

Each subcommand is one small function registered in ``COMMANDS``; they print plain text and
return a process exit code.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from workbench import __version__
from workbench.cli import documents_commands, eval_command, export_commands, optimize_command
from workbench.cli.common import add_database_option, database_url
from workbench.config import load_settings
from workbench.errors import WorkbenchError

APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"  # the router


def cmd_migrate(args: argparse.Namespace) -> int:
    from workbench.demo.seed import seed_demo
    from workbench.store.engine import current_revision, open_database

    url = database_url(args)
    engine = open_database(url)
    seeded = seed_demo(engine) if not args.no_seed and load_settings().seed_demo else False
    safe = engine.url.render_as_string(hide_password=True)
    print(
        f"Database {safe} is at revision {current_revision(engine)}"
        + ("; demo content seeded." if seeded else ".")
    )
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    if not APP.exists():
        print(
            f"The workbench's router was not found ({APP}); run from a source checkout.",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ)
    if args.database:
        env["WORKBENCH_DATABASE_URL"] = args.database
    # The launcher starts `streamlit run` on the router and warms the database and imports.
    command = [sys.executable, "-m", "workbench.ui.serve", "--server.port", str(args.port)]
    return subprocess.call(command, env=env, cwd=APP.parents[2])  # .streamlit/ is read from here


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Prompt Workbench command line.")
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("migrate", help="create or upgrade the database (and seed the demo content once)")
    add_database_option(p)
    p.add_argument("--no-seed", action="store_true", help="do not seed the demo content")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("ui", help="open the workbench in the browser")
    add_database_option(p)
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=cmd_ui)

    for register in EXTRA_COMMANDS:
        register(sub)
    return parser


# Capabilities add their subcommands here: a function that takes the subparsers object.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    export_commands.register,
    eval_command.register,
    optimize_command.register,
    documents_commands.register,
]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run() -> None:
    """The process entry point (the ``workbench`` script, ``python -m workbench``): ``main``,
    then leave without the interpreter's shutdown. Every result is written and closed by then
    (engines disposed, reports written, output flushed); tearing down thousands of SDK and ORM
    objects one by one would only add a second to every command's wall time."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
