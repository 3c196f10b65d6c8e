"""What a run is made of: cells (version × model with its call settings × row of values), and
their preparation into cells ready to send before any call is made.

Preparation reads the versions, models and endpoints once, renders every cell's messages and has
the gateway build one provider per endpoint (looking its key up in the caller's thread). A cell
that cannot be sent (a variable left empty, a disabled model) is prepared with a ``problem``:
the runner stores it as an error output without calling anyone, and the other cells go ahead.

A version with retrieval settings (``documents.context``) has its context variable filled here,
at plan time, with the project's passages that best match the row's question; the prepared
cell keeps those passages so its output records the context the model was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.documents.context import Retrieved, retrieve, settings_of
from workbench.errors import ConfigError, NotFound, TemplateError, WorkbenchError
from workbench.governance import pii
from workbench.models.endpoints import endpoint_config, model_target
from workbench.models.gateway import CallRequest, CallResult, Gateway, ModelTarget
from workbench.models.providers.interface import EndpointConfig, Message
from workbench.models.settings import CallSettings
from workbench.prompts.templates import PromptTemplate
from workbench.runs.outputs import cache_key
from workbench.store.engine import session_scope
from workbench.store.tables import Endpoint, ModelEntry, Output, Prompt, PromptVersion


@dataclass(frozen=True)
class ModelChoice:
    """One column: a model and the settings it runs with (``system_override`` replaces the
    version's system message for this column)."""

    model_id: int
    settings: CallSettings = field(default_factory=CallSettings)


@dataclass(frozen=True)
class RowInput:
    """One row of variable values, optionally a bench test case."""

    variables: Mapping[str, Any]
    test_case_id: int | None = None


@dataclass(frozen=True)
class Cell:
    """One call of a run. Usually a prompt version rendered with a row of values; a cell may
    instead carry its exact ``messages`` with no version (a generation or an optimizer's
    candidate): it is sent as is, and its output belongs to no version, so it never shows as a
    prompt's answer in the library, the review queue or the exports."""

    prompt_version_id: int | None
    model_id: int
    variables: Mapping[str, Any]
    settings: CallSettings = field(default_factory=CallSettings)
    row_index: int = 0
    column: int = 0
    test_case_id: int | None = None
    # The exact messages to send, when they were settled before the run (e.g. redacted after the
    # data-policy check); ``None`` renders the version's template with ``variables``.
    messages: tuple[Mapping[str, str], ...] | None = None

    @property
    def key(self) -> str:
        """Unique within a run: version, row and column."""
        return f"{self.prompt_version_id}/{self.row_index}/{self.column}"


def plan(version_ids: Sequence[int], models: Sequence[ModelChoice], rows: Sequence[RowInput]) -> list[Cell]:
    """Cells for versions × rows × models (a ``ModelChoice`` per column, a ``RowInput`` per row)."""
    return [
        Cell(
            prompt_version_id=version_id,
            model_id=choice.model_id,
            variables=dict(row.variables),
            settings=choice.settings,
            row_index=i,
            column=j,
            test_case_id=row.test_case_id,
        )
        for version_id in version_ids
        for i, row in enumerate(rows)
        for j, choice in enumerate(models)
    ]


@dataclass
class PreparedCell:
    """A cell ready to send: the rendered messages, the model they go to, and its cache key;
    or the ``problem`` that keeps it from being sent (stored as its output)."""

    cell: Cell
    title: str
    target: ModelTarget | None = None
    messages: list[Message] = field(default_factory=list)
    cache_key: str | None = None
    problem: WorkbenchError | None = None
    passages: list[dict[str, Any]] | None = None  # what retrieval put into the messages

    @property
    def endpoint(self) -> EndpointConfig | None:
        return self.target.endpoint if self.target else None

    def request(
        self, options_purpose: str, project_id: int, actor: str, evaluation_id: int | None
    ) -> CallRequest:
        assert self.target is not None
        return CallRequest(
            target=self.target,
            messages=tuple(dict(m) for m in self.messages),
            settings=self.cell.settings,
            purpose=options_purpose,
            project_id=project_id,
            actor=actor,
            evaluation_id=evaluation_id,
        )

    def output(self, run_id: int, result: CallResult) -> Output:
        """The output row of this cell for what its call (or its problem) came to."""
        return Output(
            run_id=run_id,
            prompt_version_id=self.cell.prompt_version_id,
            model_id=self.cell.model_id,
            test_case_id=self.cell.test_case_id,
            row_index=self.cell.row_index,
            endpoint_name=self.target.endpoint.name if self.target else "",
            provider=self.target.endpoint.provider if self.target else "",
            model_name=self.target.model if self.target else "",
            variables=dict(self.cell.variables),
            messages=[dict(m) for m in self.messages],
            params=self.cell.settings.to_dict(),
            text=result.text,
            status=result.status,
            error_kind=result.error_kind,
            error_message=result.error_message,
            cache_key=self.cache_key,
            passages=self.passages,
            **result.figures(),
        )

    def cached_copy(self, run_id: int, hit: Output) -> Output:
        """A cache hit: the earlier answer and its figures, marked as reused."""
        output = self.output(
            run_id,
            CallResult(
                text=hit.text,
                cost_usd=hit.cost_usd,
                latency_ms=hit.latency_ms,
                ttft_ms=hit.ttft_ms,
                tokens_in=hit.tokens_in,
                tokens_out=hit.tokens_out,
                finish_reason=hit.finish_reason,
            ),
        )
        output.cache_hit = True
        return output


class _Renderers:
    """One compiled renderer per (system, user) pair: compiling costs far more than rendering."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str], Callable[[Mapping[str, Any]], list[Message]]] = {}

    def render(self, version: PromptVersion, cell: Cell, context: Retrieved | None = None) -> list[Message]:
        override = cell.settings.system_override
        source = (version.system_template if override is None else override, version.user_template)
        if source not in self._compiled:
            self._compiled[source] = PromptTemplate(system=source[0], user=source[1]).renderer()
        variables = cell.variables
        settings = settings_of(version.params) if context is not None else None
        if settings is not None and context is not None:
            variables = {**cell.variables, settings.context_variable: context.text}
        return self._compiled[source](variables)


def _contexts(
    engine: Engine, versions: Mapping[int, PromptVersion], cells: Sequence[Cell]
) -> dict[str, Retrieved]:
    """The retrieved context of every cell whose version fills one, by cell key; a question asked
    in several columns is searched once."""
    wanted: list[tuple[Cell, PromptVersion]] = []
    for c in cells:
        version = versions.get(c.prompt_version_id) if c.prompt_version_id is not None else None
        if version is not None and settings_of(version.params) is not None:
            wanted.append((c, version))
    if not wanted:
        return {}
    found: dict[str, Retrieved] = {}
    memo: dict[tuple[int, str], Retrieved] = {}
    with session_scope(engine) as session:
        projects = dict(
            session.exec(
                select(PromptVersion.id, Prompt.project_id)
                .join(Prompt, col(Prompt.id) == PromptVersion.prompt_id)
                .where(col(PromptVersion.id).in_({v.id for _, v in wanted}))
            ).all()
        )
        for cell, version in wanted:
            settings = settings_of(version.params)
            assert settings is not None and version.id is not None
            key = (version.id, str(cell.variables.get(settings.query_variable) or ""))
            if key not in memo:
                memo[key] = retrieve(session, projects[version.id], settings, cell.variables)
            found[cell.key] = memo[key]
    return found


def _load(
    engine: Engine, cells: Sequence[Cell]
) -> tuple[dict[int, PromptVersion], dict[int, ModelEntry], dict[int, Endpoint]]:
    """The versions, models and endpoints the cells use, read once (detached rows by id)."""
    version_ids = {c.prompt_version_id for c in cells}
    model_ids = {c.model_id for c in cells}
    with session_scope(engine) as session:
        versions = {
            v.id: v for v in session.exec(select(PromptVersion).where(col(PromptVersion.id).in_(version_ids)))
        }
        models = {m.id: m for m in session.exec(select(ModelEntry).where(col(ModelEntry.id).in_(model_ids)))}
        endpoint_ids = {m.endpoint_id for m in models.values()}
        endpoints = {
            e.id: e for e in session.exec(select(Endpoint).where(col(Endpoint.id).in_(endpoint_ids)))
        }
    return versions, models, endpoints  # type: ignore[return-value]


@dataclass(frozen=True)
class Outbound:
    """What one endpoint would receive from a run: cell keys and their rendered messages."""

    endpoint: EndpointConfig
    keys: tuple[str, ...]
    messages: tuple[list[Message], ...]


def outbound(engine: Engine, cells: Sequence[Cell]) -> list[Outbound]:
    """The cells' messages grouped by the endpoint they would go to, for the data-policy check a
    page shows before a run. Cells that cannot be sent (no model, template error) are left out:
    the run stores them as errors without calling anyone."""
    versions, models, endpoints = _load(engine, cells)
    contexts = _contexts(engine, versions, cells)
    renderers = _Renderers()
    groups: dict[str, tuple[EndpointConfig, list[str], list[list[Message]]]] = {}
    for cell in cells:
        model = models.get(cell.model_id)
        endpoint = endpoints.get(model.endpoint_id) if model else None
        version = versions.get(cell.prompt_version_id) if cell.prompt_version_id is not None else None
        if model is None or endpoint is None or (version is None and cell.messages is None):
            continue
        try:
            messages = (
                [dict(m) for m in cell.messages]
                if cell.messages is not None
                else renderers.render(version, cell, contexts.get(cell.key))  # type: ignore[arg-type]
            )
        except TemplateError:
            continue
        config = endpoint_config(endpoint)
        group = groups.setdefault(config.name, (config, [], []))
        group[1].append(cell.key)
        group[2].append(messages)
    return [Outbound(config, tuple(keys), tuple(msgs)) for config, keys, msgs in groups.values()]


def with_messages(
    cells: Sequence[Cell],
    messages: Mapping[str, Sequence[Message]],
    redactors: Mapping[str, pii.Redactor] | None = None,
) -> list[Cell]:
    """The cells, each with the messages settled for its key (e.g. redacted) fixed on it. A cell
    whose messages were redacted comes with its ``redactors`` entry: its variable values are
    redacted with the same placeholders, so the stored output keeps no value that was not sent."""
    redactors = redactors or {}
    out = []
    for cell in cells:
        if cell.key in messages:
            cell = replace(cell, messages=tuple(dict(m) for m in messages[cell.key]))
        if cell.key in redactors:
            variables = {k: pii.redact_value(redactors[cell.key], v) for k, v in cell.variables.items()}
            cell = replace(cell, variables=variables)
        out.append(cell)
    return out


def prepare(engine: Engine, cells: Sequence[Cell], gateway: Gateway) -> list[PreparedCell]:
    """The cells ready to send; the gateway builds one provider per endpoint used, looking its
    key up now (in the caller's thread, so a page's secrets are used)."""
    versions, models, endpoints = _load(engine, cells)
    contexts = _contexts(engine, versions, cells)
    renderers = _Renderers()
    targets = []
    for cell in cells:
        model = models.get(cell.model_id)
        endpoint = endpoints.get(model.endpoint_id) if model else None
        title = f"{endpoint.name} · {model.model}" if model and endpoint else f"model #{cell.model_id}"
        target = PreparedCell(
            cell=cell, title=(model.display_name if model and model.display_name else title)
        )
        try:
            if model is None or endpoint is None:
                raise NotFound(f"Model #{cell.model_id} no longer exists. Pick another model.")
            if not (model.enabled and endpoint.enabled):
                raise ConfigError(f"{title} is disabled. Enable it in Settings, or pick another model.")
            target.target = model_target(model, endpoint)
            gateway.provider(target.target.endpoint)
            context = contexts.get(cell.key)
            if context is not None:  # also when the messages were settled (redacted) with it
                target.passages = context.traces()
            if cell.messages is not None:
                target.messages = [dict(m) for m in cell.messages]
            else:
                version = versions.get(cell.prompt_version_id) if cell.prompt_version_id is not None else None
                if version is None:
                    raise NotFound(f"Version #{cell.prompt_version_id} does not exist.")
                target.messages = renderers.render(version, cell, context)
            config = target.target.endpoint
            target.cache_key = cache_key(
                endpoint=(config.name, config.provider, config.base_url),
                model=model.model,
                params=cell.settings.to_dict(),
                messages=target.messages,
            )
        except WorkbenchError as exc:
            target.problem = exc
        targets.append(target)
    return targets
