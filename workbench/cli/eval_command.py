"""``workbench eval``: run a prompt's bench headless and gate a CI pipeline on its pass rate.

The bench is the one business users built on the Bench page; the run goes through the same
runner, scoring and storage as the Evaluate page, so the evaluation also appears there.
Only the parser is built at import time; the heavy modules load when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from workbench.cli.common import (
    EXIT_NOT_RUN,  # noqa: F401  (one of this command's exit codes)
    add_database_option,
    default_actor,
    fail,
    run_on_database,
)
from workbench.store.lookup import id_of

EXIT_PASSED, EXIT_BELOW = 0, 1

DESCRIPTION = """\
Run the bench test cases of a prompt on one or more versions and models, print a summary,
optionally write JUnit XML and JSON reports, and exit with:

  0  every version x model passed at least --min-pass-rate of the cases
  1  the run finished, but some version x model is below --min-pass-rate
  2  the bench could not run: bad arguments, unknown prompt, version, label or model, a
     missing API key, the project's data policy blocked the send, or no call returned an answer

Models: ENDPOINT/MODEL (or ENDPOINT:MODEL) with the endpoint's name as in Settings and the model id, e.g.
"Local fake server/fake-large" or "OpenAI/gpt-4o-mini"; or the bare model id when only one
enabled endpoint lists it ("fake-large"). Separate several with commas or repeat --models.
API keys come from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, or the variable an
endpoint names in Settings); they are never stored.
"""

EXAMPLE = """\
example:
  workbench eval --prompt "HR policy answer" --label production \\
      --models "Local fake server/fake-large,Local fake server/fake-small" \\
      --min-pass-rate 0.9 --junit bench.xml --json bench.json
"""


class _Select(argparse.Action):
    """--version and --label append to one ordered list of selectors."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        value: Any,
        option: str | None = None,
    ) -> None:
        kind = "version" if option == "--version" else "label"
        namespace.selectors = [*(getattr(namespace, "selectors", None) or []), (kind, value)]


def rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number from 0 to 1") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1 (write 0.9 for 90%)")
    return value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="run a prompt's bench test cases headless and gate CI on the pass rate",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--prompt", required=True, help="the prompt's name")
    p.add_argument("--project", help="the project's name, when several projects have a prompt of that name")
    p.add_argument(
        "--version",
        type=int,
        action=_Select,
        metavar="N",
        help="a version number (repeatable; at least one --version or --label)",
    )
    p.add_argument("--label", action=_Select, metavar="LABEL", help="a label such as production (repeatable)")
    p.add_argument(
        "--models", action="append", required=True, metavar="M1,M2", help="models to run on (see above)"
    )
    p.add_argument(
        "--min-pass-rate",
        type=rate,
        default=1.0,
        metavar="RATE",
        help="0 to 1 (default 1: every case must pass)",
    )
    p.add_argument("--concurrency", type=positive, default=8, metavar="N", help="calls at once (default 8)")
    p.add_argument("--temperature", type=float, help="override the versions' temperature")
    p.add_argument("--max-tokens", type=positive, metavar="N", help="override the versions' max tokens")
    p.add_argument(
        "--judge", metavar="MODEL", help="the judge model for llm_judge checks (same syntax as --models)"
    )
    p.add_argument(
        "--redact", action="store_true", help="redact personal data in the cases' values before sending"
    )
    add_database_option(p)
    p.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the full result as JSON here")
    p.add_argument(
        "--actor",
        default=os.environ.get("WORKBENCH_ACTOR") or default_actor(),
        help="who ran it, for the record",
    )
    p.set_defaults(func=cmd_eval, selectors=[])


def cmd_eval(args: argparse.Namespace) -> int:
    return run_on_database(args, _run)


def check_keys(engine: Any, config: Any, also: tuple[str, ...] = ()) -> None:
    """Refuse up front when a key is missing, rather than report every case as failed
    (``also``: more endpoint names the command calls, e.g. the optimizer's proposer)."""
    from workbench.errors import ConfigError
    from workbench.models import endpoints
    from workbench.models.providers.registry import is_configured, key_env_for

    names = (
        {m.endpoint for m in config.models} | ({config.judge.endpoint} if config.judge else set()) | set(also)
    )
    for name in sorted(names):
        endpoint = endpoints.find_endpoint(engine, name)
        settings = endpoints.endpoint_config(endpoint) if endpoint else None
        if settings is not None and not is_configured(settings):
            raise ConfigError(f"Set {key_env_for(settings)} in the environment to call {name}.")


def apply_policy(engine: Any, config: Any, args: argparse.Namespace) -> Any:
    """Apply the project's data policy as the page would, without a person to ask."""
    from workbench.errors import PolicyBlocked
    from workbench.evals import outbound
    from workbench.governance import data_policy

    project_id = outbound.project_of(engine, config)
    decisions = outbound.decisions(engine, config)

    def record(decision: Any, action: str, detail: str = "") -> None:
        data_policy.record_decision(
            engine, actor=args.actor, project_id=project_id, decision=decision, action=action, detail=detail
        )

    if args.redact and any(d.findings for d in decisions.values()):
        for decision in decisions.values():
            if decision.findings:
                record(decision, data_policy.ACTION_REDACTED)
        return outbound.redacted(engine, config)
    for decision in decisions.values():
        if decision.blocked:
            record(decision, data_policy.ACTION_BLOCKED)
            hint = " Pass --redact to redact it." if decision.can_redact else ""
            raise PolicyBlocked(f"Blocked: {decision.reason}{hint}")
        if not decision.allowed:
            print(f"warning: {decision.reason}", file=sys.stderr)
            if decision.findings:
                record(decision, data_policy.ACTION_SENT_ANYWAY, "workbench eval without --redact")
    return config


def _run(args: argparse.Namespace, url: str) -> int:
    from workbench.evals import ci, matrix, naming
    from workbench.evals.snapshot import snapshot_config
    from workbench.store.engine import open_database

    engine = open_database(url)
    try:
        prompt = naming.find_prompt(engine, args.prompt, args.project)
        version_ids = naming.version_ids(engine, prompt, args.selectors)
        model_ids = naming.model_ids(engine, [n for value in args.models for n in value.split(",")])
        params = {
            k: v
            for k, v in (("temperature", args.temperature), ("max_tokens", args.max_tokens))
            if v is not None
        }
        config = snapshot_config(
            engine,
            prompt_id=id_of(prompt),
            version_ids=version_ids,
            model_ids=model_ids,
            params=params,
            judge=naming.judge_named(engine, args.judge) if args.judge else None,
            concurrency=args.concurrency,
            min_pass_rate=args.min_pass_rate,
        )
        check_keys(engine, config)
        config = apply_policy(engine, config, args)
        print(f"Running '{config.prompt_name}': {config.size}, {args.concurrency} at once…", flush=True)
        report = matrix.run_evaluation(engine, config, actor=args.actor, name="workbench eval")
        result = ci.gate(engine, report, args.min_pass_rate)
        print(ci.summary_text(result), flush=True)
        if args.junit:
            args.junit.write_bytes(ci.junit_xml(result))
        if args.json:
            import json

            args.json.write_text(
                json.dumps(ci.as_json(result), indent=2, ensure_ascii=False), encoding="utf-8"
            )
        if result.answered == 0:
            first = report.rows[0]["failures"] if report.rows else "no outputs"
            return fail(f"No call returned an answer, so nothing was tested: {first}")
        return EXIT_PASSED if result.passed else EXIT_BELOW
    finally:
        engine.dispose()
