"""Answers in use sent to Review, so reviewers rate them like any other answer.

An answer served in use becomes an ``Output`` of a ``Run`` of kind ``app``: one run per release
and per (UTC) day, so the Review page offers them under their prompt version, the ratings sit
with every other rating (Feedback, Insights, KPIs), and a well-rated one joins the fine-tuning
export like any rated answer. The output keeps what the answer was served with: the model, the
release's settings, the variables as stored (redacted in confidential and restricted projects)
and the messages rendered from them. Each answer is sent once; sending is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, or_
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, TemplateError
from workbench.prompts.templates import PromptTemplate
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.release_tables import Release, ServedAnswer
from workbench.store.tables import Endpoint, Output, Prompt, PromptVersion, Run, utcnow

RUN_KIND = "app"
CHOICES = {
    "all": "every answer not sent yet",
    "unhappy": "answers the end user gave a thumbs down or a score of 1 or 2",
    "commented": "answers with a comment from the end user",
    "no_feedback": "answers the end user said nothing about",
}


@dataclass(frozen=True)
class SentToReview:
    answers: int
    runs: int
    version_ids: tuple[int, ...]


def pick_for_review(
    engine: Engine,
    prompt_id: int,
    *,
    which: str = "all",
    release_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[int]:
    """Ids of served answers (newest first) that can go to Review: answered, not sent yet."""
    if which not in CHOICES:
        raise InvalidInput(f"Choose which answers: {', '.join(CHOICES)}.", field="which")
    query = select(ServedAnswer.id).where(
        ServedAnswer.prompt_id == prompt_id,
        ServedAnswer.status == "ok",
        ServedAnswer.text != "",
        col(ServedAnswer.output_id).is_(None),
    )
    if release_id is not None:
        query = query.where(ServedAnswer.release_id == release_id)
    if since is not None:
        query = query.where(col(ServedAnswer.served_at) >= since)
    if until is not None:
        query = query.where(col(ServedAnswer.served_at) < until)
    if which == "unhappy":
        query = query.where(or_(col(ServedAnswer.thumbs) == 0, col(ServedAnswer.score) <= 2))
    elif which == "commented":
        query = query.where(ServedAnswer.comment != "")
    elif which == "no_feedback":
        query = query.where(
            col(ServedAnswer.thumbs).is_(None), col(ServedAnswer.score).is_(None), ServedAnswer.comment == ""
        )
    query = query.order_by(col(ServedAnswer.served_at).desc(), col(ServedAnswer.id).desc()).limit(limit)
    with session_scope(engine) as session:
        return [int(i) for i in session.exec(query) if i is not None]


def _run_for(
    session: Session, answer: ServedAnswer, project_id: int, actor: str, made: dict[tuple, Run]
) -> Run:
    day = answer.served_at.strftime("%Y-%m-%d")
    key = (answer.version_id, answer.release_id, day)
    if key not in made:
        existing = [
            run
            for run in session.exec(
                select(Run).where(Run.kind == RUN_KIND, Run.prompt_version_id == answer.version_id)
            )
            if (run.settings or {}).get("release_id") == answer.release_id
            and (run.settings or {}).get("day") == day
        ]
        if existing:
            made[key] = existing[0]
        else:
            run = Run(
                project_id=project_id,
                prompt_version_id=answer.version_id,
                kind=RUN_KIND,
                status="done",
                settings={"release_id": answer.release_id, "day": day, "label": answer.label},
                created_by=actor,
                finished_at=utcnow(),
            )
            session.add(run)
            session.flush()
            made[key] = run
    return made[key]


def _messages(version: PromptVersion, variables: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        return [
            dict(m) for m in PromptTemplate(version.system_template, version.user_template).render(variables)
        ]
    except TemplateError:  # reported without every variable: the answer still reads on its own
        return []


def send_to_review(session: Session, served_ids: Sequence[int], *, actor: str) -> SentToReview:
    """Make each served answer (not sent before, answered) an output raters see on Review,
    inside the caller's transaction."""
    if not actor.strip():
        raise InvalidInput("Type your name in the sidebar, so the audit log shows who sent them.")
    rows = list(
        session.exec(
            select(ServedAnswer)
            .where(col(ServedAnswer.id).in_(list(served_ids)), col(ServedAnswer.output_id).is_(None))
            .where(ServedAnswer.status == "ok", ServedAnswer.text != "")
            .order_by(col(ServedAnswer.served_at), col(ServedAnswer.id))
        )
    )
    if not rows:
        raise InvalidInput("None of these answers can be sent: they were sent already, or failed.")
    prompt = fetch(session, Prompt, rows[0].prompt_id)
    providers = dict(session.exec(select(Endpoint.name, Endpoint.provider)).all())
    made: dict[tuple, Run] = {}
    for answer in rows:
        version = fetch(session, PromptVersion, answer.version_id)
        release = session.get(Release, answer.release_id) if answer.release_id else None
        run = _run_for(session, answer, prompt.project_id, actor.strip(), made)
        output = Output(
            run_id=id_of(run),
            prompt_version_id=answer.version_id,
            endpoint_name=answer.endpoint_name,
            provider=providers.get(answer.endpoint_name, ""),
            model_name=answer.model_name,
            variables=dict(answer.variables or {}),
            messages=_messages(version, dict(answer.variables or {})),
            params=dict(release.settings if release else version.params or {}),
            text=answer.text,
            latency_ms=answer.latency_ms,
            tokens_in=answer.tokens_in,
            tokens_out=answer.tokens_out,
            cost_usd=answer.cost_usd,
            created_at=answer.served_at,
        )
        session.add(output)
        session.flush()
        answer.output_id = output.id
        session.add(answer)
    audit.record(
        session,
        actor=actor.strip(),
        action="monitor.review",
        entity_type="prompt",
        entity_id=prompt.id,
        project_id=prompt.project_id,
        after={"answers": len(rows), "runs": sorted(id_of(r) for r in made.values())},
    )
    return SentToReview(len(rows), len(made), tuple(sorted({a.version_id for a in rows})))


def sent_count(engine: Engine, prompt_id: int) -> int:
    """How many of the prompt's answers in use were sent to Review."""
    with session_scope(engine) as session:
        return int(
            session.exec(
                select(func.count(col(ServedAnswer.id))).where(
                    ServedAnswer.prompt_id == prompt_id, col(ServedAnswer.output_id).is_not(None)
                )
            ).one()
        )
