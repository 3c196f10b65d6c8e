"""Evaluation, answer and rating rows for KPI tests (the bench and ratings code is built
elsewhere; these insert the rows those modules will write, with known figures)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, delete, select

from workbench.evals.snapshot import EvaluationConfig
from workbench.store.engine import session_scope
from workbench.store.liveness import process_token
from workbench.store.tables import AssertionResult, Evaluation, Output, Prompt, Rating, RatingTag, Run, utcnow


def add_bench_results(engine: Engine, project_id: int) -> None:
    """A compare run (expensive, must be ignored once an evaluation exists), an old and a latest
    evaluation, a running one (ignored), answers with assertions, and ratings. The project's
    earlier ratings (the demo's) are removed first, so the rating figures are exactly these."""
    now = utcnow()
    with session_scope(engine) as s:
        earlier = (
            select(Rating.id).join(Output, Output.id == Rating.output_id).join(Run, Run.id == Output.run_id)
        )
        earlier = earlier.where(Run.project_id == project_id)
        s.execute(delete(RatingTag).where(RatingTag.rating_id.in_(earlier)))
        s.execute(delete(Rating).where(Rating.id.in_(earlier)))
        prompt = Prompt(project_id=project_id, name="Bench test data")
        s.add(prompt)
        s.flush()
        compare = Run(project_id=project_id, kind="compare")
        s.add(compare)
        s.flush()
        rated = Output(run_id=compare.id, status="ok", cost_usd=1.0, latency_ms=9000, created_at=now)
        rated2 = Output(run_id=compare.id, status="ok", cost_usd=1.0, latency_ms=9000, created_at=now)
        s.add_all([rated, rated2])
        s.flush()
        s.add_all(
            [
                Rating(output_id=rated.id, rater="a", kind="stars", value=5, score=5.0),
                Rating(output_id=rated.id, rater="b", kind="thumbs", value=0, score=1.0),
                Rating(output_id=rated2.id, rater="a", kind="thumbs", value=1, score=5.0),
            ]
        )
        for name, age, status, outcomes in [
            ("old", 2, "done", [[False], [False]]),
            ("latest", 1, "done", [[True, True], [True, False], [True], "error"]),
            ("in progress", 0, "running", [[False]]),
        ]:
            ev = Evaluation(
                project_id=project_id,
                prompt_id=prompt.id,
                name=name,
                status=status,
                created_at=now - timedelta(hours=age),
                config=EvaluationConfig(
                    prompt_id=prompt.id, prompt_name=prompt.name, versions=(), models=(), cases=()
                ).to_json(),
                owner=process_token(),  # the running one is this process's: not interrupted
            )
            s.add(ev)
            s.flush()
            run = Run(project_id=project_id, kind="eval", evaluation_id=ev.id)
            s.add(run)
            s.flush()
            for i, outcome in enumerate(outcomes):
                failed = outcome == "error"
                out = Output(
                    run_id=run.id,
                    status="error" if failed else "ok",
                    cost_usd=None if failed else 0.001,
                    latency_ms=None if failed else 100.0 * (i + 1),
                )
                s.add(out)
                s.flush()
                for j, passed in enumerate([] if failed else outcome):
                    s.add(
                        AssertionResult(
                            evaluation_id=ev.id,
                            output_id=out.id,
                            assertion_index=j,
                            assertion_type="contains",
                            passed=passed,
                        )
                    )
