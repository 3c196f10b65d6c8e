"""Roles on the working pages (AppTest, ``at.user`` standing in for st.login): every guarded
action is refused with the reason and writes nothing when the role is too low, and goes
through when it is high enough. Viewers still read every page and may rate and vote."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from tests.fakes.server import FakeLLMServer
from tests.test_auth_pages import db, team, visit  # noqa: F401  (fixtures used below)
from workbench.governance import access
from workbench.judging import ratings
from workbench.models import endpoints
from workbench.prompts import versions
from workbench.runs.runner import ModelChoice, RowInput, RunOptions, plan, run_cells
from workbench.store import audit
from workbench.store.tables import Label, PromptVersion, Run

VIEWER, EDITOR, ADMIN = "vic@example.com", "eve@example.com", "ada@example.com"


def count(engine: Engine, table: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def warnings(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [w.value for w in at.warning]


def refused(at, what: str, role: str) -> bool:  # type: ignore[no-untyped-def]
    return any(f"to {what} you need to be {role}" in w for w in warnings(at))


def late_order(engine: Engine):  # type: ignore[no-untyped-def]
    return next(p for p in versions.list_prompts(engine) if p.name == "Late order reply")


@pytest.fixture
def local(team, fake_server: FakeLLMServer) -> dict[str, int]:  # noqa: F811
    engine, _cs = team
    endpoint = endpoints.find_endpoint(engine, "Local fake server")
    endpoints.update_endpoint(engine, endpoint.id, actor="t", base_url=fake_server.openai_base_url)  # type: ignore[union-attr, arg-type]
    return {m.model: m.id for m in endpoints.list_models(engine, endpoint.id)}  # type: ignore[union-attr, arg-type, misc]


def save_draft(email: str):  # type: ignore[no-untyped-def]
    at = visit(email, "pages/draft.py")
    at.text_area(key="w_draft_user").input("Reply to the customer about order {{ order_id }}.").run()
    at.text_input(key="w_draft_note").input("shorter").run()
    return at.button(key="draft_save").click().run()


def test_a_viewer_cannot_save_a_version_and_is_told_why(team) -> None:  # noqa: F811
    engine, _cs = team
    before = count(engine, PromptVersion)
    at = save_draft(VIEWER)
    assert not at.exception
    assert refused(at, "save a prompt version", "an editor")
    assert count(engine, PromptVersion) == before
    assert all(e.actor != VIEWER for e in audit.search(engine))  # nothing written in the viewer's name


def test_an_editor_saves_a_version(team) -> None:  # noqa: F811
    engine, _cs = team
    at = save_draft(EDITOR)
    assert not at.exception and not at.warning
    latest = versions.latest_version(engine, late_order(engine).id)
    assert (latest.number, latest.author) == (3, EDITOR)  # type: ignore[union-attr]


def move_production_to_v1(engine: Engine, email: str):  # type: ignore[no-untyped-def]
    at = visit(email, "pages/versions.py")
    v1 = min(versions.list_versions(engine, late_order(engine).id), key=lambda v: v.number)
    at.selectbox(key="versions_move_label").set_value("production")
    at.selectbox(key="versions_move_target").set_value(v1.id)
    return at.button(key="versions_move").click().run(), v1


@pytest.mark.parametrize("email", [VIEWER, EDITOR])
def test_only_admins_move_labels(team, email: str) -> None:  # noqa: F811
    engine, _cs = team
    labels, moves = count(engine, Label), len(audit.search(engine, actions=["label.move"]))
    at, _v1 = move_production_to_v1(engine, email)
    assert not at.exception
    assert refused(at, "move labels", "an admin")
    prod = next(
        lb for lb in versions.labels_for_prompt(engine, late_order(engine).id) if lb.name == "production"
    )
    assert versions.get_version(engine, prod.version_id).number == 2
    assert count(engine, Label) == labels and len(audit.search(engine, actions=["label.move"])) == moves


def test_an_admin_moves_a_label(team) -> None:  # noqa: F811
    engine, _cs = team
    at, v1 = move_production_to_v1(engine, ADMIN)
    assert not at.exception and not at.warning
    prod = next(
        lb for lb in versions.labels_for_prompt(engine, late_order(engine).id) if lb.name == "production"
    )
    assert prod.version_id == v1.id


def run_compare(email: str, models: list[int]):  # type: ignore[no-untyped-def]
    at = visit(email, "pages/compare.py")
    at.multiselect(key="compare_models").set_value(models).run()
    return at.button(key="compare_run").click().run()


def test_a_viewer_cannot_run_compare_but_an_editor_can(team, local, fake_server: FakeLLMServer) -> None:  # noqa: F811
    engine, _cs = team
    runs = count(engine, Run)
    at = run_compare(VIEWER, [local["fake-large"], local["fake-small"]])
    assert not at.exception
    assert refused(at, "run prompts against models", "an editor")
    assert count(engine, Run) == runs and fake_server.chat_requests() == []
    at = run_compare(EDITOR, [local["fake-large"], local["fake-small"]])
    assert not at.exception and not at.warning
    assert count(engine, Run) == runs + 1 and len(fake_server.chat_requests()) == 2


def test_a_viewer_rates_and_votes_on_compare(team, local) -> None:  # noqa: F811
    engine, cs = team
    version = versions.latest_version(engine, late_order(engine).id)
    variables = dict(version.sample_variables)  # type: ignore[union-attr]
    cells = plan(
        [version.id],
        [ModelChoice(local["fake-large"]), ModelChoice(local["fake-small"])],
        [RowInput(variables)],
    )  # type: ignore[union-attr]
    report = run_cells(engine, cells, RunOptions(project_id=cs.id, actor=EDITOR))
    first, _second = sorted(o.id for o in report.outputs)
    at = visit(VIEWER, "pages/compare.py")
    at.feedback(key=f"compare_{first}_score").set_value(4)
    at.button(key=f"compare_{first}_save").click().run()
    assert not at.exception and not at.warning
    assert ratings.get_rating(engine, first, VIEWER).value == 5  # type: ignore[union-attr]
    at.button(key=f"compare_vote_{report.run_id}/0_tie").click().run()
    assert not at.exception and not at.warning
    assert any("Vote recorded: Tie" in s.value for s in at.success)


def test_a_viewer_cannot_ask_for_a_rewrite(team, local, fake_server: FakeLLMServer) -> None:  # noqa: F811
    at = visit(VIEWER, "pages/draft.py")
    at.selectbox(key="improver_model").set_value(local["fake-large"]).run()
    at.button(key="improver_ask").click().run()
    assert not at.exception
    assert refused(at, "send a prompt to a model for a rewrite", "an editor")
    assert fake_server.chat_requests() == []


def test_bench_feedback_and_settings_refuse_viewers_and_editors_as_the_table_says(team) -> None:  # noqa: F811
    engine, cs = team
    at = visit(VIEWER, "pages/bench.py")
    at.button(key="bench_save").click().run()
    assert refused(at, "edit bench test cases", "an editor")
    assert all(b.proto.disabled for b in at.get("download_button"))  # exports are for admins

    at = visit(VIEWER, "pages/feedback.py")
    at.multiselect(key="feedback_tags").set_value(["accurate"])
    at.button(key="feedback_tags_save").click().run()
    assert refused(at, "change the tags offered to raters", "an editor")
    assert "wrong tone" in ratings.project_tags(engine, cs.id)
    at = visit(EDITOR, "pages/feedback.py")
    at.multiselect(key="feedback_tags").set_value(["accurate"])
    at.button(key="feedback_tags_save").click().run()
    assert ratings.project_tags(engine, cs.id) == ["accurate"]

    local = endpoints.find_endpoint(engine, "Local fake server")
    at = visit(EDITOR, "pages/settings.py")
    at.number_input(key=f"endpoint_retries_{local.id}").set_value(0)  # type: ignore[union-attr]
    at.button(key=f"save_endpoint_{local.id}").click().run()  # type: ignore[union-attr]
    assert any("Only a workbench admin can change endpoints" in w for w in warnings(at))
    assert endpoints.find_endpoint(engine, "Local fake server").max_retries == local.max_retries  # type: ignore[union-attr]


def test_every_guarded_action_has_a_description() -> None:
    assert set(access.ACTIONS) == set(access.DESCRIPTIONS)
    assert set(access.ACTIONS.values()) <= {"viewer", "editor", "admin"}
