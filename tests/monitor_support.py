"""Setting up releases and reporters for the monitor's tests: a project with a prompt of two
versions, an endpoint on the fake server, and a reporter whose spool is in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from tests.fakes.server import FakeLLMServer
from workbench.models import endpoints
from workbench.monitor import api
from workbench.monitor.app_prompt import AppPrompt
from workbench.monitor.reporter import Reporter
from workbench.monitor.spool import Spool
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.prompts.releases import ReleaseModel
from workbench.store.engine import session_scope

PROMPT = "Order update"
SYSTEM = "You answer customers of a web shop."
V1_USER = "Order {{ order_id }}: say when it arrives."
V2_USER = "Order {{ order_id }} is late. Apologise, give the new date and a next step."


def make_prompt(
    engine: Engine, *, sensitivity: str = "internal", allowed: list[str] | None = None
) -> tuple[int, int]:
    """A project with prompt ``PROMPT`` at v1 and v2; returns the two versions' ids."""
    with session_scope(engine) as session:
        project = project_records.create_project(
            session,
            actor="ann",
            name="Shop replies",
            sensitivity=sensitivity,
            allowed_providers=allowed or [],
        )
        prompt = versions.create_prompt(session, project_id=project.id, name=PROMPT, actor="ann")  # type: ignore[arg-type]
        v1 = versions.save_version(
            session,
            prompt_id=prompt.id,
            system_template=SYSTEM,
            user_template=V1_USER,
            author="ann",  # type: ignore[arg-type]
        )
        v2 = versions.save_version(
            session,
            prompt_id=prompt.id,  # type: ignore[arg-type]
            system_template=SYSTEM,
            user_template=V2_USER,
            author="ann",
            params={"temperature": 0.2, "max_tokens": 200},
        )
        return v1.id, v2.id  # type: ignore[return-value]


def fake_endpoint(engine: Engine, server: FakeLLMServer, name: str = "Fake") -> str:
    """An OpenAI-compatible endpoint on the fake server listing fake-large and fake-small."""
    endpoint = endpoints.add_endpoint(
        engine,
        actor="ann",
        name=name,
        provider="openai_compatible",
        base_url=server.openai_base_url,
        max_retries=0,
    )
    for model in ("fake-large", "fake-small", "fake-lazy"):
        endpoints.add_model(engine, actor="ann", endpoint_id=endpoint.id, model=model)  # type: ignore[arg-type]
    return name


def point(
    engine: Engine,
    version_id: int,
    model: tuple[str, str] | None,
    label: str = "production",
    **settings: object,
) -> None:
    from workbench.models.settings import CallSettings

    chosen = CallSettings.from_dict(settings) if settings else None
    with session_scope(engine) as session:
        versions.set_label(
            session,
            version_id=version_id,
            name=label,
            actor="ann",
            model=ReleaseModel(*model) if model else None,
            settings=chosen,
        )


@contextmanager
def reporting(engine: Engine, folder: Path, *, limit: int = 1_000_000) -> Iterator[Reporter]:
    """The engine's reporter with its spool in ``folder``; written out and stopped afterwards."""
    reporter = api.reporter_for(engine, spool=Spool(folder, limit=limit))
    try:
        yield reporter
    finally:
        api.forget(engine)


def app(engine: Engine, label: str = "production") -> AppPrompt:
    return api.app_prompt(engine, PROMPT, label=label, source="tests")
