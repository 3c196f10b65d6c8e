"""The ``workbench`` command line: migrate, open the UI, run a bench headless, export and import."""

from workbench.cli.entry import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
