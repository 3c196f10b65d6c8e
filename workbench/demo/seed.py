"""Demo content, seeded once on first start so a newcomer sees a populated workbench.

Drawn from the source documents: the late-order customer-service prompt in its bad and good
forms, and an HR-handbook assistant with a bench of questions whose answers are known, a short
handbook written for the demo as its documents (``data/handbook/``), and a version that takes
its context from them. The content is data (``data/demo.json``); seeding is idempotent,
guarded by an ``app_setting`` flag.

The seeder is an edge, like a page or the CLI: it takes the engine and opens the transactions,
one per demo project (its documents, prompts, versions, labels and cases land together).
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from workbench.demo.answers import seed_demo_feedback
from workbench.documents import records
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope
from workbench.store.lookup import id_of
from workbench.store.tables import AppSetting, Endpoint, TestCase

SEEDED_FLAG = "demo_seeded"


def demo_data() -> dict[str, Any]:
    return json.loads(resources.files("workbench").joinpath("data/demo.json").read_text(encoding="utf-8"))


def is_seeded(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return session.get(AppSetting, SEEDED_FLAG) is not None


def _seed_endpoints(engine: Engine, data: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        existing = {e.name for e in session.exec(select(Endpoint))}
    for spec in data.get("endpoints", []):
        if spec["name"] in existing:
            continue
        endpoint = endpoints.add_endpoint(
            engine,
            actor="demo",
            name=spec["name"],
            provider=spec["provider"],
            base_url=spec.get("base_url"),
            api_key_env=spec.get("api_key_env"),
        )
        for model in spec.get("models", []):
            endpoints.add_model(engine, actor="demo", endpoint_id=id_of(endpoint), model=model)


def _seed_documents(session: Session, project_id: int, spec: dict[str, Any]) -> None:
    """The demo's documents: every Markdown file of a folder under ``data/``."""
    folder = resources.files("workbench").joinpath(f"data/{spec['folder']}")
    sources = [
        records.Source(
            name=item.name,
            data=item.read_bytes(),
            author=spec.get("author", ""),
            published=date.fromisoformat(spec["published"]) if spec.get("published") else None,
            tags=tuple(spec.get("tags", ())),
        )
        for item in sorted(folder.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".md")
    ]
    records.add_sources(session, project_id, sources, actor="demo")


def _seed_project(engine: Engine, spec: dict[str, Any]) -> None:
    """One project with its prompts, versions, labels and cases, in one transaction."""
    if project_records.find_project(engine, spec["name"]) is not None:
        return
    fields = {k: v for k, v in spec.items() if k in project_records.EDITABLE_FIELDS and k != "name"}
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="demo", name=spec["name"], **fields)
        if spec.get("documents"):
            _seed_documents(session, id_of(project), spec["documents"])
        for prompt_spec in spec.get("prompts", []):
            _seed_prompt(session, id_of(project), prompt_spec)


def _seed_prompt(session: Session, project_id: int, spec: dict[str, Any]) -> None:
    prompt = versions.create_prompt(
        session,
        project_id=project_id,
        name=spec["name"],
        actor="demo",
        description=spec.get("description", ""),
    )
    saved = []
    parent = None
    for v in spec["versions"]:
        version = versions.save_version(
            session,
            prompt_id=id_of(prompt),
            system_template=v["system"],
            user_template=v["user"],
            author=v.get("author", "demo"),
            change_note=v.get("note", ""),
            params=v.get("params"),
            sample_variables=v.get("sample_variables"),
            parent_id=parent,
        )
        saved.append(version)
        parent = version.id
    for label in spec.get("labels", []):
        versions.set_label(
            session,
            version_id=saved[label["version"] - 1].id,
            name=label["name"],
            actor="demo",
            note=label.get("note", ""),
        )
    for position, case in enumerate(spec.get("test_cases", [])):
        session.add(
            TestCase(
                prompt_id=id_of(prompt),
                position=position,
                name=case.get("name", ""),
                variables=case["variables"],
                expected=case.get("expected"),
                assertions=case.get("assertions", []),
            )
        )


def seed_demo(engine: Engine) -> bool:
    """Seed the demo content unless it was seeded before. Returns True when it seeded now."""
    endpoints.ensure_builtin_endpoints(engine)
    if is_seeded(engine):
        return False
    data = demo_data()
    _seed_endpoints(engine, data)
    for spec in data["projects"]:
        _seed_project(engine, spec)
    seed_demo_feedback(engine)
    with session_scope(engine) as session:
        if session.get(AppSetting, SEEDED_FLAG) is None:
            session.add(AppSetting(key=SEEDED_FLAG, value=True, updated_by="system"))
    return True
