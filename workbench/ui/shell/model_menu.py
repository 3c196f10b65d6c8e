"""Which models can run here: the menu every model picker shows, and the sidebar's ticks.

A model can run when its endpoint answers (``workbench.models.availability``: a key is set and
accepted, the server is reachable) and the active project's data policy lets prompts go there.
Pickers show every enabled model, mark the ones that cannot run with the reason, and never
preselect them; the sidebar ticks an endpoint only when it actually answers.

Endpoints and models change only in Settings, so their list is cached (Settings clears it
through ``changed()``, which also asks every endpoint again); verdicts live in one
``AvailabilityBoard`` per server process.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from sqlalchemy import Engine, func
from sqlmodel import col, select

from workbench.governance import data_policy
from workbench.models import endpoints
from workbench.models.availability import Availability, AvailabilityBoard
from workbench.models.providers.interface import EndpointConfig
from workbench.projects import project_records
from workbench.store.lookup import id_of
from workbench.store.tables import AuditEvent
from workbench.ui.shell.key_lookup import lookup_key

CHECKING = "checking…"
NOT_ALLOWED = "not allowed for this project"
PRESELECT_WAIT_S = 15.0  # a picker's first default waits this long for the first verdicts


@dataclass(frozen=True)
class ModelOption:
    """One enabled model as a picker offers it."""

    id: int
    label: str
    model: str
    endpoint: EndpointConfig
    offline: bool
    problem: str = ""  # "" when it can run; else why not, in a few words

    @property
    def runnable(self) -> bool:
        return not self.problem

    @property
    def shown(self) -> str:
        return self.label if self.runnable else f"{self.label} — {self.problem}"


@st.cache_resource
def board() -> AvailabilityBoard:
    """One board per server: every session sees the same verdicts."""
    return AvailabilityBoard()


def _stamp(engine: Engine) -> int:
    """The newest audit event's id: every change to an endpoint or a model is audited, so a
    change made elsewhere (another server, the CLI, a script) is seen at the next rerun, not
    after the cache's minute. One primary-key lookup."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.max(col(AuditEvent.id)))).scalar() or 0)


@st.cache_data(ttl=60, show_spinner=False)
def _catalog(url: str, stamp: int, _engine: Engine) -> tuple[tuple[int, EndpointConfig], ...]:
    """Enabled endpoints by id (``url`` and the audit ``stamp`` key the cache)."""
    return tuple(
        (id_of(e), endpoints.endpoint_config(e))
        for e in endpoints.list_endpoints(_engine, include_disabled=False)
    )


@st.cache_data(ttl=60, show_spinner=False)
def _models(url: str, stamp: int, _engine: Engine) -> tuple[tuple[int, int, str, str], ...]:
    """(model id, endpoint id, model, label) of every enabled model of an enabled endpoint."""
    found = {e.id: e for e in endpoints.list_endpoints(_engine, include_disabled=False)}
    return tuple(
        (id_of(m), m.endpoint_id, m.model, endpoints.model_label(m, found[m.endpoint_id]))
        for m in endpoints.list_models(_engine, enabled_only=True)
        if m.endpoint_id in found
    )


def changed() -> None:
    """After an endpoint, a model or a key changed: list them again and ask every endpoint again."""
    _catalog.clear()
    _models.clear()
    board().forget()


def endpoint_verdicts(engine: Engine, *, wait_s: float = 0.0) -> dict[int, tuple[str, Availability | None]]:
    """By endpoint id: its name and its latest verdict (``None`` while first asked)."""
    found = dict(_catalog(str(engine.url), _stamp(engine), engine))
    verdicts = board().verdicts(engine, list(found.values()), lookup_key, wait_s=wait_s)
    return {eid: (config.name, verdicts.get(config.name)) for eid, config in found.items()}


def model_options(engine: Engine, project_id: int | None, *, wait_s: float = 0.0) -> list[ModelOption]:
    """Every enabled model, each marked with why it cannot run (if it cannot) for the project."""
    found = dict(_catalog(str(engine.url), _stamp(engine), engine))
    verdicts = board().verdicts(engine, list(found.values()), lookup_key, wait_s=wait_s)
    project = project_records.get_project(engine, project_id) if project_id is not None else None
    options = []
    for model_id, endpoint_id, model, label in _models(str(engine.url), _stamp(engine), engine):
        config = found.get(endpoint_id)
        if config is None:
            continue
        verdict = verdicts.get(config.name)
        if project is not None and data_policy.check_outbound(project, config, []).blocked:
            problem = NOT_ALLOWED
        elif verdict is None:
            problem = CHECKING
        else:
            problem = verdict.problem if not verdict.ready else ""
        options.append(ModelOption(model_id, label, model, config, data_policy.is_offline(config), problem))
    return options
