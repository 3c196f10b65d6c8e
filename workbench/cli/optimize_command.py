"""``workbench optimize``: improve a prompt version on its bench, headless.

The same search as the "Improve on the bench" page (``workbench.improve.optimizer``): the same
plan and ceiling, the same data-policy check, the same storage, so the run also appears on the
page. Progress prints one line per step; Ctrl+C cancels and keeps what was tested. Only the
parser is built at import time; the heavy modules load when the command runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from workbench.cli.common import EXIT_NOT_RUN, add_database_option, default_actor, run_on_database
from workbench.cli.eval_command import positive, rate

EXIT_IMPROVED, EXIT_NONE_FOUND = 0, 1
POLL_S = 0.2

DESCRIPTION = """\
Improve a prompt version on its bench: a model proposes edits, each is tested on a training
share of the test cases, the best is confirmed on the held-out share, and only a version that
does better there is saved, labelled 'candidate' (production never moves). Exits with:

  0  a better version was found and saved
  1  the run finished (or was cancelled) without finding one; nothing was saved
  2  it could not run: bad arguments, unknown prompt, version, label or model, a ceiling below
     what the bench needs, a missing API key, or the project's data policy blocked the send

Models: ENDPOINT/MODEL (or ENDPOINT:MODEL) with the endpoint's name as in Settings and the model id, e.g.
"Local fake server/fake-large", or the bare model id when only one enabled endpoint lists it.
--budget is the most model calls the run may make; --dry-run prints the estimate and stops.
"""

EXAMPLE = """\
example:
  workbench optimize --prompt "HR policy answer" --version 1 \\
      --model "Local fake server/fake-large" --budget 100
"""


def _share(text: str) -> float:
    value = rate(text)
    if not 0.3 <= value <= 0.9:
        raise argparse.ArgumentTypeError(f"{text} is not between 0.3 and 0.9")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "optimize",
        help="improve a prompt version on its bench and save a better one labelled 'candidate'",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--prompt", required=True, help="the prompt's name")
    p.add_argument("--project", help="the project's name, when several projects have a prompt of that name")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--version", type=int, metavar="N", help="the version number to improve")
    which.add_argument(
        "--label", metavar="LABEL", help="the label of the version to improve, e.g. production"
    )
    p.add_argument("--model", required=True, metavar="MODEL", help="the model the prompt runs on (see above)")
    p.add_argument(
        "--budget", type=positive, required=True, metavar="CALLS", help="the most model calls to make"
    )
    p.add_argument("--proposer", metavar="MODEL", help="the model that proposes edits (default: --model)")
    p.add_argument(
        "--candidates", type=positive, default=4, metavar="N", help="candidates per round (1-8, default 4)"
    )
    p.add_argument(
        "--rounds", type=positive, default=3, metavar="N", help="rounds of proposals (1-6, default 3)"
    )
    p.add_argument(
        "--train-share",
        type=_share,
        default=0.7,
        metavar="SHARE",
        help="cases to learn from, 0.3-0.9 (default 0.7)",
    )
    p.add_argument("--seed", type=int, default=0, help="the split's seed (the same seed, the same split)")
    p.add_argument("--judge", metavar="MODEL", help="the judge model for llm_judge checks")
    p.add_argument("--concurrency", type=positive, default=4, metavar="N", help="calls at once (default 4)")
    p.add_argument(
        "--redact", action="store_true", help="redact personal data in the cases' values before sending"
    )
    p.add_argument("--dry-run", action="store_true", help="print the plan and its estimate, call nothing")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the run's figures as JSON here")
    add_database_option(p)
    p.add_argument(
        "--actor",
        default=os.environ.get("WORKBENCH_ACTOR") or default_actor(),
        help="who ran it, for the record",
    )
    p.set_defaults(func=cmd_optimize)


def cmd_optimize(args: argparse.Namespace) -> int:
    return run_on_database(args, _run)


def _plan(engine: Any, args: argparse.Namespace) -> Any:
    from workbench.evals import naming
    from workbench.improve.optimization_plan import SearchSettings, plan_optimization
    from workbench.prompts import versions

    prompt = naming.find_prompt(engine, args.prompt, args.project)
    assert prompt.id is not None
    selector = ("version", args.version) if args.version is not None else ("label", args.label)
    (version_id,) = naming.version_ids(engine, prompt, [selector])
    (model_id,) = naming.model_ids(engine, [args.model])
    proposer = naming.model_ids(engine, [args.proposer])[0] if args.proposer else None
    search = SearchSettings(
        per_round=args.candidates, rounds=args.rounds, train_share=args.train_share, seed=args.seed
    )
    plan = plan_optimization(
        engine,
        prompt_id=prompt.id,
        version_id=version_id,
        model_id=model_id,
        proposer_model_id=proposer,
        judge=naming.judge_named(engine, args.judge) if args.judge else None,
        search=search,
        concurrency=args.concurrency,
    )
    number = versions.get_version(engine, version_id).number
    return plan, number


def _describe(plan: Any, number: int, ceiling: int) -> None:
    from workbench.models.pricing import money

    estimate = plan.estimate
    usual, most = estimate.cost_within(ceiling)
    print(
        f"Improving '{plan.bench.prompt_name}' v{number} on {plan.model.label}; candidates from {plan.proposer.label}."
    )
    print(
        f"Bench: {len(plan.bench.cases)} cases, {len(plan.train)} to learn from and {len(plan.heldout)} held out "
        f"(seed {plan.search.seed})."
    )
    print(
        f"Estimate: up to {estimate.calls} calls ({plan.shape.breakdown()}), about {money(estimate.cost_usd)} "
        f"(at most {money(estimate.max_cost_usd)})."
    )
    print(f"Ceiling: {ceiling} calls, about {money(usual)} (at most {money(most)}).", flush=True)


def _follow(progress: Any) -> Any:
    """Print each finished step as it comes; Ctrl+C cancels (what was tested is kept)."""
    shown = 0
    try:
        while True:
            snap = progress.snapshot()
            for line in snap.log[shown:]:
                print(f"  {line}", flush=True)
            shown = len(snap.log)
            if snap.finished:
                return snap
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        print("  Cancelling: the answers in flight are stopped, what was tested is kept…", flush=True)
        progress.cancel()
        return _follow(progress)


def _run(args: argparse.Namespace, url: str) -> int:
    import json

    from workbench.cli.eval_command import apply_policy, check_keys
    from workbench.improve import optimizer
    from workbench.improve.optimization_report import report
    from workbench.models.pricing import money
    from workbench.store.engine import open_database

    engine = open_database(url)
    try:
        plan, number = _plan(engine, args)
        plan = plan.with_ceiling(args.budget)
        _describe(plan, number, plan.max_calls)
        if args.dry_run:
            return EXIT_IMPROVED
        check_keys(engine, plan.bench, also=(plan.proposer.endpoint,))
        plan = plan.with_bench(apply_policy(engine, plan.bench, args))
        _check_proposer_policy(engine, plan, args)
        progress = optimizer.start_optimization(engine, plan, actor=args.actor)
        _follow(progress)
        opened = report(engine, progress.optimization_id)
        run = opened.optimization
        print()
        print(opened.table_text())
        print(f"Calls: {run.calls_used} of {run.max_calls} allowed · cost {money(run.cost_usd)}")
        print(f"Run #{run.id}: {run.message}")
        if args.json:
            figures = {
                row.share: {
                    "cases": row.cases,
                    "before": {"pass_rate": row.before.pass_rate, "score": row.before.score},
                    "after": {"pass_rate": row.after.pass_rate, "score": row.after.score}
                    if row.after
                    else None,
                }
                for row in opened.shares()
            }
            data = {
                "optimization": run.id,
                "outcome": run.outcome,
                "message": run.message,
                "saved_version": opened.saved_number,
                "calls": run.calls_used,
                "max_calls": run.max_calls,
                "cost_usd": run.cost_usd,
                "shares": figures,
            }
            args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        if run.outcome == "failed":
            return EXIT_NOT_RUN
        return EXIT_IMPROVED if run.outcome == "improved" else EXIT_NONE_FOUND
    finally:
        engine.dispose()


def _check_proposer_policy(engine: Any, plan: Any, args: argparse.Namespace) -> None:
    """The proposer sees the prompt and the training cases: the project's policy decides too."""
    from workbench.errors import PolicyBlocked
    from workbench.evals.outbound import Destination, project_of
    from workbench.governance import data_policy
    from workbench.improve.optimization_plan import proposal_preview
    from workbench.projects import project_records

    project = project_records.get_project(engine, project_of(engine, plan.bench))
    target = Destination(plan.proposer.endpoint, plan.proposer.provider)
    decision = data_policy.check_outbound(project, target, [proposal_preview(plan)])
    if decision.blocked:
        data_policy.record_decision(
            engine,
            actor=args.actor,
            project_id=project.id,
            decision=decision,
            action=data_policy.ACTION_BLOCKED,
        )
        raise PolicyBlocked(f"Blocked: {decision.reason}")
    if not decision.allowed:
        print(f"warning: {decision.reason}", file=sys.stderr)
