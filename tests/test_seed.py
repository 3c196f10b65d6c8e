from __future__ import annotations

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from workbench.demo.seed import seed_demo
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.tables import Document, LabelMove, TestCase


def test_demo_content_is_seeded_once(storage_engine: Engine) -> None:
    assert seed_demo(storage_engine) is True
    assert seed_demo(storage_engine) is False
    names = [p.name for p in project_records.list_projects(storage_engine)]
    assert names == ["Customer service replies", "HR handbook assistant"]
    late = versions.list_prompts(storage_engine, project_records.find_project(storage_engine, names[0]).id)[0]
    bad, good = sorted(versions.list_versions(storage_engine, late.id), key=lambda v: v.number)
    assert bad.user_template == "Explain why a customer's order is late."
    assert "{{ order_id }}" in good.user_template
    with Session(storage_engine) as session:
        assert session.exec(select(func.count()).select_from(TestCase)).one() >= 10
        assert (
            session.exec(select(func.count()).select_from(LabelMove)).one() == 5
        )  # + the documents prompt's production
        assert session.exec(select(func.count()).select_from(Document)).one() == 6
    assert {e.name for e in endpoints.list_endpoints(storage_engine)} >= {
        "Echo",
        "OpenAI",
        "Anthropic",
        "Local fake server",
    }


def test_seeded_bench_questions_have_known_answers(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        cases = session.exec(select(TestCase).where(TestCase.name == "PTO days")).all()
    assert cases and "25 days" in cases[0].expected
