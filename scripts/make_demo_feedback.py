"""Regenerate ``workbench/data/demo_feedback.json``: demo answers from the offline fake models,
with two demo raters' ratings and pairwise votes.

The answers come from the same code the fake server answers with (tests/fakes/replies.py), so
they are what a newcomer would get by running the HR prompt on the "Local fake server" models.
Run it from the repository root: ``.venv/bin/python scripts/make_demo_feedback.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.replies import answer, count_tokens  # noqa: E402
from workbench.models.pricing import cost_usd, default_price  # noqa: E402
from workbench.prompts.templates import PromptTemplate  # noqa: E402

PROJECT, PROMPT = "HR handbook assistant", "HR policy answer"
CASES = ("PTO days", "PTO carry-over", "Sick leave", "Parental leave")
MODELS = {"fake-large": 910.0, "fake-small": 420.0, "fake-lazy": 260.0}  # model -> latency (ms)

# (version, model) -> (Alex's stars, Sam's stars, tags, comment)
VERDICTS = {
    (1, "fake-large"): (2, 1, ["off-topic"], "Restates the question instead of answering it."),
    (1, "fake-small"): (2, 2, ["off-topic", "too short"], "No figure at all; it has no handbook to quote."),
    (1, "fake-lazy"): (1, 1, ["off-topic"], "Generic filler."),
    (2, "fake-large"): (4, 5, ["accurate", "too long"], "Right figure; the pleasantries add nothing."),
    (2, "fake-small"): (5, 5, ["accurate", "great example"], ""),
    (2, "fake-lazy"): (1, 2, ["off-topic"], "Does not answer."),
}
# Which (version, test case) each demo rater rated.
RATED = {
    "Alex (demo)": [(1, c) for c in CASES] + [(2, "PTO days"), (2, "PTO carry-over")],
    "Sam (demo)": [(1, "PTO days"), (1, "Sick leave"), (2, "PTO days"), (2, "PTO carry-over")],
}
VOTES = [
    ("Alex (demo)", (2, "fake-small", "PTO days"), (2, "fake-lazy", "PTO days"), "a"),
    ("Alex (demo)", (2, "fake-large", "PTO days"), (2, "fake-lazy", "PTO days"), "a"),
    ("Alex (demo)", (2, "fake-large", "PTO days"), (2, "fake-small", "PTO days"), "tie"),
    ("Sam (demo)", (2, "fake-small", "PTO carry-over"), (2, "fake-large", "PTO carry-over"), "a"),
    ("Sam (demo)", (2, "fake-lazy", "PTO carry-over"), (2, "fake-large", "PTO carry-over"), "b"),
    ("Alex (demo)", (2, "fake-small", "PTO days"), (1, "fake-small", "PTO days"), "a"),
    ("Alex (demo)", (1, "fake-large", "Sick leave"), (2, "fake-large", "Sick leave"), "b"),
    ("Sam (demo)", (1, "fake-lazy", "Sick leave"), (2, "fake-lazy", "Sick leave"), "both_bad"),
]


def _ref(version: int, model: str, case: str) -> dict[str, object]:
    return {"version": version, "model": model, "test_case": case}


def build() -> dict[str, object]:
    demo = json.loads((ROOT / "workbench/data/demo.json").read_text(encoding="utf-8"))
    project = next(p for p in demo["projects"] if p["name"] == PROJECT)
    prompt = next(p for p in project["prompts"] if p["name"] == PROMPT)
    cases = {c["name"]: c for c in prompt["test_cases"]}
    runs = []
    for number, version in enumerate(prompt["versions"], start=1):
        template = PromptTemplate(system=version["system"], user=version["user"])
        outputs = []
        for row, case in enumerate(CASES):
            messages = template.render(cases[case]["variables"])
            for model, latency in MODELS.items():
                text = answer(model, messages)
                tokens_in = sum(count_tokens(m["content"]) for m in messages)
                tokens_out = count_tokens(text)
                outputs.append(
                    {
                        "model": model,
                        "test_case": case,
                        "row_index": row,
                        "variables": cases[case]["variables"],
                        "messages": messages,
                        "text": text,
                        "status": "ok",
                        "finish_reason": "stop",
                        "latency_ms": latency,
                        "ttft_ms": round(latency / 4, 1),
                        "tokens_in": tokens_in,
                        "tokens_out": tokens_out,
                        # Priced like a live run, so the demo's cost figures are not all $0.
                        "cost_usd": round(cost_usd(tokens_in, tokens_out, *default_price(model)), 8),
                    }
                )
        runs.append(
            {
                "project": PROJECT,
                "prompt": PROMPT,
                "version": number,
                "endpoint": "Local fake server",
                "provider": "openai_compatible",
                "params": version.get("params", {}),
                "outputs": outputs,
            }
        )
    ratings = []
    for rater, rated in RATED.items():
        for number, case in rated:
            for model in MODELS:
                alex, sam, tags, comment = VERDICTS[(number, model)]
                mine = alex if rater.startswith("Alex") else sam
                ratings.append(
                    {
                        **_ref(number, model, case),
                        "rater": rater,
                        "kind": "stars",
                        "value": mine,
                        "tags": tags if rater.startswith("Alex") else tags[:1],
                        "comment": comment if rater.startswith("Alex") else "",
                    }
                )
    votes = [{"rater": r, "a": _ref(*a), "b": _ref(*b), "choice": c} for r, a, b, c in VOTES]
    return {
        "about": "Generated by scripts/make_demo_feedback.py from the offline fake models.",
        "runs": runs,
        "ratings": ratings,
        "votes": votes,
    }


if __name__ == "__main__":
    target = ROOT / "workbench/data/demo_feedback.json"
    target.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")
