"""Naming what to evaluate in plain text (the CLI): a prompt, its versions or labels, models.

A model is written as ``ENDPOINT/MODEL`` (or ``ENDPOINT:MODEL``), the endpoint's name as in
Settings and the model id (``Local fake server/fake-large``, ``OpenAI:gpt-4o-mini``), or as the bare model id when only
one enabled endpoint lists it (``fake-large``). The label the pages show
(``Local fake server · fake-large``, or a model's display name) works too. Only the text before
the first ``/`` (or ``:``) is tried as an endpoint name, so model ids that contain slashes or
colons (``meta-llama/llama-3.1-8b``, ``llama3:8b``) still work on their own.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from workbench.errors import InvalidInput, NotFound
from workbench.evals.snapshot import JudgeSettings
from workbench.models.endpoints import list_endpoints, list_models, model_label
from workbench.projects import project_records
from workbench.prompts import releases, versions
from workbench.store.lookup import id_of
from workbench.store.tables import Endpoint, ModelEntry, Prompt

Selector = tuple[str, "int | str"]  # ("version", 2) or ("label", "production")


def find_prompt(engine: Engine, name: str, project: str | None = None) -> Prompt:
    project_id = None
    if project is not None:
        found = project_records.find_project(engine, project)
        if found is None:
            known = ", ".join(sorted(p.name for p in project_records.list_projects(engine))) or "none"
            raise NotFound(f"No project named '{project}' (projects: {known}).")
        project_id = found.id
    prompts = [p for p in versions.list_prompts(engine, project_id) if p.name == name]
    if not prompts:
        known = ", ".join(sorted({p.name for p in versions.list_prompts(engine, project_id)})) or "none"
        where = f" in project '{project}'" if project else ""
        raise NotFound(f"No prompt named '{name}'{where} (prompts: {known}).")
    if len(prompts) > 1:
        names = ", ".join(sorted(project_records.get_project(engine, p.project_id).name for p in prompts))
        raise InvalidInput(
            f"Several projects have a prompt named '{name}' ({names}): name the project.", field="project"
        )
    return prompts[0]


def version_ids(engine: Engine, prompt: Prompt, selectors: Sequence[Selector]) -> list[int]:
    """The chosen versions, each once, oldest first whatever order they were named in: the
    regressions report reads "passes in v1 but fails in v2", so the earlier version comes first."""
    if not selectors:
        raise InvalidInput("Choose at least one version (--version N) or label (--label L).", field="version")
    project = project_records.get_project(engine, prompt.project_id).name
    chosen: dict[int, int] = {}  # version id -> number
    for kind, value in selectors:
        if kind == "version":
            release = releases.resolve_release(engine, prompt.name, version=int(value), project=project)
        else:
            release = releases.resolve_release(engine, prompt.name, label=str(value), project=project)
        chosen[release.version_id] = release.version
    return sorted(chosen, key=chosen.__getitem__)


def _enabled(engine: Engine) -> list[tuple[ModelEntry, Endpoint]]:
    endpoints = {e.id: e for e in list_endpoints(engine, include_disabled=False)}
    return [
        (m, endpoints[m.endpoint_id])
        for m in list_models(engine, enabled_only=True)
        if m.endpoint_id in endpoints
    ]


def _model(name: str, enabled: list[tuple[ModelEntry, Endpoint]]) -> tuple[ModelEntry, Endpoint]:
    text = name.strip()
    splits = {(endpoint.strip(), model.strip()) for endpoint, _, model in (text.partition(s) for s in "/:")}
    exact = [(m, e) for m, e in enabled if (e.name, m.model) in splits]  # ENDPOINT/MODEL or ENDPOINT:MODEL
    labelled = [(m, e) for m, e in enabled if model_label(m, e) == text]
    bare = [(m, e) for m, e in enabled if m.model == text]
    for found in (exact, labelled, bare):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            options = ", ".join(f"{e.name}/{m.model}" for m, e in found)
            raise InvalidInput(
                f"Model '{text}' is listed by several endpoints: write one of {options}.", field="models"
            )
    options = ", ".join(f"{e.name}/{m.model}" for m, e in enabled) or "none"
    raise NotFound(f"No enabled model '{text}'. Write ENDPOINT/MODEL; enabled models: {options}.")


def model_ids(engine: Engine, names: Sequence[str]) -> list[int]:
    """Model entry ids for names such as ``Local fake server/fake-large`` (see the module doc)."""
    enabled = _enabled(engine)
    chosen: list[int] = []
    for name in names:
        if not name.strip():
            continue
        entry, _ = _model(name, enabled)
        if entry.id not in chosen:
            chosen.append(id_of(entry))
    if not chosen:
        raise InvalidInput("Choose at least one model.", field="models")
    return chosen


def judge_named(engine: Engine, name: str) -> JudgeSettings:
    entry, endpoint = _model(name, _enabled(engine))
    return JudgeSettings(endpoint.name, entry.model)
