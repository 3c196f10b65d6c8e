"""What a run is made of: cells (version × model with parameters × row of values), and their
preparation into ready-to-send targets before any call is made.

Preparation reads the versions, models and endpoints once, renders every cell's messages and
builds one provider per endpoint (looking its key up in the caller's thread). A cell that cannot
be sent (a variable left empty, a disabled model) becomes a target with a ``problem``: the
runner stores it as an error output without calling anyone, and the other cells go ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.errors import ConfigError, NotFound, TemplateError, WorkbenchError
from workbench.models.endpoints import endpoint_config
from workbench.models.providers.interface import (
    ChatRequest,
    EndpointConfig,
    KeyLookup,
    Message,
    Provider,
    redact,
)
from workbench.models.providers.registry import build_provider
from workbench.prompts.templates import PromptTemplate
from workbench.runs.outputs import cache_key
from workbench.store.engine import session_scope
from workbench.store.tables import Endpoint, ModelEntry, Output, PromptVersion

DEFAULT_MAX_TOKENS = 512


@dataclass(frozen=True)
class CallParams:
    """Per-model settings of a run. ``system_override`` replaces the version's system message."""

    temperature: float | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    system_override: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.system_override:
            out["system_override"] = self.system_override
        return out

    @classmethod
    def from_version(cls, params: Mapping[str, Any] | None) -> CallParams:
        """The version's saved defaults (temperature, max_tokens), when it has any."""
        params = params or {}
        temperature = params.get("temperature")
        return cls(
            temperature=float(temperature) if temperature is not None else None,
            max_tokens=int(params.get("max_tokens") or DEFAULT_MAX_TOKENS),
        )


@dataclass(frozen=True)
class ModelChoice:
    """One column: a model and the parameters it runs with."""

    model_id: int
    params: CallParams = field(default_factory=CallParams)


@dataclass(frozen=True)
class RowInput:
    """One row of variable values, optionally a bench test case."""

    variables: Mapping[str, Any]
    test_case_id: int | None = None


@dataclass(frozen=True)
class Cell:
    prompt_version_id: int
    model_id: int
    variables: Mapping[str, Any]
    params: CallParams = field(default_factory=CallParams)
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
            params=choice.params,
            row_index=i,
            column=j,
            test_case_id=row.test_case_id,
        )
        for version_id in version_ids
        for i, row in enumerate(rows)
        for j, choice in enumerate(models)
    ]


@dataclass
class Target:
    """A prepared cell: the rendered messages, where they go, and what the model costs."""

    cell: Cell
    title: str
    endpoint: EndpointConfig | None = None
    provider: str = ""
    model_name: str = ""
    price_in: float = 0.0
    price_out: float = 0.0
    messages: list[Message] = field(default_factory=list)
    cache_key: str | None = None
    problem: WorkbenchError | None = None

    def request(self) -> ChatRequest:
        return ChatRequest(
            model=self.model_name,
            messages=self.messages,
            temperature=self.cell.params.temperature,
            max_tokens=self.cell.params.max_tokens,
        )

    def output(
        self,
        run_id: int,
        *,
        status: str,
        text: str = "",
        error: WorkbenchError | None = None,
        error_kind: str | None = None,
        error_message: str | None = None,
        secret: str | None = None,
        cost: float | None = None,
        **figures: Any,
    ) -> Output:
        """The output row for this cell; an error's message is stored with any key removed."""
        if error is not None:
            error_kind = error_kind or _kind(error)
            error_message = redact(str(error), secret)
        return Output(
            run_id=run_id,
            prompt_version_id=self.cell.prompt_version_id,
            model_id=self.cell.model_id,
            test_case_id=self.cell.test_case_id,
            row_index=self.cell.row_index,
            endpoint_name=self.endpoint.name if self.endpoint else "",
            provider=self.provider,
            model_name=self.model_name,
            variables=dict(self.cell.variables),
            messages=[dict(m) for m in self.messages],
            params=self.cell.params.as_dict(),
            text=text,
            status=status,
            error_kind=error_kind,
            error_message=error_message,
            cost_usd=cost,
            cache_key=self.cache_key,
            **figures,
        )

    def cached_copy(self, run_id: int, hit: Output) -> Output:
        """A cache hit: the earlier answer and its figures, marked as reused."""
        return self.output(
            run_id,
            status="ok",
            text=hit.text,
            cost=hit.cost_usd,
            latency_ms=hit.latency_ms,
            ttft_ms=hit.ttft_ms,
            tokens_in=hit.tokens_in,
            tokens_out=hit.tokens_out,
            finish_reason=hit.finish_reason,
            cache_hit=True,
        )


def _kind(error: WorkbenchError) -> str:
    if isinstance(error, TemplateError):
        return "template"
    return str(getattr(error, "kind", "config"))


class _Renderers:
    """One compiled renderer per (system, user) pair: compiling costs far more than rendering."""

    def __init__(self) -> None:
        self._compiled: dict[tuple[str, str], Callable[[Mapping[str, Any]], list[Message]]] = {}

    def render(self, version: PromptVersion, cell: Cell) -> list[Message]:
        override = cell.params.system_override
        source = (version.system_template if override is None else override, version.user_template)
        if source not in self._compiled:
            self._compiled[source] = PromptTemplate(system=source[0], user=source[1]).renderer()
        return self._compiled[source](cell.variables)


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
    renderers = _Renderers()
    groups: dict[str, tuple[EndpointConfig, list[str], list[list[Message]]]] = {}
    for cell in cells:
        model = models.get(cell.model_id)
        endpoint = endpoints.get(model.endpoint_id) if model else None
        version = versions.get(cell.prompt_version_id)
        if model is None or endpoint is None or version is None:
            continue
        try:
            messages = (
                [dict(m) for m in cell.messages]
                if cell.messages is not None
                else renderers.render(version, cell)
            )
        except TemplateError:
            continue
        config = endpoint_config(endpoint)
        group = groups.setdefault(config.name, (config, [], []))
        group[1].append(cell.key)
        group[2].append(messages)  # type: ignore[arg-type]
    return [Outbound(config, tuple(keys), tuple(msgs)) for config, keys, msgs in groups.values()]


def with_messages(cells: Sequence[Cell], messages: Mapping[str, Sequence[Message]]) -> list[Cell]:
    """The cells, each with the messages settled for its key (e.g. redacted) fixed on it."""
    return [
        replace(c, messages=tuple(dict(m) for m in messages[c.key])) if c.key in messages else c
        for c in cells
    ]


def prepare(
    engine: Engine, cells: Sequence[Cell], lookup: KeyLookup
) -> tuple[list[Target], dict[str, Provider]]:
    """Targets for ``cells`` and one provider per endpoint used (keys looked up now)."""
    versions, models, endpoints = _load(engine, cells)
    providers: dict[str, Provider] = {}
    broken: dict[str, WorkbenchError] = {}
    renderers = _Renderers()
    targets = []
    for cell in cells:
        model = models.get(cell.model_id)
        endpoint = endpoints.get(model.endpoint_id) if model else None
        title = f"{endpoint.name} · {model.model}" if model and endpoint else f"model #{cell.model_id}"
        target = Target(cell=cell, title=(model.display_name if model and model.display_name else title))
        try:
            if model is None or endpoint is None:
                raise NotFound(f"Model #{cell.model_id} no longer exists. Pick another model.")
            if not (model.enabled and endpoint.enabled):
                raise ConfigError(f"{title} is disabled. Enable it in Settings, or pick another model.")
            config = endpoint_config(endpoint)
            target.endpoint, target.provider, target.model_name = config, endpoint.provider, model.model
            target.price_in, target.price_out = model.price_input_per_mtok, model.price_output_per_mtok
            if config.name in broken:
                raise broken[config.name]
            if config.name not in providers:
                try:
                    providers[config.name] = build_provider(config, lookup)
                except WorkbenchError as exc:
                    broken[config.name] = exc
                    raise
            version = versions.get(cell.prompt_version_id)
            if version is None:
                raise NotFound(f"Version #{cell.prompt_version_id} does not exist.")
            if cell.messages is not None:
                target.messages = [dict(m) for m in cell.messages]  # type: ignore[misc]
            else:
                target.messages = renderers.render(version, cell)
            target.cache_key = cache_key(
                endpoint=(config.name, config.provider, config.base_url),
                model=model.model,
                params=cell.params.as_dict(),
                messages=target.messages,
            )
        except WorkbenchError as exc:
            target.problem = exc
        targets.append(target)
    return targets, providers
