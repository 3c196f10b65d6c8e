"""A small customer-service application: it answers "where is my order?" with the release of the
prompt that business users tuned and labelled in the workbench, and reports every answer and
what the customer thought of it back to the workbench, where the Monitor page shows them.

What it shows, in about twenty lines of application code (``serve`` below):

1. ``workbench.get_prompt(name, label=...)`` fetches the release: the version, its model and its
   settings. Moving or rolling back the label in the workbench changes what the next run gets,
   without touching this code.
2. ``prompt.complete(**variables)`` calls the release's model through the workbench (the
   project's data policy, retries, latency, tokens and cost), and reports the answer.
3. ``workbench.record_feedback(answer.id, thumbs=..., comment=...)`` reports the customer's
   reaction later, by the answer's id.
4. ``workbench.flush()`` waits until everything is written (or kept in the local spool, should
   the database be down; reporting never raises into the application).

Try it against the local fake server, no keys needed (from the project's root)::

    make fake                                   # terminal 1: the fake OpenAI/Anthropic server
    .venv/bin/python -m workbench migrate       # once: creates and seeds ./data/workbench.db
    .venv/bin/python examples/late_order_app.py --model "Local fake server/fake-large"

The demo's labels leave the model to the caller, hence ``--model``; once a label names a model
(Versions page: Move a label), the option is not needed. ``--database`` or
``WORKBENCH_DATABASE_URL`` choose another database.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import workbench
from workbench.errors import WorkbenchError
from workbench.monitor.app_prompt import AppPrompt

ORDERS = [
    {
        "order_id": "10231",
        "order_date": "May 1, 2023",
        "status": "being processed",
        "expected_delivery": "May 10, 2023",
    },
    {
        "order_id": "10488",
        "order_date": "May 3, 2023",
        "status": "shipped",
        "expected_delivery": "May 8, 2023",
    },
    {
        "order_id": "10502",
        "order_date": "May 4, 2023",
        "status": "held at customs",
        "expected_delivery": "May 15, 2023",
    },
    {
        "order_id": "10617",
        "order_date": "May 6, 2023",
        "status": "waiting for stock",
        "expected_delivery": "May 20, 2023",
    },
    {
        "order_id": "10733",
        "order_date": "May 7, 2023",
        "status": "out for delivery",
        "expected_delivery": "May 9, 2023",
    },
]
HELPFUL = ("delivery", "next step", "status")


def customer_reaction(answer: str, rng: random.Random) -> tuple[str, str | None]:
    """A stand-in for the customer: pleased when the reply speaks of the delivery and a next
    step, not with a generic one; and, like people, not always consistent."""
    helpful = any(word in answer.lower() for word in HELPFUL)
    if rng.random() < 0.15:
        helpful = not helpful
    if helpful:
        return "up", None
    return "down", "That does not tell me when my order arrives."


def serve(prompt: AppPrompt, orders: list[dict[str, str]], rng: random.Random, database: str | None) -> int:
    """Answer each order and report the customer's reaction; returns how many were answered."""
    answered = 0
    for order in orders:
        try:
            answer = prompt.complete(**order)
        except WorkbenchError as exc:  # the call failed; it is reported as an error all the same
            print(f"order {order['order_id']}: no answer ({exc})")
            continue
        answered += 1
        thumbs, comment = customer_reaction(answer.text, rng)
        workbench.record_feedback(answer.id, thumbs=thumbs, comment=comment, database_url=database)
        print(f"order {order['order_id']}: {answer.latency_ms or 0:,.0f} ms, {thumbs}: {answer.text[:70]}")
    return answered


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompt", default="Late order reply", help="the prompt's name in the workbench")
    parser.add_argument("--label", default="production", help="the label to serve (default: production)")
    parser.add_argument("--model", help="ENDPOINT/MODEL, when the release leaves the model to the caller")
    parser.add_argument("--requests", type=int, default=20, help="how many customer questions to answer")
    parser.add_argument("--database", help="database URL (default: WORKBENCH_DATABASE_URL or ./data)")
    parser.add_argument("--seed", type=int, default=3, help="seed of the customers' moods")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        prompt = workbench.get_prompt(
            args.prompt, label=args.label, database_url=args.database, source="late-order-example"
        )
        if prompt.model is None:
            if not args.model:
                print(
                    f"'{args.label}' leaves the model to the caller: pass --model ENDPOINT/MODEL.",
                    file=sys.stderr,
                )
                return 2
            prompt = prompt.with_model(args.model)
    except WorkbenchError as exc:
        print(f"Cannot serve: {exc}", file=sys.stderr)
        return 2
    model = prompt.model.label if prompt.model else ""
    print(f"Serving '{prompt.name}' {args.label}: v{prompt.version} on {model} ({prompt.settings.summary()})")
    orders = [ORDERS[n % len(ORDERS)] for n in range(args.requests)]
    answered = serve(prompt, orders, random.Random(args.seed), args.database)
    report = workbench.flush(30)
    waiting = f", {report.spooled} waiting in the local spool" if report.spooled else ""
    print(f"{answered} of {len(orders)} answered; {report.written} reports written{waiting}.")
    return 0 if answered else 1


if __name__ == "__main__":
    sys.exit(main())
