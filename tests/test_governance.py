"""The outbound policy: what each sensitivity level lets through, warns about or blocks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from workbench.errors import PolicyBlocked
from workbench.governance import data_policy
from workbench.models.providers.interface import EndpointConfig
from workbench.projects import project_records
from workbench.store import audit
from workbench.store.engine import session_scope

OPENAI = EndpointConfig(name="OpenAI", provider="openai")
LOCAL = EndpointConfig(name="Local fake server", provider="openai_compatible")
ECHO = EndpointConfig(name="Echo", provider="echo")
WITH_PII = [{"role": "user", "content": "Customer dana@example.com (Dana Smith) asks about order 12345."}]
CLEAN = [{"role": "user", "content": "Where is order 12345 placed on 2023-05-01?"}]


@dataclass
class Policy:
    sensitivity: str
    allowed_providers: list[str] = field(default_factory=list)
    pii_names: list[str] = field(default_factory=lambda: ["Dana Smith"])
    name: str = "Demo"


def test_public_projects_are_never_checked() -> None:
    decision = data_policy.check_messages(Policy("public"), OPENAI, WITH_PII)
    assert decision.allowed and decision.findings == []


@pytest.mark.parametrize("level", ["public", "internal", "confidential", "restricted"])
def test_echo_is_always_allowed_and_never_checked(level: str) -> None:
    decision = data_policy.check_messages(Policy(level), ECHO, WITH_PII)
    assert decision.allowed
    assert decision.findings == []
    assert "nothing leaves" in decision.reason


def test_internal_warns_naming_what_was_found_and_offers_redaction() -> None:
    decision = data_policy.check_messages(Policy("internal"), OPENAI, WITH_PII)
    assert decision.outcome == "warn"
    assert decision.found == {"e-mail address": 1, "personal name": 1}
    assert "1 e-mail address, 1 personal name" in decision.reason
    assert decision.can_redact and decision.can_send_as_is
    assert decision.redacted == [
        [{"role": "user", "content": "Customer [EMAIL_1] ([NAME_1]) asks about order 12345."}]
    ]


def test_internal_without_personal_data_is_allowed() -> None:
    assert data_policy.check_messages(Policy("internal"), OPENAI, CLEAN).allowed


def test_internal_names_an_endpoint_outside_its_list() -> None:
    decision = data_policy.check_messages(Policy("internal", ["Local fake server"]), OPENAI, CLEAN)
    assert decision.outcome == "warn"
    assert "not on this project's allowed endpoints" in decision.reason


@pytest.mark.parametrize("level", ["confidential", "restricted"])
def test_an_endpoint_off_the_allowed_list_is_blocked(level: str) -> None:
    decision = data_policy.check_messages(Policy(level, ["Local fake server"]), OPENAI, CLEAN)
    assert decision.blocked
    assert not decision.can_send_as_is and not decision.can_redact
    assert f"is {level}: 'OpenAI' is not on its allowed endpoints (Local fake server)" in decision.reason


def test_an_empty_allowed_list_blocks_everything_that_leaves_the_machine() -> None:
    decision = data_policy.check_messages(Policy("confidential", []), LOCAL, CLEAN)
    assert decision.blocked
    assert "allows no endpoint outside this machine" in decision.reason


def test_confidential_on_an_allowed_endpoint_warns_about_personal_data() -> None:
    decision = data_policy.check_messages(Policy("confidential", ["Local fake server"]), LOCAL, WITH_PII)
    assert decision.outcome == "warn" and decision.can_send_as_is


def test_restricted_blocks_personal_data_until_it_is_redacted() -> None:
    policy = Policy("restricted", ["Local fake server"])
    decision = data_policy.check_messages(policy, LOCAL, WITH_PII)
    assert decision.blocked
    assert "must be redacted" in decision.reason
    assert decision.can_redact and not decision.can_send_as_is
    assert decision.redacted is not None
    assert data_policy.check_outbound(policy, LOCAL, decision.redacted).allowed


def test_restricted_clean_text_to_an_allowed_endpoint_passes() -> None:
    assert data_policy.check_messages(Policy("restricted", ["Local fake server"]), LOCAL, CLEAN).allowed


def test_batch_redaction_shares_placeholders_across_requests() -> None:
    requests = [
        [{"role": "user", "content": "a@example.com"}],
        [{"role": "user", "content": "b@example.com and a@example.com"}],
    ]
    decision = data_policy.check_outbound(Policy("internal"), OPENAI, requests)
    assert decision.redacted == [
        [{"role": "user", "content": "[EMAIL_1]"}],
        [{"role": "user", "content": "[EMAIL_2] and [EMAIL_1]"}],
    ]


def test_enforce_raises_only_when_blocked() -> None:
    data_policy.enforce(Policy("internal"), OPENAI, [WITH_PII])  # a warning does not raise
    with pytest.raises(PolicyBlocked, match="not on its allowed endpoints"):
        data_policy.enforce(Policy("restricted", ["Echo"]), OPENAI, [CLEAN])


def test_a_project_row_works_as_the_policy(seeded_engine) -> None:
    hr = project_records.find_project(seeded_engine, "HR handbook assistant")
    assert hr is not None and hr.sensitivity == "confidential"
    assert data_policy.check_messages(hr, OPENAI, CLEAN).blocked
    assert data_policy.check_messages(hr, LOCAL, CLEAN).allowed


def test_recorded_decisions_keep_counts_but_never_values(engine) -> None:
    decision = data_policy.check_messages(Policy("restricted", ["Local fake server"]), LOCAL, WITH_PII)
    data_policy.record_decision(
        engine, actor="dana", project_id=None, decision=decision, action=data_policy.ACTION_BLOCKED
    )
    with session_scope(engine) as session:
        (event,) = audit.events(session, action="policy.blocked")
    assert event.actor == "dana"
    assert event.after == {
        "outcome": "blocked",
        "sensitivity": "restricted",
        "endpoint": "Local fake server",
        "found": {"e-mail address": 1, "personal name": 1},
    }
    assert "dana@example.com" not in str(event.after) + event.detail
    assert "Dana Smith" not in event.detail
