"""Demo answers, ratings and votes, so a newcomer's Review, Leaderboard and Feedback pages have
something to show before anyone has run a prompt.

The answers were produced once by the offline fake models (``scripts/make_demo_feedback.py``)
and are stored as plain data in ``data/demo_feedback.json``; two demo raters' ratings and
pairwise votes come with them. ``store_outputs`` is also how tests and imports put finished
answers in the database without calling a model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from workbench.errors import NotFound
from workbench.judging import pairwise, ratings
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import AppSetting, Output, Prompt, PromptVersion, Run, TestCase, utcnow

SEEDED_FLAG = "demo_feedback_seeded"
OUTPUT_FIELDS = (
    "row_index",
    "variables",
    "messages",
    "params",
    "text",
    "status",
    "error_kind",
    "error_message",
    "latency_ms",
    "ttft_ms",
    "tokens_in",
    "tokens_out",
    "cost_usd",
    "finish_reason",
    "test_case_id",
    "model_id",
    "endpoint_name",
    "provider",
    "model_name",
)


def store_outputs(
    session: Session,
    *,
    version_id: int,
    outputs: Sequence[dict[str, Any]],
    actor: str,
    kind: str = "compare",
) -> tuple[int, list[int]]:
    """Store finished answers of one version as a completed run, in the caller's transaction;
    returns (run id, output ids).

    Each dict holds ``Output`` fields (``text``, ``model_name``, ``variables``, ``row_index``...).
    """
    version = fetch(session, PromptVersion, version_id)
    prompt = fetch(session, Prompt, version.prompt_id, missing=f"Version {version_id} does not exist.")
    run = Run(
        project_id=prompt.project_id,
        prompt_version_id=version_id,
        kind=kind,
        status="done",
        created_by=actor,
        finished_at=utcnow(),
    )
    session.add(run)
    session.flush()
    rows = [
        Output(
            run_id=id_of(run),
            prompt_version_id=version_id,
            **{k: v for k, v in spec.items() if k in OUTPUT_FIELDS},
        )
        for spec in outputs
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="run.import",
        entity_type="run",
        entity_id=run.id,
        project_id=prompt.project_id,
        after={"version_id": version_id, "outputs": len(rows)},
    )
    return id_of(run), [id_of(r) for r in rows]


def demo_feedback_data() -> dict[str, Any]:
    text = resources.files("workbench").joinpath("data/demo_feedback.json").read_text(encoding="utf-8")
    return json.loads(text)


def _version_ids(engine: Engine, project: str, prompt: str) -> tuple[dict[int, int], dict[str, int]]:
    found = project_records.find_project(engine, project)
    if found is None:
        raise NotFound(f"Demo project '{project}' is missing.")
    with session_scope(engine) as session:
        row = session.exec(select(Prompt).where(Prompt.project_id == found.id, Prompt.name == prompt)).first()
        if row is None:
            raise NotFound(f"Demo prompt '{prompt}' is missing.")
        numbers = dict(
            session.exec(
                select(PromptVersion.number, PromptVersion.id).where(PromptVersion.prompt_id == row.id)
            ).all()
        )
        cases = dict(
            session.exec(select(TestCase.name, TestCase.id).where(TestCase.prompt_id == row.id)).all()
        )
    return numbers, cases  # type: ignore[return-value]


def seed_demo_feedback(engine: Engine) -> bool:
    """Store the demo answers, ratings and votes once; True when it stored them now. Part of the
    seeder (an edge): it opens the transactions, one per run of answers; ratings and votes keep
    their own (see ``judging.ratings``)."""
    with session_scope(engine) as session:
        if session.get(AppSetting, SEEDED_FLAG) is not None:
            return False
    data = demo_feedback_data()
    ids: dict[tuple[int, str, str], int] = {}  # (version number, model, test case) -> output id
    for run in data["runs"]:
        numbers, cases = _version_ids(engine, run["project"], run["prompt"])
        endpoint = endpoints.find_endpoint(engine, run["endpoint"])
        models = {m.model: m.id for m in endpoints.list_models(engine, endpoint.id)} if endpoint else {}
        specs = [
            {
                **{k: v for k, v in out.items() if k in OUTPUT_FIELDS},
                "endpoint_name": run["endpoint"],
                "provider": run["provider"],
                "model_name": out["model"],
                "model_id": models.get(out["model"]),
                "test_case_id": cases.get(out["test_case"]),
                "params": run["params"],
            }
            for out in run["outputs"]
        ]
        with session_scope(engine) as session:
            _, output_ids = store_outputs(
                session, version_id=numbers[run["version"]], outputs=specs, actor="demo"
            )
        for out, output_id in zip(run["outputs"], output_ids, strict=True):
            ids[(run["version"], out["model"], out["test_case"])] = output_id

    def output(ref: dict[str, Any]) -> int:
        return ids[(ref["version"], ref["model"], ref["test_case"])]

    for r in data["ratings"]:
        ratings.rate_output(
            engine,
            output_id=output(r),
            rater=r["rater"],
            kind=r["kind"],
            value=r["value"],
            comment=r.get("comment", ""),
            tags=r.get("tags", []),
            blind=r.get("blind", False),
        )
    for v in data["votes"]:
        pairwise.record_preference(
            engine,
            output_a_id=output(v["a"]),
            output_b_id=output(v["b"]),
            choice=v["choice"],
            rater=v["rater"],
        )
    with session_scope(engine) as session:
        if session.get(AppSetting, SEEDED_FLAG) is None:
            session.add(AppSetting(key=SEEDED_FLAG, value=True, updated_by="system"))
    return True
