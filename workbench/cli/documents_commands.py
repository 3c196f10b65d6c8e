"""``workbench documents …`` and ``workbench generate …``: a project's documents from the shell.

    workbench documents add handbook/*.pdf --project "HR handbook assistant" --tags handbook
    workbench documents list --project "HR handbook assistant"
    workbench generate cases --project "HR handbook assistant" --prompt "HR policy answer" \\
        --model "Local fake server/fake-large" [--documents "Sick leave,Remote work"] [--accept]
    workbench generate pairs --project "HR handbook assistant" --model … [--out pairs.csv]

Exit codes as ``workbench eval``: 0 done (something usable was made), 1 the run finished but
nothing usable came of it (every call failed, every candidate was rejected), 2 bad input
(unknown project, prompt or model, an unreadable file, a duplicate, the data policy blocked it).
Only the parser is built at import time; the heavy modules load when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from workbench.cli.common import add_database_option, default_actor, open_engine
from workbench.store.lookup import id_of

EXIT_OK, EXIT_NOTHING, EXIT_BAD = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-01-31") from None


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("documents", help="add or list a project's documents (context, cases, pairs)")
    verbs = docs.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="add TXT, Markdown, HTML, PDF or DOCX files (all or nothing)")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--project", required=True, help="the project's name")
    add.add_argument("--author", default="", help="author of every file (default: from the file)")
    add.add_argument("--date", type=_date, help="date of every file, YYYY-MM-DD (default: from the file)")
    add.add_argument("--tags", default="", help="comma-separated tags for every file")
    add.add_argument("--actor", default=default_actor())
    add_database_option(add)
    add.set_defaults(func=cmd_documents_add)
    listing = verbs.add_parser("list", help="the project's documents and the readiness summary")
    listing.add_argument("--project", required=True)
    add_database_option(listing)
    listing.set_defaults(func=cmd_documents_list)

    gen = sub.add_parser("generate", help="generate test cases or fine-tuning pairs from documents")
    kinds = gen.add_subparsers(dest="what", required=True)
    for what, help_text in (
        ("cases", "question / expected answer / quote triples for a prompt's bench"),
        ("pairs", "prompts to which each document is the answer (reverse generation)"),
    ):
        p = kinds.add_parser(what, help=help_text)
        p.add_argument("--project", required=True)
        p.add_argument("--model", required=True, help="ENDPOINT/MODEL, e.g. 'Local fake server/fake-large'")
        p.add_argument(
            "--documents", default="", help="comma-separated titles (default: every included document)"
        )
        p.add_argument(
            "--count",
            type=int,
            default=3 if what == "cases" else 2,
            help="per passage (cases) or document (pairs)",
        )
        p.add_argument("--accept", action="store_true", help="accept every proposed candidate without review")
        p.add_argument("--redact", action="store_true", help="redact personal data before sending")
        p.add_argument("--actor", default=default_actor())
        add_database_option(p)
        if what == "cases":
            p.add_argument("--prompt", required=True, help="the prompt whose bench gets the cases")
            p.add_argument(
                "--variable", help="the variable the question fills (default: the prompt's question)"
            )
        else:
            p.add_argument(
                "--instruction", type=Path, help="a text file with the instruction (default: built in)"
            )
            p.add_argument("--out", type=Path, help="write the accepted pairs as CSV or XLSX here")
        p.set_defaults(func=cmd_generate)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD


def _project_id(engine: Any, name: str) -> int:
    from workbench.errors import NotFound
    from workbench.projects import project_records

    project = project_records.find_project(engine, name)
    if project is None:
        names = ", ".join(p.name for p in project_records.list_projects(engine))
        raise NotFound(f"No project named '{name}'. Projects: {names}.")
    return project.id  # type: ignore[return-value]


def cmd_documents_add(args: argparse.Namespace) -> int:
    from workbench.documents import records
    from workbench.store.engine import session_scope

    sources = []
    for path in args.files:
        if not path.is_file():
            return _fail(f"{path}: no such file.")
        tags = tuple(t.strip() for t in args.tags.split(",") if t.strip())
        sources.append(
            records.Source(
                name=path.name, data=path.read_bytes(), author=args.author, published=args.date, tags=tags
            )
        )
    engine = open_engine(args)
    try:
        project_id = _project_id(engine, args.project)
        with session_scope(engine) as session:
            prepared = records.prepare(session, project_id, sources)
            added = records.add(session, project_id, prepared, actor=args.actor)
            lines = [
                f"added '{d.title}' ({d.source_name}): {d.words} words, {len(p.passages)} passages, "
                f"cleaning: {p.cleaned.summary()}"
                + (f", personal data: {', '.join(d.personal_data)}" if d.personal_data else "")
                + (f", near-duplicate of document {d.near_duplicate_of}" if d.near_duplicate_of else "")
                for d, p in zip(added, prepared, strict=True)
            ]
        print("\n".join(lines))
        return EXIT_OK
    finally:
        engine.dispose()


def cmd_documents_list(args: argparse.Namespace) -> int:
    from workbench.documents import readiness, records
    from workbench.store.engine import session_scope

    engine = open_engine(args)
    try:
        project_id = _project_id(engine, args.project)
        with session_scope(engine) as session:
            for d in records.list_documents(session, project_id):
                flag = " (excluded)" if d.excluded else ""
                when = d.published.isoformat() if d.published else "undated"
                print(f"{d.id:>5}  {d.title}{flag} · {d.source_name or 'pasted'} · {when} · {d.words} words")
            print("\n".join(readiness.readiness(session, project_id).lines()))
        return EXIT_OK
    finally:
        engine.dispose()


def cmd_generate(args: argparse.Namespace) -> int:
    from workbench.errors import WorkbenchError

    engine = open_engine(args)
    try:
        return _generate(engine, args)
    except WorkbenchError as exc:
        return _fail(str(exc))
    finally:
        engine.dispose()


def _document_ids(engine: Any, project_id: int, titles: str) -> tuple[int, ...]:
    from workbench.documents import records
    from workbench.errors import NotFound
    from workbench.store.engine import session_scope

    with session_scope(engine) as session:
        documents = [d for d in records.list_documents(session, project_id) if not d.excluded]
    wanted = [t.strip() for t in titles.split(",") if t.strip()]
    if not wanted:
        return tuple(sorted(id_of(d) for d in documents))
    by_title = {d.title: d.id for d in documents}
    missing = [t for t in wanted if t not in by_title]
    if missing:
        raise NotFound(
            f"No included document titled {', '.join(map(repr, missing))}. Titles: {', '.join(sorted(by_title))}."
        )
    return tuple(by_title[t] for t in wanted)  # type: ignore[misc]


def _generate(engine: Any, args: argparse.Namespace) -> int:
    from workbench.evals import naming
    from workbench.generate import acceptance, jobs, policy
    from workbench.generate.instructions import PairsInstruction
    from workbench.runs.runner import run_cells
    from workbench.store.engine import session_scope

    project_id = _project_id(engine, args.project)
    (model_id,) = naming.model_ids(engine, [args.model])
    documents = _document_ids(engine, project_id, args.documents)
    prompt_id = None
    if args.what == "cases":
        prompt = naming.find_prompt(engine, args.prompt, args.project)
        prompt_id = prompt.id
        request = jobs.CasesRequest(project_id, documents, model_id, id_of(prompt), per_passage=args.count)
        cells = jobs.case_cells(engine, request)
    else:
        text = args.instruction.read_text(encoding="utf-8") if args.instruction else None
        instruction = PairsInstruction(instruction=text) if text else PairsInstruction()
        cells = jobs.pair_cells(
            engine, jobs.PairsRequest(project_id, documents, model_id, args.count, instruction)
        )
    cells = policy.settle(
        engine,
        project_id,
        cells,
        actor=args.actor,
        redact=args.redact,
        warn=lambda m: print(f"warning: {m}", file=sys.stderr),
    )
    print(f"Generating {args.what} from {len(documents)} documents: {len(cells)} calls…", flush=True)
    report = run_cells(
        engine, cells, jobs.run_options(project_id, args.actor, args.what, prompt_id=prompt_id)
    )
    kind = "case" if args.what == "cases" else "pair"
    with session_scope(engine) as session:
        made = jobs.collect(session, report.run_id)
        proposed = [c.id for c in acceptance.candidates(session, project_id, kind, run_id=report.run_id)]
        if args.accept and proposed:
            acceptance.review(
                session,
                project_id,
                accept=proposed,
                actor=args.actor,
                variable=getattr(args, "variable", None),
            )
    print(
        f"run {report.run_id}: {made.proposed} proposed, {made.invalid} rejected automatically, {made.merged} merged, "
        f"{made.failed_calls} failed calls, ${report.cost_usd:.4f}"
        + (
            f"; {len(proposed)} accepted"
            if args.accept and proposed
            else "; review them on the Documents page"
        )
    )
    if args.what == "pairs" and args.out:
        from workbench.exports.key_scrub import scrubber
        from workbench.exports.pairs import export_pairs
        from workbench.exports.scope import Selection

        fmt = "xlsx" if args.out.suffix.lower() == ".xlsx" else "csv"
        sheet = export_pairs(
            engine, Selection(project_ids=(project_id,)), fmt, actor=args.actor, scrub=scrubber(engine)
        )
        args.out.write_bytes(sheet.data)
        print(f"wrote {sheet.counts['pairs']} accepted pairs to {args.out}")
    return EXIT_OK if made.proposed else EXIT_NOTHING
