"""Rows the ratings UI would create (outputs and ratings), for tests of what reads them."""

from __future__ import annotations

from sqlalchemy import Engine

from workbench.store.engine import session_scope
from workbench.store.tables import Output, Prompt, PromptVersion, Rating, RatingTag, Run


def rate_outputs(
    engine: Engine, version_id: int, ratings: list[tuple[float, str, tuple[str, ...], str]]
) -> None:
    """One output per ``(score 1-5, comment, tags, output text)``, each rated by its own rater."""
    with session_scope(engine) as session:
        version = session.get(PromptVersion, version_id)
        assert version is not None
        prompt = session.get(Prompt, version.prompt_id)
        assert prompt is not None
        run = Run(project_id=prompt.project_id, prompt_version_id=version_id, kind="compare", status="done")
        session.add(run)
        session.flush()
        for i, (score, comment, tags, text) in enumerate(ratings):
            output = Output(run_id=run.id, prompt_version_id=version_id, row_index=i, text=text)  # type: ignore[arg-type]
            session.add(output)
            session.flush()
            rating = Rating(
                output_id=output.id, rater=f"rater{i}", value=round(score), score=score, comment=comment
            )  # type: ignore[arg-type]
            session.add(rating)
            session.flush()
            for tag in tags:
                session.add(RatingTag(rating_id=rating.id, tag=tag))  # type: ignore[arg-type]
