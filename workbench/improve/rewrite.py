"""Improve with a model: a chosen model rewrites the prompt, told what the checklist found and
what raters said about the prompt's outputs.

The model answers in three tagged parts (<system_template>, <user_template>, <change_note>),
which are parsed and checked as templates before anyone sees them. Nothing is written here: the
Draft page shows the proposal as a diff, and only "Accept" saves it (through ``drafts``), so a
discarded or unreadable answer leaves no trace in the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.errors import BadResponse, InvalidInput, TemplateError
from workbench.governance import data_policy
from workbench.judging import feedback
from workbench.models.endpoints import model_label, target_of_model
from workbench.models.gateway import CallRequest, Gateway, ModelTarget
from workbench.models.providers.interface import EndpointConfig, KeyLookup
from workbench.models.providers.registry import env_lookup
from workbench.models.settings import CallSettings
from workbench.projects import project_records
from workbench.prompts import checklist
from workbench.prompts.templates import Message, PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import Endpoint, ModelEntry

LOW_SCORE = 2.5  # scores are normalised to 1-5; thumbs down is 1
MAX_ITEMS = 6
MAX_OUTPUT_CHARS = 600

INSTRUCTIONS = """You are an expert prompt engineer. You help business users improve prompts for large language models.
You receive a prompt (a system message and a user message, written as Jinja templates), the findings of an automatic checklist, and, when there are any, ratings and comments from people who reviewed the prompt's outputs.
Rewrite the prompt so it fixes the findings and the reviewers' complaints. Keep the task and keep every {{ variable }} placeholder; add a new placeholder only when the prompt needs facts it does not have. Placeholders use two braces on each side.
Answer with exactly these three parts and nothing else:
<system_template>
the new system message
</system_template>
<user_template>
the new user message
</user_template>
<change_note>one line saying what you changed and why</change_note>"""


@dataclass(frozen=True)
class RatedOutput:
    version: int
    score: float
    comment: str
    tags: tuple[str, ...]
    output: str


@dataclass(frozen=True)
class Feedback:
    """What raters said about a prompt's outputs (all versions), newest first."""

    ratings: int = 0
    average: float | None = None
    comments: list[RatedOutput] = field(default_factory=list)
    low_rated: list[RatedOutput] = field(default_factory=list)


@dataclass(frozen=True)
class Proposal:
    system: str
    user: str
    change_note: str
    model: str
    added_variables: tuple[str, ...] = ()
    dropped_variables: tuple[str, ...] = ()


def collect_feedback(engine: Engine, prompt_id: int, version_id: int | None = None) -> Feedback:
    """Ratings, comments and low-rated outputs of every version of ``prompt_id`` (or of one
    version, for the optimizer, which improves that version).

    Read through ``workbench.judging.feedback`` (the one place ratings are aggregated): comments and tags
    newest first, and the answers averaging ``LOW_SCORE`` or less, worst first.
    """
    frame = feedback.ratings_frame(engine, prompt_id=prompt_id, version_id=version_id)
    if frame.empty:
        return Feedback()
    newest = frame.sort_values(["updated_at", "rating_id"], ascending=False)
    commented = newest[(newest["comment"].str.strip() != "") | (newest["tags"].str.len() > 0)]
    comments = [
        RatedOutput(
            version=int(row.version_number),
            score=float(row.score),
            comment=str(row.comment).strip(),
            tags=tuple(row.tags),
            output=str(row.text or "")[:MAX_OUTPUT_CHARS],
        )
        for row in commented.head(MAX_ITEMS).itertuples(index=False)
    ]
    low = [
        RatedOutput(
            version=item.version_number,
            score=round(item.mean_score, 2),
            comment=" / ".join(item.comments),
            tags=item.tags,
            output=(item.text or "")[:MAX_OUTPUT_CHARS],
        )
        for item in feedback.low_rated_in(frame, max_score=LOW_SCORE, limit=MAX_ITEMS)
    ]
    return Feedback(
        ratings=len(frame),
        average=round(float(frame["score"].mean()), 2),
        comments=comments,
        low_rated=low,
    )


def feedback_text(feedback: Feedback, *, reasons: bool = False) -> str:
    """The feedback as the model reads it; ``reasons`` adds each low-rated answer's tags and
    comments (the optimizer shows them next to the answer they judge)."""
    if not feedback.ratings:
        return "No ratings yet."
    lines = [f"{feedback.ratings} ratings, average {feedback.average} out of 5."]
    if feedback.comments:
        lines.append("Reviewers' comments:")
        for item in feedback.comments:
            tags = f" [{', '.join(item.tags)}]" if item.tags else ""
            lines.append(
                f"- version {item.version}, {item.score:g}/5{tags}: {item.comment or '(no comment)'}"
            )
    if feedback.low_rated:
        lines.append("Low-rated outputs:")
        for item in feedback.low_rated:
            why = ""
            if reasons and (item.tags or item.comment):
                tags = f" [{', '.join(item.tags)}]" if item.tags else ""
                why = f"{tags} {item.comment}".rstrip() + " —"
            lines.append(f"- version {item.version}, {item.score:g}/5:{why} {item.output}")
    return "\n".join(lines)


def build_messages(
    system: str, user: str, findings: list[checklist.Finding], feedback: Feedback
) -> list[Message]:
    found = "\n".join(f"- {f.title}: {f.why} Fix: {f.fix}" for f in findings) or "No findings."
    request = (
        "Please improve this prompt.\n\n"
        f"<system_template>\n{system}\n</system_template>\n"
        f"<user_template>\n{user}\n</user_template>\n\n"
        f"<checklist>\n{found}\n</checklist>\n\n"
        f"<feedback>\n{feedback_text(feedback)}\n</feedback>"
    )
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": request}]


def tagged(text: str, name: str) -> str | None:
    matches = re.findall(rf"<{name}>\s*(.*?)\s*</{name}>", text, re.S | re.I)
    if not matches:
        return None
    value = matches[-1]  # a model that repeats the instructions first answers last
    fenced = re.fullmatch(r"```[\w-]*\n(.*?)\n?```", value, re.S)
    return fenced.group(1) if fenced else value


def parse_proposal(text: str, *, current: PromptTemplate, model: str) -> Proposal:
    """The rewrite in ``text``; ``BadResponse`` when it has none, ``TemplateError`` when it
    does not parse as a template."""
    user = tagged(text, "user_template")
    if user is None or not user.strip():
        raise BadResponse(
            f"{model} did not answer with a rewritten prompt (its answer has no <user_template> part), "
            "so nothing was changed. Try again, or pick a more capable model."
        )
    system = tagged(text, "system_template")
    proposal = PromptTemplate(system=current.system if system is None else system, user=user)
    try:
        new_variables = proposal.variables()
    except TemplateError as exc:
        raise TemplateError(
            f"{model}'s rewrite is not a valid template ({exc.message}); nothing was changed. Try again.",
            line=exc.line,
            source=exc.source,
        ) from None
    try:
        old_variables = current.variables()
    except TemplateError:
        old_variables = []
    note = (tagged(text, "change_note") or "").strip() or f"Rewritten by {model}."
    return Proposal(
        system=proposal.system,
        user=proposal.user,
        change_note=" ".join(note.split()),
        model=model,
        added_variables=tuple(v for v in new_variables if v not in old_variables),
        dropped_variables=tuple(v for v in old_variables if v not in new_variables),
    )


def improver_models(engine: Engine, project_id: int | None = None) -> list[tuple[int, str]]:
    """(model id, label) of every enabled model that can rewrite prompts for the project:
    Echo only repeats its input, and the project's data policy may keep endpoints out."""
    project = project_records.get_project(engine, project_id) if project_id else None
    with session_scope(engine) as session:
        rows = session.exec(
            select(ModelEntry, Endpoint)
            .join(Endpoint, col(Endpoint.id) == ModelEntry.endpoint_id)
            .where(
                col(ModelEntry.enabled).is_(True),
                col(Endpoint.enabled).is_(True),
                Endpoint.provider != "echo",
            )
            .order_by(col(Endpoint.id), col(ModelEntry.model))
        )
        return [
            (id_of(entry), model_label(entry, endpoint))
            for entry, endpoint in rows
            if project is None or not data_policy.check_outbound(project, endpoint, []).blocked
        ]


# A rewrite should stay close to the draft (low variety) and has room for a whole prompt.
IMPROVE_CALL = CallSettings(temperature=0.2, max_tokens=2000)


@dataclass(frozen=True)
class ImproveRequest:
    """A rewrite request ready to send: the model, where it goes, and exactly what it says."""

    target: ModelTarget
    label: str  # "Endpoint · model", as people see it
    messages: list[Message]
    system: str  # the draft being improved
    user: str

    @property
    def endpoint(self) -> EndpointConfig:
        return self.target.endpoint

    @property
    def model(self) -> str:
        return self.target.model


def prepare_improvement(
    engine: Engine,
    *,
    model_id: int,
    system: str,
    user: str,
    values: Mapping[str, Any] | None = None,
    prompt_id: int | None = None,
) -> ImproveRequest:
    """What would be sent to ``model_id``: the draft, its checklist findings and its ratings.
    Nothing is sent or written; a page shows the data-policy check on ``messages`` first."""
    if not (system.strip() or user.strip()):
        raise InvalidInput("Write a prompt first: there is nothing to improve.")
    target, label = target_of_model(engine, model_id)
    findings = checklist.check(system, user, values)
    rated = collect_feedback(engine, prompt_id) if prompt_id else Feedback()
    return ImproveRequest(
        target=target,
        label=label,
        messages=build_messages(system, user, findings, rated),
        system=system,
        user=user,
    )


def send_improvement(
    engine: Engine,
    request: ImproveRequest,
    *,
    project_id: int | None = None,
    messages: Sequence[Message] | None = None,
    lookup: KeyLookup = env_lookup,
    actor: str = "",
) -> Proposal:
    """Send ``request`` (with ``messages`` instead of its own, e.g. redacted) through the
    gateway and parse the answer. The project's data policy is checked there whatever the caller
    checked before (``PolicyBlocked`` with the reason); the call is recorded with purpose
    ``improve``. No prompt or version is written."""
    to_send = tuple(dict(m) for m in (request.messages if messages is None else messages))
    call = CallRequest(
        request.target, to_send, IMPROVE_CALL, purpose="improve", project_id=project_id, actor=actor
    )
    result = Gateway(engine, lookup=lookup).call_sync(call)
    result.raise_for_failure()
    return parse_proposal(
        result.text, current=PromptTemplate(system=request.system, user=request.user), model=request.label
    )


def request_improvement(
    engine: Engine,
    *,
    model_id: int,
    system: str,
    user: str,
    values: Mapping[str, Any] | None = None,
    prompt_id: int | None = None,
    project_id: int | None = None,
    lookup: KeyLookup = env_lookup,
    actor: str = "",
) -> Proposal:
    """Ask the model for a rewrite of the draft and parse it (scripts; the Draft page prepares,
    checks the data policy with the person, then sends). Writes no prompt or version."""
    request = prepare_improvement(
        engine, model_id=model_id, system=system, user=user, values=values, prompt_id=prompt_id
    )
    return send_improvement(engine, request, project_id=project_id, lookup=lookup, actor=actor)
