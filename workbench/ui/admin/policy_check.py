"""The check before anything leaves the machine, as a Streamlit widget.

A page that is about to send rendered prompts (Compare, Evaluate) calls ``send_gate`` once per
target endpoint (``gate_cells`` does that for a run's cells), on every rerun while the run is pending, and starts the run only with what it
returns::

    if st.button("Run"):
        st.session_state["run_pending"] = True
    if st.session_state.get("run_pending"):
        ready = send_gate(engine, project_id=pid, endpoint=endpoint, requests=rendered, key="compare")
        if ready is not None:          # allowed, or the person chose redact / send unchanged
            st.session_state["run_pending"] = False
            start_run(ready)           # ``ready`` may be the redacted copy

The gate shows nothing when the send is allowed, a warning naming what was found with
"Redact and continue" / "Send unchanged" buttons, or an error box with the reason when blocked
(with "Redact and continue" where redaction makes the send allowed). A choice holds only for
the exact requests it was made on. Choices and blocks are written to the audit log (kinds and
counts, never the values).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from workbench.governance import data_policy, pii
from workbench.governance.data_policy import Decision, Recipient
from workbench.governance.pii import Message
from workbench.projects import project_records
from workbench.runs import plan
from workbench.runs.plan import Cell
from workbench.ui.shell import state
from workbench.ui.shell.page import literal

REDACT, AS_IS = "redacted", "as_is"


def rules_of(engine: Engine, project_id: int) -> str:
    """The project's data rules as a fingerprint: a request waiting for a choice (redact or not)
    holds only while they stay the same, so a rule change never starts it by itself."""
    project = project_records.get_project(engine, project_id)
    rules = [getattr(project, k) for k in ("sensitivity", "allowed_providers", "pii_names")]
    return hashlib.sha256(json.dumps(rules, sort_keys=True, default=str).encode()).hexdigest()


def _fingerprint(project: object, endpoint: Recipient, requests: Sequence[Sequence[Message]]) -> str:
    payload = {
        "endpoint": [endpoint.name, endpoint.provider],
        "policy": [getattr(project, k) for k in ("sensitivity", "allowed_providers", "pii_names")],
        "requests": requests,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _choose(
    engine: Engine, key: str, fingerprint: str, choice: str, project_id: int, decision: Decision
) -> None:
    st.session_state[f"{key}:choice"] = (fingerprint, choice)
    action = data_policy.ACTION_REDACTED if choice == REDACT else data_policy.ACTION_SENT_ANYWAY
    data_policy.record_decision(
        engine, actor=state.user_name(), project_id=project_id, decision=decision, action=action
    )


def _record_block_once(
    engine: Engine, key: str, fingerprint: str, project_id: int, decision: Decision
) -> None:
    seen = f"{key}:blocked"
    if st.session_state.get(seen) != fingerprint:
        st.session_state[seen] = fingerprint
        data_policy.record_decision(
            engine,
            actor=state.user_name(),
            project_id=project_id,
            decision=decision,
            action=data_policy.ACTION_BLOCKED,
        )


def _findings_table(decision: Decision) -> None:
    with st.expander(f"What was found ({len(decision.findings)})"):
        rows = [{"kind": f.label, "value": f.value} for f in decision.findings]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def send_gate(
    engine: Engine,
    *,
    project_id: int,
    endpoint: Recipient,
    requests: Sequence[Sequence[Message]],
    key: str,
) -> list[list[Message]] | None:
    """Render the policy decision; return the requests that may be sent now, or ``None``
    (``blocked(key)`` then says whether the policy refuses them, or waits for a choice)."""
    project = project_records.get_project(engine, project_id)
    decision = data_policy.check_outbound(project, endpoint, requests)
    st.session_state[f"{key}:outcome"] = (decision.blocked and not decision.can_redact, decision.reason)
    if decision.allowed:
        return [list(r) for r in requests]
    fingerprint = _fingerprint(project, endpoint, requests)
    made = st.session_state.get(f"{key}:choice")
    if made and made[0] == fingerprint:
        if made[1] == REDACT and decision.redacted is not None and decision.can_redact:
            st.success(
                f"Redacted before sending to {endpoint.name}: {decision.found_text()}.",
                icon=":material/shield:",
            )
            return decision.redacted
        if made[1] == AS_IS and decision.can_send_as_is:
            st.info(f"Sending to {endpoint.name} unchanged, as you chose.", icon=":material/warning:")
            return [list(r) for r in requests]
    args = (engine, key, fingerprint)
    if decision.blocked:
        _record_block_once(engine, key, fingerprint, project_id, decision)
        st.error(f"Blocked: {literal(decision.reason)}", icon=":material/lock:")
    else:
        st.warning(literal(decision.reason), icon=":material/warning:")
    if decision.findings:
        _findings_table(decision)
    cols = st.columns(2)
    if decision.can_redact:
        cols[0].button(
            "Redact and continue",
            key=f"{key}:redact",
            type="primary",
            icon=":material/shield:",
            on_click=_choose,
            args=(*args, REDACT, project_id, decision),
        )
    if decision.can_send_as_is and not decision.blocked:
        cols[1].button(
            "Send unchanged",
            key=f"{key}:as_is",
            on_click=_choose,
            args=(*args, AS_IS, project_id, decision),
        )
    return None


def blocked(*keys: str) -> list[str]:
    """The reasons of the gates (by ``key``, as last drawn) that the policy blocks outright (no
    redaction would let them through): a request they held must be dropped, so it can never
    start by itself once the rules change."""
    found = [st.session_state.get(f"{key}:outcome") for key in keys]
    return [reason for outcome in found if outcome and outcome[0] for reason in [outcome[1]]]


def gate_cells(engine: Engine, *, project_id: int, cells: Sequence[Cell], key: str) -> list[Cell] | None:
    """``send_gate`` for a whole run: one check per endpoint the cells would call. Returns the
    cells with the messages that may be sent fixed on them (redacted where the person chose
    that), or ``None`` while any endpoint is blocked or waiting for a choice."""
    settled: dict[str, list[Message]] = {}
    redactors: dict[str, pii.Redactor] = {}
    waiting = False
    project = project_records.get_project(engine, project_id)
    keys = []
    for group in plan.outbound(engine, cells):
        keys.append(f"{key}:{group.endpoint.name}")
        ready = send_gate(
            engine,
            project_id=project_id,
            endpoint=group.endpoint,
            requests=group.messages,
            key=keys[-1],
        )
        if ready is None:
            waiting = True
            continue
        settled.update(zip(group.keys, ready, strict=True))
        if ready != [list(r) for r in group.messages]:  # redacted: the values are stored redacted too
            redactor = data_policy.redactor_for(project, group.messages)
            redactors.update(dict.fromkeys(group.keys, redactor))
    st.session_state[f"{key}:gates"] = keys  # for ``blocked(*...)`` after the call
    return None if waiting else plan.with_messages(cells, settled, redactors)


# Any kind of recipient a caller keys its requests by (a mapping's key type must match exactly).
Where = TypeVar("Where", bound=Recipient)


def gate_destinations(
    engine: Engine,
    *,
    project_id: int,
    destinations: Mapping[Where, Sequence[Sequence[Message]]],
    key: str,
) -> bool | None:
    """``send_gate`` for every endpoint a run would call (an evaluation, an optimization): ``None``
    while any is blocked or waits for a choice, else whether the person chose to redact somewhere
    (the caller then redacts at the source, e.g. the cases' values)."""
    ready, redact, keys = True, False, []
    for target, requests in destinations.items():
        keys.append(f"{key}:{target.name}")
        sent = send_gate(engine, project_id=project_id, endpoint=target, requests=requests, key=keys[-1])
        if sent is None:
            ready = False
        elif sent != [list(r) for r in requests]:
            redact = True
    st.session_state[f"{key}:gates"] = keys  # for ``blocked(*...)`` after the call
    return redact if ready else None
