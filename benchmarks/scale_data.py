"""A large library for the scale benchmarks: 10,000 versions and 200,000 rated outputs.

Rows go in with bulk inserts (SQLAlchemy Core ``executemany``), not through the app's write
functions, so seeding takes seconds rather than hours; the shape follows what the app writes:
projects with prompts, immutable versions with labels, test cases, compare runs and bench
evaluations with assertion results, ratings (some outputs rated twice) with tags.

Shared by ``library_scale.py`` and ``export_scale.py``; run either from the repository root.
(The machine's load is printed by ``summary.machine_load``.)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import Engine, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.models.settings import CallSettings
from workbench.prompts.releases import fingerprint
from workbench.store.engine import open_database
from workbench.store.release_tables import Release
from workbench.store.tables import (
    AssertionResult,
    Endpoint,
    Evaluation,
    Label,
    LabelMove,
    ModelEntry,
    Output,
    Project,
    Prompt,
    PromptVersion,
    Rating,
    RatingTag,
    Run,
    TestCase,
)

NO_SETTINGS = CallSettings().to_dict()  # what a version with no saved settings calls with

PROJECTS = 10
PROMPTS_PER_PROJECT = 100
VERSIONS_PER_PROMPT = 10  # 10 x 100 x 10 = 10,000 versions
RUNS_PER_VERSION = 2
OUTPUTS_PER_RUN = 10  # 10,000 x 2 x 10 = 200,000 outputs, every one rated
SECOND_RATER_SHARE = 0.1
TAGS = ("accurate", "hallucination", "wrong tone", "too long", "too short", "great example")
MODELS = [("OpenAI", "gpt-4o-mini"), ("OpenAI", "gpt-4o"), ("Local", "fake-large"), ("Local", "fake-small")]
START = datetime(2026, 5, 1, tzinfo=UTC)
BATCH = 5000


def _defaults(model: Any) -> dict[str, Any]:
    """Every column's default, as the model would fill it (Core inserts skip model defaults)."""
    values = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            values[name] = info.default_factory()
        elif info.default is not PydanticUndefined:
            values[name] = info.default
    return values


def _batches(conn: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    defaults = _defaults(model)
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(model.__table__), [{**defaults, **row} for row in rows[start : start + BATCH]])


def seed(engine: Engine, seed: int = 7) -> dict[str, int]:
    """Fill an empty, migrated database; returns row counts per table."""
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with engine.begin() as conn:

        def put(model: Any, rows: list[dict[str, Any]]) -> None:
            _batches(conn, model, rows)
            counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)

        put(
            Endpoint,
            [
                {"id": 1, "name": "OpenAI", "provider": "openai", "api_key_env": "OPENAI_API_KEY"},
                {
                    "id": 2,
                    "name": "Local",
                    "provider": "openai_compatible",
                    "base_url": "http://127.0.0.1:8787/v1",
                },
            ],
        )
        put(
            ModelEntry,
            [
                {"id": i, "endpoint_id": 1 if e == "OpenAI" else 2, "model": m, "display_name": m}
                for i, (e, m) in enumerate(MODELS, start=1)
            ],
        )
        put(
            Project,
            [
                {"id": p, "name": f"Project {p:02d}", "description": f"Use case {p}"}
                for p in range(1, PROJECTS + 1)
            ],
        )
        prompts, versions, labels, moves, cases, releases = [], [], [], [], [], []
        runs, outputs, ratings, tags, evaluations, results = [], [], [], [], [], []
        prompt_id = version_id = run_id = output_id = rating_id = label_id = case_id = result_id = 0
        for project in range(1, PROJECTS + 1):
            for n in range(PROMPTS_PER_PROJECT):
                prompt_id += 1
                topic = f"topic {prompt_id}"
                created = START + timedelta(hours=prompt_id % 2000)
                prompts.append(
                    {
                        "id": prompt_id,
                        "project_id": project,
                        "name": f"Prompt {prompt_id:04d} about {topic}",
                        "description": f"Answers questions on {topic} for team {n % 7}.",
                        "created_by": "bench",
                        "created_at": created,
                    }
                )
                first_case = case_id + 1
                for c in range(5):
                    case_id += 1
                    cases.append(
                        {
                            "id": case_id,
                            "prompt_id": prompt_id,
                            "position": c,
                            "name": f"case {c}",
                            "variables": {"question": f"Question {c} on {topic}?"},
                            "expected": f"Answer {c}",
                            "assertions": [
                                {"type": "contains", "value": "Answer"},
                                {"type": "length", "max": 80},
                            ],
                        }
                    )
                evaluation_id = prompt_id
                passed_share = rng.random()
                evaluations.append(
                    {
                        "id": evaluation_id,
                        "project_id": project,
                        "prompt_id": prompt_id,
                        "name": "nightly",
                        "status": "done",
                        # what an evaluation stores of what it ran (no versions, models or cases
                        # snapshotted here: the library and history read only the summary)
                        "config": {
                            "prompt_id": prompt_id,
                            "prompt_name": "nightly",
                            "versions": [],
                            "models": [],
                            "cases": [],
                        },
                        "summary": {"pass_rate": round(passed_share, 4)},
                        "created_at": created + timedelta(days=30),
                    }
                )
                ids = []
                for number in range(1, VERSIONS_PER_PROMPT + 1):
                    version_id += 1
                    ids.append(version_id)
                    at = created + timedelta(days=number * 3, minutes=version_id % 60)
                    versions.append(
                        {
                            "id": version_id,
                            "prompt_id": prompt_id,
                            "number": number,
                            "system_template": f"You answer questions about {topic}. Revision {number}: be brief and kind.",
                            "user_template": "Question: {{ question }}\nAnswer in at most 80 words, citing the handbook.",
                            "params": {"temperature": 0.2, "max_tokens": 300},
                            "sample_variables": {"question": f"What about {topic}?"},
                            "change_note": f"revision {number}",
                            "author": f"author{number % 5}",
                            "parent_id": version_id - 1 if number > 1 else None,
                            "created_at": at,
                        }
                    )
                    for r in range(RUNS_PER_VERSION):
                        run_id += 1
                        is_eval = number == VERSIONS_PER_PROMPT and r == 0
                        run_at = at + timedelta(hours=r + 1)
                        runs.append(
                            {
                                "id": run_id,
                                "project_id": project,
                                "prompt_version_id": version_id,
                                "evaluation_id": evaluation_id if is_eval else None,
                                "kind": "eval" if is_eval else "compare",
                                "status": "done",
                                "created_by": "bench",
                                "created_at": run_at,
                            }
                        )
                        for row in range(OUTPUTS_PER_RUN):
                            output_id += 1
                            endpoint, model = MODELS[(row + r) % len(MODELS)]
                            question = f"Question {row % 5} on {topic}?"
                            text = (
                                f"Answer {row % 5}: for {topic}, the handbook says item {output_id % 97} applies. "
                                "Ask your manager if unsure; the policy was updated this year. "
                                * (1 + row % 3)
                            )
                            outputs.append(
                                {
                                    "id": output_id,
                                    "run_id": run_id,
                                    "prompt_version_id": version_id,
                                    "model_id": MODELS.index((endpoint, model)) + 1,
                                    "test_case_id": first_case + row % 5 if is_eval else None,
                                    "row_index": row,
                                    "endpoint_name": endpoint,
                                    "provider": "openai" if endpoint == "OpenAI" else "openai_compatible",
                                    "model_name": model,
                                    "variables": {"question": question},
                                    "messages": [
                                        {"role": "system", "content": f"You answer questions about {topic}."},
                                        {"role": "user", "content": f"Question: {question}"},
                                    ],
                                    "params": {"temperature": 0.2},
                                    "text": text,
                                    "status": "ok",
                                    "latency_ms": round(rng.lognormvariate(6.5, 0.5), 1),
                                    "tokens_in": 60 + row,
                                    "tokens_out": 40 + row * 3,
                                    "cost_usd": round(rng.uniform(0.0001, 0.004), 6),
                                    "finish_reason": "stop",
                                    "created_at": run_at,
                                }
                            )
                            raters = (
                                ["ana", "ben"] if rng.random() < SECOND_RATER_SHARE else [f"rater{row % 4}"]
                            )
                            for rater in raters:
                                rating_id += 1
                                score = float(min(5, max(1, round(rng.gauss(2.5 + number / 4, 1)))))
                                ratings.append(
                                    {
                                        "id": rating_id,
                                        "output_id": output_id,
                                        "rater": rater,
                                        "kind": "stars",
                                        "value": int(score),
                                        "score": score,
                                        "comment": "too vague" if score <= 2 else "",
                                        "created_at": run_at + timedelta(hours=2),
                                        "updated_at": run_at + timedelta(hours=2),
                                    }
                                )
                                if rng.random() < 0.25:
                                    tags.append({"rating_id": rating_id, "tag": TAGS[rating_id % len(TAGS)]})
                            if is_eval:
                                for index in range(2):
                                    result_id += 1
                                    results.append(
                                        {
                                            "id": result_id,
                                            "evaluation_id": evaluation_id,
                                            "output_id": output_id,
                                            "test_case_id": first_case + row % 5,
                                            "assertion_index": index,
                                            "assertion_type": ("contains", "length")[index],
                                            "assertion": {"type": ("contains", "length")[index]},
                                            "passed": rng.random() < passed_share,
                                            "score": None,
                                            "reason": "",
                                        }
                                    )
                for name, target in (("production", ids[-3]), ("staging", ids[-1])):
                    label_id += 1  # one release per label here (the version, no model: the caller chooses)
                    releases.append(
                        {
                            "id": label_id,
                            "prompt_id": prompt_id,
                            "version_id": target,
                            "settings": NO_SETTINGS,
                            "fingerprint": fingerprint(target, None, None, NO_SETTINGS),
                        }
                    )
                    labels.append(
                        {
                            "id": label_id,
                            "prompt_id": prompt_id,
                            "name": name,
                            "version_id": target,
                            "release_id": label_id,
                        }
                    )
                    moves.append(
                        {
                            "label_id": label_id,
                            "to_version_id": target,
                            "to_release_id": label_id,
                            "kind": "set",
                            "moved_by": "bench",
                        }
                    )
        put(Prompt, prompts)
        put(PromptVersion, versions)
        put(Release, releases)
        put(Label, labels)
        put(LabelMove, moves)
        put(TestCase, cases)
        put(Evaluation, evaluations)
        put(Run, runs)
        put(Output, outputs)
        put(Rating, ratings)
        put(RatingTag, tags)
        put(AssertionResult, results)
    return counts


@contextmanager
def scale_database() -> Iterator[tuple[Engine, dict[str, int], float]]:
    """A temp SQLite file holding the large library: (engine, row counts, seconds to seed)."""
    with tempfile.TemporaryDirectory(prefix="wb-scale-") as folder:
        engine = open_database(f"sqlite:///{Path(folder) / 'scale.db'}")
        started = time.perf_counter()
        counts = seed(engine)
        seconds = time.perf_counter() - started
        try:
            yield engine, counts, seconds
        finally:
            engine.dispose()


def report_seed(counts: dict[str, int], seconds: float) -> None:
    print(
        f"Seeded {counts['prompt_version']:,} versions, {counts['output']:,} outputs, "
        f"{counts['rating']:,} ratings, {counts.get('assertion_result', 0):,} assertion results "
        f"in {seconds:.1f} s (temp SQLite file)."
    )
