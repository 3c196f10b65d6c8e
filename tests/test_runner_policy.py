"""The runner and the improver refuse what the project's data policy blocks, whoever calls them:
a blocked cell is stored as a ``policy`` error without any request leaving, the rest run; a
redacted copy passes; the offline Echo is never checked."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine

from tests.fakes.server import FakeLLMServer
from workbench.errors import PolicyBlocked
from workbench.governance import data_policy
from workbench.improve import rewrite
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.runs.plan import outbound, with_messages
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, plan, run_cells
from workbench.store import audit
from workbench.store.engine import session_scope

KEY = "sk-test-policy-0123456789"
SSN = "078-05-1121"


def lookup(name: str) -> str | None:
    return KEY if name == "OPENAI_API_KEY" else None


@pytest.fixture
def hr(seeded_engine: Engine, fake_server: FakeLLMServer):  # type: ignore[no-untyped-def]
    """The HR project made restricted; OpenAI (not on its list) and the Local fake server
    (on it) both answer from the test server."""
    engine = seeded_engine
    for name in ("Local fake server", "OpenAI"):
        endpoint = endpoints.find_endpoint(engine, name)
        endpoints.update_endpoint(
            engine,
            endpoint.id,
            actor="t",
            base_url=fake_server.openai_base_url,
            max_retries=0,
            confirm_key=True,
        )  # type: ignore[union-attr, arg-type]
    openai = endpoints.find_endpoint(engine, "OpenAI")
    (outside,) = endpoints.add_models(engine, actor="t", endpoint_id=openai.id, models=["fake-large"])  # type: ignore[union-attr, arg-type]
    local = endpoints.find_endpoint(engine, "Local fake server")
    inside = next(m.id for m in endpoints.list_models(engine, local.id) if m.model == "fake-small")  # type: ignore[union-attr, arg-type]
    echo = next(m.id for m in endpoints.list_models(engine) if m.model == "echo")
    project = project_records.find_project(engine, "HR handbook assistant")
    with session_scope(engine) as session:
        project_records.update_project(session, project.id, actor="admin", sensitivity="restricted")  # type: ignore[union-attr, arg-type]
    prompt = next(p for p in versions.list_prompts(engine) if p.name == "HR policy answer")
    version = versions.latest_version(engine, prompt.id)
    return SimpleNamespace(
        project_id=project.id, version=version, outside=outside.id, inside=inside, echo=echo
    )  # type: ignore[union-attr]


def test_a_blocked_cell_is_a_policy_error_and_no_request_leaves(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:  # type: ignore[no-untyped-def]
    cells = plan(
        [hr.version.id],
        [ModelChoice(hr.outside), ModelChoice(hr.inside), ModelChoice(hr.echo)],
        [RowInput({"question": "How long is parental leave?"})],
    )
    report = run_cells(seeded_engine, cells, RunOptions(project_id=hr.project_id, actor="cli"), lookup=lookup)
    by_endpoint = {o.endpoint_name: o for o in report.outputs}
    blocked = by_endpoint["OpenAI"]
    assert (blocked.status, blocked.error_kind) == ("error", "policy")
    assert "is restricted: 'OpenAI' is not on its allowed endpoints" in blocked.error_message  # type: ignore[operator]
    assert by_endpoint["Local fake server"].status == "ok" and by_endpoint["Echo"].status == "ok"
    assert [r.body["model"] for r in fake_server.chat_requests()] == ["fake-small"]  # type: ignore[index]
    (event,) = audit.search(seeded_engine, actions=["policy.blocked"])
    assert (event.actor, event.after["endpoint"]) == ("cli", "OpenAI")


def test_personal_data_is_blocked_unless_redacted_even_on_an_allowed_endpoint(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:  # type: ignore[no-untyped-def]
    row = RowInput({"question": f"My SSN is {SSN}; how long is parental leave?"})
    cells = plan([hr.version.id], [ModelChoice(hr.inside), ModelChoice(hr.echo)], [row])
    report = run_cells(seeded_engine, cells, RunOptions(project_id=hr.project_id, actor="t"), lookup=lookup)
    statuses = {o.endpoint_name: (o.status, o.error_kind) for o in report.outputs}
    assert statuses == {"Local fake server": ("error", "policy"), "Echo": ("ok", None)}
    assert fake_server.chat_requests() == []

    (group,) = [g for g in outbound(seeded_engine, cells) if g.endpoint.name == "Local fake server"]
    project = project_records.get_project(seeded_engine, hr.project_id)
    decision = data_policy.check_outbound(project, group.endpoint, group.messages)
    redacted = with_messages(cells, dict(zip(group.keys, decision.redacted, strict=True)))  # type: ignore[arg-type]
    report = run_cells(
        seeded_engine, redacted, RunOptions(project_id=hr.project_id, actor="t"), lookup=lookup
    )
    assert {o.status for o in report.outputs} == {"ok"}
    (sent,) = [json.dumps(r.body["messages"]) for r in fake_server.chat_requests()]  # type: ignore[index]
    assert "[SSN_1]" in sent and SSN not in sent


def test_a_policy_given_to_the_run_is_the_one_checked(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:  # type: ignore[no-untyped-def]
    public = SimpleNamespace(name="HR", sensitivity="public", allowed_providers=[], pii_names=[])
    cells = plan([hr.version.id], [ModelChoice(hr.outside)], [RowInput({"question": "Leave?"})])
    report = run_cells(
        seeded_engine, cells, RunOptions(project_id=hr.project_id, actor="t", policy=public), lookup=lookup
    )
    assert report.outputs[0].status == "ok" and len(fake_server.chat_requests()) == 1


def test_the_improver_refuses_what_the_policy_blocks_and_sends_a_redacted_copy(
    seeded_engine: Engine, fake_server: FakeLLMServer, hr
) -> None:  # type: ignore[no-untyped-def]
    draft = f"Answer the employee (SSN {SSN}) about: {{{{ question }}}}"
    with pytest.raises(PolicyBlocked, match="must be redacted before it is sent"):
        rewrite.request_improvement(
            seeded_engine, model_id=hr.inside, system="", user=draft, project_id=hr.project_id
        )
    assert fake_server.chat_requests() == []
    request = rewrite.prepare_improvement(seeded_engine, model_id=hr.inside, system="", user=draft)
    project = project_records.get_project(seeded_engine, hr.project_id)
    decision = data_policy.check_outbound(project, request.endpoint, [request.messages])
    proposal = rewrite.send_improvement(
        seeded_engine,
        request,
        project_id=hr.project_id,
        messages=decision.redacted[0],  # type: ignore[index]
    )
    (sent,) = [json.dumps(r.body["messages"]) for r in fake_server.chat_requests()]  # type: ignore[index]
    assert "[SSN_1]" in sent and SSN not in sent and proposal.user
    assert [m for m, _ in rewrite.improver_models(seeded_engine, hr.project_id)] == [
        m.id
        for m in endpoints.list_models(
            seeded_engine, endpoints.find_endpoint(seeded_engine, "Local fake server").id
        )  # type: ignore[union-attr, arg-type]
    ]
