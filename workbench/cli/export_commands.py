"""``workbench export`` and ``workbench import``: the library out in every format, and back in.

::

    workbench export --format csv --out library.csv [--project P] [--prompt NAME] [--min-score 4]
    workbench export --format xlsx --out library.xlsx
    workbench export --format backup --out backup.json[.gz]
    workbench export --format jsonl --min-score 4 --out finetune/      (or finetune.zip)
    workbench export --format promptfoo --prompt "HR policy answer" --out promptfooconfig.yaml
    workbench export --format prompts --out prompts.csv
    workbench import --backup backup.json             (into an empty database)
    workbench import --prompts prompts.csv
    workbench import --cases cases.xlsx --prompt "HR policy answer" [--replace]

Exit code 0 on success, 2 when the workbench refuses (the message says why and what to do).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from workbench.cli.common import add_database_option, database_url, default_actor, open_engine
from workbench.exports import FORMATS


def _actor(args: argparse.Namespace) -> str:
    return str(args.actor) if args.actor else default_actor()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@contextmanager
def _file(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for a streamed export; gzip-compressed when its name ends in ``.gz``."""
    import gzip  # here, not at the top: every command imports this module

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw:
        if path.name.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="wb") as packed:
                yield packed  # type: ignore[misc]
        else:
            yield raw


def _write_many(out: Path, files: dict[str, Callable[[IO[bytes]], object]]) -> str:
    """A .zip, or a folder holding the files; each file is written by its function."""
    import zipfile

    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, write in files.items():
                with archive.open(name, "w") as entry:
                    write(entry)
        return str(out)
    for name, write in files.items():
        with _file(out / name) as target:
            write(target)
    return f"{out}/ ({', '.join(files)})"


def cmd_export(args: argparse.Namespace) -> int:
    from workbench.exports.key_scrub import scrubber
    from workbench.exports.scope import resolve

    engine = open_engine(args)
    actor, out, scrub = _actor(args), Path(args.out), scrubber(engine)
    selection = resolve(engine, projects=args.project or (), prompts=args.prompt or (), min_score=None)
    if args.format in ("csv", "xlsx"):
        from workbench.exports import csv_xlsx

        if args.min_score is not None:
            selection = resolve(
                engine, projects=args.project or (), prompts=args.prompt or (), min_score=args.min_score
            )
        with _file(out) as target:
            counts, note = csv_xlsx.write_table(
                engine,
                selection,
                args.format,
                target,
                actor=actor,
                scrub=scrub,
                redact_personal_data=not args.keep_personal_data,
            )
        print(f"Wrote {counts['outputs']} outputs ({counts['rated']} rated) to {out}.")
        if note:
            print(note)
    elif args.format == "backup":
        from workbench.exports import backup

        with _file(out) as target:
            counts = backup.write_backup(engine, target, actor=actor, scrub=scrub)
        print(f"Wrote a backup of {sum(counts.values())} rows in {len(counts)} tables to {out}.")
    elif args.format == "jsonl":
        from workbench.exports import finetune

        options = finetune.FineTuneOptions(
            min_score=args.min_score if args.min_score is not None else 4.0,
            max_tokens=args.max_tokens,
            validation_share=args.validation_share,
            seed=args.seed,
        )
        made = finetune.prepare_finetune(
            engine,
            selection,
            options,
            actor=actor,
            scrub=scrub,
            redact_personal_data=not args.keep_personal_data,
        )
        where = _write_many(
            out,
            {
                "train.jsonl": lambda f: finetune.write_jsonl(made.kept_train, f, made.scrub),
                "validation.jsonl": lambda f: finetune.write_jsonl(made.kept_validation, f, made.scrub),
                "summary.json": lambda f: f.write(finetune.summary_json(made.summary)),
            },
        )
        counts = made.summary["counts"]
        print(
            f"Wrote {counts['train']} training and {counts['validation']} validation examples to {where}; "
            f"{counts['duplicates']} duplicates and {counts['too_long']} over {options.max_tokens} tokens left out "
            f"(tokens approximated). Summary: {json.dumps(counts)}"
        )
        if made.summary.get("personal_data"):
            print(made.summary["personal_data"])
    elif args.format == "promptfoo":
        from workbench.exports import promptfoo

        found = promptfoo.export_promptfoo(engine, selection, actor=actor, scrub=scrub)
        if found.filename.endswith(".zip") and out.suffix.lower() in (".yaml", ".yml"):
            print(
                f"error: {found.counts['prompts']} prompts match; name one with --prompt for a single "
                "promptfooconfig.yaml, or give --out a .zip name.",
                file=sys.stderr,
            )
            return 2
        _write(out, found.data)
        print(
            f"Wrote promptfoo configuration for {found.counts['prompts']} prompt(s), {found.counts['tests']} tests, to {out}."
        )
    else:
        from workbench.exports import prompts_csv

        found = prompts_csv.export_prompts(engine, selection, actor=actor, scrub=scrub)
        _write(out, found.data)
        print(f"Wrote {found.counts['prompts']} prompts (latest versions) to {out}.")
    engine.dispose()
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from workbench.evals import cases
    from workbench.exports import backup, prompts_csv
    from workbench.exports.scope import resolve
    from workbench.store import audit
    from workbench.store.engine import database_exists, session_scope

    # A refused import creates nothing, not even the database file: a backup is checked before
    # the target is opened, and prompts or cases go only into a database that exists.
    if args.backup:
        data = Path(args.backup).read_bytes()
        backup.check(data)
    elif not database_exists(database_url(args)):
        print(
            f"error: there is no database at {database_url(args)}: create it first (workbench migrate), "
            "or restore a backup into it.",
            file=sys.stderr,
        )
        return 2
    engine = open_engine(args)
    actor = _actor(args)
    if args.backup:
        counts = backup.restore(engine, data, actor=actor)
        print(f"Restored {sum(counts.values())} rows in {len(counts)} tables from {args.backup}.")
    elif args.prompts:
        path = Path(args.prompts)
        with session_scope(engine) as session:
            counts = prompts_csv.import_prompts(session, path.read_bytes(), path.name, actor=actor)
        print(
            f"Imported {path.name}: {counts['prompts_created']} prompts created, {counts['versions_added']} versions added."
        )
    else:
        if not args.prompt:
            print(
                "error: --cases needs --prompt NAME (the prompt the test cases belong to).", file=sys.stderr
            )
            return 2
        selection = resolve(engine, projects=args.project or (), prompts=[args.prompt])
        if len(selection.prompt_ids) != 1:
            print(f"error: several prompts are named '{args.prompt}'; add --project.", file=sys.stderr)
            return 2
        path = Path(args.cases)
        fmt = path.suffix.lower().lstrip(".")
        with session_scope(engine) as session:
            change = cases.import_cases(
                session,
                selection.prompt_ids[0],
                path.read_bytes(),
                path.name,
                actor=actor,
                replace=args.replace,
            )
            audit.record(
                session,
                actor=actor,
                action=f"import.{fmt}",
                entity_type="prompt",
                entity_id=selection.prompt_ids[0],
                detail=path.name,
                after={"test_cases": change.added},
            )
        print(f"Imported {path.name}: {change}.")
    engine.dispose()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="export the library: csv, xlsx, backup, jsonl (fine-tuning), promptfoo, prompts"
    )
    add_database_option(p)
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument(
        "--out", required=True, help="file to write (jsonl: a folder or a .zip; promptfoo: .yaml or .zip)"
    )
    p.add_argument("--project", action="append", help="only this project (repeat for several)")
    p.add_argument(
        "--prompt", action="append", help="only this prompt, by name or 'Project/Prompt' (repeatable)"
    )
    p.add_argument(
        "--min-score", type=float, help="only outputs rated at least this on average (1-5); jsonl default 4"
    )
    p.add_argument(
        "--max-tokens", type=int, default=4096, help="jsonl: longest example kept (approximate tokens)"
    )
    p.add_argument("--validation-share", type=float, default=0.1, help="jsonl: share held out for validation")
    p.add_argument("--seed", type=int, default=13, help="jsonl: seed of the train/validation split")
    p.add_argument(
        "--keep-personal-data",
        action="store_true",
        help="csv/xlsx/jsonl: do not redact personal data of confidential and restricted projects",
    )
    p.add_argument(
        "--actor", default=os.environ.get("WORKBENCH_ACTOR"), help="name recorded in the audit log"
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import", help="restore a backup into an empty database, or import prompts or test cases"
    )
    add_database_option(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--backup", help="a backup file (.json or .json.gz) to restore into an empty database")
    what.add_argument("--prompts", help="a CSV/XLSX of prompts (project, prompt, system, user, ...)")
    what.add_argument("--cases", help="a CSV/XLSX of test cases for --prompt")
    p.add_argument("--prompt", help="with --cases: the prompt the cases belong to")
    p.add_argument("--project", action="append", help="with --cases: the prompt's project, when names repeat")
    p.add_argument("--replace", action="store_true", help="with --cases: replace the prompt's existing cases")
    p.add_argument(
        "--actor", default=os.environ.get("WORKBENCH_ACTOR"), help="name recorded in the audit log"
    )
    p.set_defaults(func=cmd_import)
