"""The outbound-data policy: may these rendered messages go to this endpoint?

Every call that leaves the machine is checked first. The rules follow the project's data
sensitivity level (the source talk: a store of personal data "is radioactive; you've got to
lock that thing down and be able to produce results for an auditor"):

==============  =========================================================================
public          no checks: anything may go anywhere.
internal        personal data found -> **warn**: name what was found; the person may send
                as is or redact in one click. An endpoint outside a non-empty allowed list
                is named in the warning too.
confidential    the endpoint must be on the project's allowed list, else **blocked** (an
                empty list allows nothing that leaves the machine). On an allowed endpoint,
                personal data -> **warn**, as for internal.
restricted      the endpoint must be on the allowed list, else **blocked**; and personal data
                must be redacted before sending: found -> **blocked**, with redaction offered
                (the redacted request passes). Sending unredacted is never offered.
==============  =========================================================================

The offline ``echo`` provider never leaves the machine, so it is always allowed and never
checked. Decisions are pure functions of plain values; ``record_decision`` writes what a person
did about one (redacted, sent anyway, was blocked) to the audit log, with counts, never values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from sqlalchemy import Engine

from workbench.errors import PolicyBlocked
from workbench.governance import pii
from workbench.governance.pii import Finding, Message
from workbench.store import audit
from workbench.store.engine import session_scope

OFFLINE_PROVIDERS = frozenset({"echo"})
ALLOWED, WARN, BLOCKED = "allowed", "warn", "blocked"

# Audit actions written here (see workbench/store/audit.py for the full list).
ACTION_BLOCKED = "policy.blocked"
ACTION_REDACTED = "pii.redacted"
ACTION_SENT_ANYWAY = "pii.sent_unredacted"


class ProjectPolicy(Protocol):
    """What the policy reads from a project (a ``Project`` row satisfies it)."""

    name: str
    sensitivity: str
    allowed_providers: list[str]
    pii_names: list[str]


class Recipient(Protocol):
    """Where the request goes (an ``Endpoint`` row or an ``EndpointConfig`` satisfies it)."""

    # Read-only: a frozen ``EndpointConfig`` satisfies it as well as a row.
    @property
    def name(self) -> str: ...

    @property
    def provider(self) -> str: ...


class _Addressed(TypedDict):
    """Where a decision is about: the fields every ``Decision`` of one check shares."""

    endpoint: str
    sensitivity: str


@dataclass(frozen=True)
class Decision:
    """The verdict on one outbound request (or a batch of them to one endpoint).

    ``redacted`` holds the requests with personal data replaced (placeholders consistent
    across the whole batch) whenever something was found; ``can_redact`` says whether sending
    that redacted copy is allowed; ``can_send_as_is`` whether the original may go after a
    warning.
    """

    outcome: str
    reason: str
    endpoint: str
    sensitivity: str
    findings: list[Finding] = field(default_factory=list)
    redacted: list[list[Message]] | None = None
    can_redact: bool = False
    can_send_as_is: bool = True

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED

    @property
    def blocked(self) -> bool:
        return self.outcome == BLOCKED

    @property
    def found(self) -> dict[str, int]:
        """Distinct values per kind, e.g. {"e-mail address": 2}."""
        return pii.summarise(self.findings)

    def found_text(self) -> str:
        """ "2 e-mail addresses, 1 phone number" """
        return ", ".join(f"{n} {_plural(label, n)}" for label, n in self.found.items())


def _plural(label: str, n: int) -> str:
    if n == 1:
        return label
    return label + ("es" if label.endswith("ss") else "s")


def is_offline(target: Recipient) -> bool:
    return target.provider in OFFLINE_PROVIDERS


def _endpoint_listed(project: ProjectPolicy, target: Recipient) -> bool:
    return target.name in (project.allowed_providers or [])


def _not_listed_reason(project: ProjectPolicy, target: Recipient) -> str:
    level = project.sensitivity
    if not project.allowed_providers:
        return (
            f"'{project.name}' is {level} and allows no endpoint outside this machine. "
            "An admin can add endpoints under Data governance on the Project page; Echo always works."
        )
    return (
        f"'{project.name}' is {level}: '{target.name}' is not on its allowed endpoints "
        f"({', '.join(project.allowed_providers)}). Pick one of those, or ask an admin to add it."
    )


def check_outbound(
    project: ProjectPolicy, target: Recipient, requests: Sequence[Sequence[Message]]
) -> Decision:
    """Decide on ``requests`` (each a list of chat messages) going to ``target``."""
    level = project.sensitivity
    base = _Addressed(endpoint=target.name, sensitivity=level)
    if is_offline(target):
        return Decision(ALLOWED, f"{target.name} runs on this machine; nothing leaves it.", **base)
    if level == "public":
        return Decision(ALLOWED, "Public project: no data checks.", **base)
    listed = _endpoint_listed(project, target)
    if level in {"confidential", "restricted"} and not listed:
        return Decision(BLOCKED, _not_listed_reason(project, target), can_send_as_is=False, **base)

    names = list(project.pii_names or [])
    findings = [f for messages in requests for f in pii.scan_messages(messages, names)]
    notes = []
    if level == "internal" and project.allowed_providers and not listed:
        notes.append(f"'{target.name}' is not on this project's allowed endpoints.")
    if not findings:
        if notes:
            return Decision(WARN, " ".join(notes), **base)
        return Decision(ALLOWED, "No personal data found.", **base)

    redactor = redactor_for(project, requests)
    redacted = [redactor.messages(messages) for messages in requests]
    decision = Decision(WARN, "", findings=findings, redacted=redacted, can_redact=True, **base)
    found = decision.found_text()
    if level == "restricted":
        reason = (
            f"'{project.name}' is restricted: personal data must be redacted before it is sent "
            f"to {target.name}. Found {found}."
        )
        return Decision(
            BLOCKED,
            reason,
            findings=findings,
            redacted=redacted,
            can_redact=True,
            can_send_as_is=False,
            **base,
        )
    reason = f"Found {found} in what would be sent to {target.name}. " + " ".join(notes)
    return Decision(WARN, reason.strip(), findings=findings, redacted=redacted, can_redact=True, **base)


def redactor_for(project: ProjectPolicy, requests: Sequence[Sequence[Message]]) -> pii.Redactor:
    """The redactor ``check_outbound`` uses for these requests, holding the placeholders it gives
    them: values that go with the requests (a run's variables, stored with its answers) are
    redacted with it, so what is stored says ``[EMAIL_1]`` exactly where what was sent did."""
    redactor = pii.Redactor(names=list(project.pii_names or []))
    for messages in requests:
        redactor.messages(messages)
    return redactor


def check_messages(project: ProjectPolicy, target: Recipient, messages: Sequence[Message]) -> Decision:
    """``check_outbound`` for a single request."""
    return check_outbound(project, target, [messages])


def enforce(project: ProjectPolicy, target: Recipient, requests: Sequence[Sequence[Message]]) -> None:
    """Raise ``PolicyBlocked`` when the requests may not go; for core callers (the runner) as a
    last line of defence behind the UI's own check. Warnings do not raise."""
    decision = check_outbound(project, target, requests)
    if decision.blocked:
        raise PolicyBlocked(decision.reason)


def record_decision(
    engine: Engine, *, actor: str, project_id: int | None, decision: Decision, action: str, detail: str = ""
) -> None:
    """Audit what happened to a checked request: kinds and counts only, never the values.

    It owns its transaction on purpose: a blocked send is recorded although the action it
    belonged to is refused (and whatever transaction that action had is rolled back), and the
    runner records decisions from its own threads."""
    with session_scope(engine) as session:
        audit.record(
            session,
            actor=actor,
            action=action,
            entity_type="endpoint",
            entity_id=decision.endpoint,
            project_id=project_id,
            after={
                "outcome": decision.outcome,
                "sensitivity": decision.sensitivity,
                "endpoint": decision.endpoint,
                "found": decision.found,
            },
            detail=(detail + " " + decision.reason).strip() if action == ACTION_BLOCKED else detail,
        )
