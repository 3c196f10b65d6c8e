"""Demo content, seeded once on first start so a newcomer sees a populated workbench.

Drawn from the source documents: the late-order customer-service prompt in its bad and good
forms, and an HR-handbook assistant with a bench of questions whose answers are known, a short
handbook written for the demo as its documents (``data/handbook/``), and a version that takes
its context from them. The content is data (``data/demo.json``); seeding is idempotent,
guarded by an ``app_setting`` flag.
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from workbench.demo.answers import seed_demo_feedback
from workbench.documents import records
from workbench.models import endpoints
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.store.engine import session_scope
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
            endpoints.add_model(engine, actor="demo", endpoint_id=endpoint.id, model=model)  # type: ignore[arg-type]


def _seed_documents(engine: Engine, project_id: int, spec: dict[str, Any]) -> None:
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
    with session_scope(engine) as session:
        records.add_sources(session, project_id, sources, actor="demo")


def _seed_project(engine: Engine, spec: dict[str, Any]) -> None:
    if project_records.find_project(engine, spec["name"]) is not None:
        return
    fields = {k: v for k, v in spec.items() if k in project_records.EDITABLE_FIELDS and k != "name"}
    project = project_records.create_project(engine, actor="demo", name=spec["name"], **fields)
    if spec.get("documents"):
        _seed_documents(engine, project.id, spec["documents"])  # type: ignore[arg-type]
    for prompt_spec in spec.get("prompts", []):
        prompt = versions.create_prompt(
            engine,
            project_id=project.id,
            name=prompt_spec["name"],  # type: ignore[arg-type]
            actor="demo",
            description=prompt_spec.get("description", ""),
        )
        saved = []
        parent = None
        for v in prompt_spec["versions"]:
            version = versions.save_version(
                engine,
                prompt_id=prompt.id,
                system_template=v["system"],
                user_template=v["user"],  # type: ignore[arg-type]
                author=v.get("author", "demo"),
                change_note=v.get("note", ""),
                params=v.get("params"),
                sample_variables=v.get("sample_variables"),
                parent_id=parent,
            )
            saved.append(version)
            parent = version.id
        for label in prompt_spec.get("labels", []):
            versions.set_label(
                engine,
                version_id=saved[label["version"] - 1].id,
                name=label["name"],  # type: ignore[arg-type]
                actor="demo",
                note=label.get("note", ""),
            )
        with session_scope(engine) as session:
            for position, case in enumerate(prompt_spec.get("test_cases", [])):
                session.add(
                    TestCase(
                        prompt_id=prompt.id,
                        position=position,
                        name=case.get("name", ""),  # type: ignore[arg-type]
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
