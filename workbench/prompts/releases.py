"""Releases: what a label serves, a prompt version with the model it runs on and its settings.

The source talk's point is that the model behind a prompt must be swappable and the swap
reversible ("pull the old engine out, put the new engine in … pull that one up, put the previous
one back in"). So a label does not point at a template alone: it points at a release, and moving
or rolling back the label moves the version, the model and the settings together.

- A release's model is an endpoint's name and a model id, as an ``Output`` snapshots them, so a
  release still reads correctly after Settings change. No model means "the caller chooses": the
  application names one when it calls (every label made before releases existed is such one).
- Releases are immutable and shared: ``release_for`` finds the release with the same version,
  model and settings (by ``fingerprint``) before it makes one, so moving a label back returns to
  the very row the Monitor already has figures for.
- ``resolve_release`` is what ``workbench.get_prompt`` reads: the release as an application
  uses it (``PromptRelease``), by label or by version number.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workbench.errors import InvalidInput, NotFound
from workbench.models.endpoints import find_endpoint_in
from workbench.models.providers.registry import provider_class
from workbench.models.settings import CallSettings
from workbench.prompts.templates import Message, PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.release_tables import Release
from workbench.store.tables import Label, Project, Prompt, PromptVersion

CALLER_CHOOSES = "the caller chooses"


@dataclass(frozen=True)
class ReleaseModel:
    """A model as a release names it: the endpoint's name (as in Settings) and the model id."""

    endpoint_name: str
    model_name: str

    @property
    def label(self) -> str:
        return f"{self.endpoint_name} · {self.model_name}"


def model_text(endpoint_name: str | None, model_name: str | None) -> str:
    """ "Local fake server · fake-large", or "the caller chooses" for a release without a model."""
    if not model_name:
        return CALLER_CHOOSES
    return f"{endpoint_name} · {model_name}" if endpoint_name else model_name


def model_of(release: Release) -> ReleaseModel | None:
    if not release.model_name:
        return None
    return ReleaseModel(release.endpoint_name or "", release.model_name)


def fingerprint(
    version_id: int, endpoint_name: str | None, model_name: str | None, settings: dict[str, Any]
) -> str:
    """The identity of a release. Migration ``0006_releases`` froze a copy of this formula for
    the releases it made; change both or neither."""
    raw = json.dumps(
        [version_id, endpoint_name, model_name, settings],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def release_text(release: Release, version_number: int) -> str:
    """ "v2 · Local fake server · fake-large · temperature 0.3 · max 300 tokens" """
    return f"v{version_number} · {model_text(release.endpoint_name, release.model_name)} · {settings_text(release)}"


def settings_text(release: Release) -> str:
    try:
        return CallSettings.from_dict(release.settings).summary()
    except InvalidInput:  # a migrated release keeps its version's settings as they were saved
        return ", ".join(f"{k} {v}" for k, v in sorted(release.settings.items())) or "no settings"


def _checked_settings(version: PromptVersion, settings: CallSettings | None) -> CallSettings:
    chosen = settings if settings is not None else CallSettings.from_dict(version.params)
    if chosen.system_override:
        raise InvalidInput(
            "A release sends its version's own system message; save a new version to change it.",
            field="system_override",
        )
    return chosen


def _checked_model(session: Session, model: ReleaseModel, settings: CallSettings) -> ReleaseModel:
    endpoint_name, model_name = model.endpoint_name.strip(), model.model_name.strip()
    if not model_name:
        raise InvalidInput(
            "Name the model, e.g. gpt-4o-mini, or leave the choice to the caller.", field="model"
        )
    endpoint = find_endpoint_in(session, endpoint_name)
    if endpoint is None:
        raise NotFound(f"There is no endpoint named '{endpoint_name}': pick one listed in Settings.")
    problem = provider_class(endpoint.provider).unsupported(settings)
    if problem:
        raise InvalidInput(f"{endpoint_name}: {problem}", field="settings")
    return ReleaseModel(endpoint_name, model_name)


def release_for(
    session: Session,
    version: PromptVersion,
    *,
    model: ReleaseModel | None,
    settings: CallSettings | None,
    actor: str,
) -> Release:
    """The release of ``version`` on ``model`` (``None``: the caller chooses) with ``settings``
    (``None``: the version's own saved settings), found or made inside the caller's
    transaction. The model's endpoint must exist and accept the settings."""
    chosen = _checked_settings(version, settings)
    if model is not None:
        model = _checked_model(session, model, chosen)
    stored = chosen.to_dict()
    endpoint_name = model.endpoint_name if model else None
    model_name = model.model_name if model else None
    key = fingerprint(id_of(version), endpoint_name, model_name, stored)
    query = select(Release).where(Release.prompt_id == version.prompt_id, Release.fingerprint == key)
    existing = session.exec(query).first()
    if existing is not None:
        return existing
    release = Release(
        prompt_id=version.prompt_id,
        version_id=id_of(version),
        endpoint_name=endpoint_name,
        model_name=model_name,
        settings=stored,
        fingerprint=key,
        created_by=actor,
    )
    try:
        with session.begin_nested():  # someone made the same release a moment ago: use theirs
            session.add(release)
    except IntegrityError:
        return session.exec(query).one()
    return release


# ---- the Python API for applications ---------------------------------------------------------


@dataclass(frozen=True)
class PromptRelease:
    """A release as an application uses it: ``get_prompt(...).render(**variables)``, the model
    (``None``: the caller chooses) and the settings to call it with."""

    name: str
    version: int
    version_id: int
    label: str | None
    system_template: str
    user_template: str
    params: dict[str, Any] = field(default_factory=dict)
    prompt_id: int = 0
    project_id: int = 0
    release_id: int | None = None  # None when fetched by version number
    model: ReleaseModel | None = None

    @property
    def template(self) -> PromptTemplate:
        return PromptTemplate(system=self.system_template, user=self.user_template)

    @property
    def variables(self) -> list[str]:
        return self.template.variables()

    @property
    def settings(self) -> CallSettings:
        return CallSettings.from_dict(self.params)

    def render(self, **variables: Any) -> list[Message]:
        return self.template.render(variables)


def _find_prompt(session: Session, name: str, project: str | None) -> Prompt:
    query = select(Prompt).where(Prompt.name == name)
    if project is not None:
        query = query.join(Project, col(Project.id) == Prompt.project_id).where(Project.name == project)
    prompts = list(session.exec(query))
    if not prompts:
        raise NotFound(f"No prompt named '{name}'" + (f" in project '{project}'." if project else "."))
    if len(prompts) > 1:
        raise InvalidInput(
            f"Several projects have a prompt named '{name}'; pass project=... to choose one.",
            field="project",
        )
    return prompts[0]


def _labelled(session: Session, prompt: Prompt, label: str) -> Release:
    found = session.exec(select(Label).where(Label.prompt_id == prompt.id, Label.name == label)).first()
    if found is None:
        names = [lb.name for lb in session.exec(select(Label).where(Label.prompt_id == prompt.id))]
        known = ", ".join(sorted(names)) or "none yet"
        raise NotFound(f"Prompt '{prompt.name}' has no label '{label}' (labels: {known}).")
    return fetch(session, Release, found.release_id)


def resolve_release(
    engine: Engine,
    name: str,
    *,
    label: str | None = "production",
    version: int | None = None,
    project: str | None = None,
) -> PromptRelease:
    """Prompt ``name`` (in ``project`` when given) at ``version``, or the release ``label``
    points at (version, model and settings)."""
    with session_scope(engine) as session:
        prompt = _find_prompt(session, name, project)
        release: Release | None = None
        if version is not None:
            row = session.exec(
                select(PromptVersion).where(
                    PromptVersion.prompt_id == prompt.id, PromptVersion.number == version
                )
            ).first()
            if row is None:
                raise NotFound(f"Prompt '{name}' has no version {version}.")
            params = dict(row.params or {})
        else:
            if label is None:
                raise InvalidInput("Give a label or a version number.", field="label")
            release = _labelled(session, prompt, label)
            row = fetch(session, PromptVersion, release.version_id)
            params = dict(release.settings or {})
        return PromptRelease(
            name=prompt.name,
            version=row.number,
            version_id=id_of(row),
            label=label if release is not None else None,
            system_template=row.system_template,
            user_template=row.user_template,
            params=params,
            prompt_id=id_of(prompt),
            project_id=prompt.project_id,
            release_id=release.id if release is not None else None,
            model=model_of(release) if release is not None else None,
        )
