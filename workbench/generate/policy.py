"""The data policy for a generation started without a person to ask (the CLI), as ``workbench
eval`` applies it: a blocked send stops everything, ``redact`` replaces personal data in what
would be sent (audited), and a warning is printed and audited as sent anyway. The page asks the
person instead (the same check Compare shows), and the runner checks every call again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from workbench.errors import PolicyBlocked
from workbench.governance import data_policy
from workbench.projects import project_records
from workbench.runs.plan import Cell, outbound, with_messages


def settle(
    engine: Engine,
    project_id: int,
    cells: Sequence[Cell],
    *,
    actor: str,
    redact: bool,
    warn: Callable[[str], None],
) -> list[Cell]:
    """The cells as they may be sent; ``PolicyBlocked`` when the policy refuses them."""
    project = project_records.get_project(engine, project_id)
    settled: dict[str, list[dict[str, str]]] = {}
    for group in outbound(engine, cells):
        decision = data_policy.check_outbound(project, group.endpoint, list(group.messages))

        def record(action: str, detail: str = "", decision: data_policy.Decision = decision) -> None:
            data_policy.record_decision(
                engine, actor=actor, project_id=project_id, decision=decision, action=action, detail=detail
            )

        if redact and decision.findings and decision.redacted is not None:
            record(data_policy.ACTION_REDACTED)
            settled.update(zip(group.keys, decision.redacted, strict=True))
            continue
        if decision.blocked:
            record(data_policy.ACTION_BLOCKED)
            hint = " Pass --redact to redact it." if decision.can_redact else ""
            raise PolicyBlocked(f"Blocked: {decision.reason}{hint}")
        if not decision.allowed:
            warn(decision.reason)
            if decision.findings:
                record(data_policy.ACTION_SENT_ANYWAY, "workbench generate without --redact")
    return with_messages(cells, settled)
