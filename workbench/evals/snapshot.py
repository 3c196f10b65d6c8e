"""The evaluation config snapshot: exactly what an evaluation used, as a dataclass and JSON.

``snapshot_config`` freezes the versions' templates and parameters, the models (endpoint,
provider, model id, prices), the cases with their assertions, the call-parameter overrides, the
judge and the limits. A rerun from the snapshot does not depend on what was edited since, and
everything that could not run (a case missing a version's variable, a judge assertion without a
judge model, too many versions or models) is refused before anything is called.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.documents.context import filled_variables
from workbench.errors import InvalidInput, NotFound
from workbench.evals.assertions import validate_assertions
from workbench.models.settings import STORED_SETTINGS, CallSettings
from workbench.prompts.templates import PromptTemplate, missing_variables
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch, id_of
from workbench.store.tables import Endpoint, ModelEntry, Prompt, PromptVersion, TestCase

MAX_VERSIONS, MAX_MODELS = 4, 6
# The judge grades: the same answer every time, and briefly (its settings, not the defaults).
JUDGE_CALL = CallSettings(temperature=0.0, max_tokens=300)


@dataclass(frozen=True)
class VersionSnapshot:
    id: int
    number: int
    system_template: str
    user_template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"v{self.number}"


@dataclass(frozen=True)
class ModelSnapshot:
    id: int
    endpoint: str
    provider: str
    model: str
    label: str
    price_input_per_mtok: float = 0.0
    price_output_per_mtok: float = 0.0
    base_url: str | None = None  # for the record; calls use the endpoint's current settings and key
    params: dict[str, Any] = field(default_factory=dict)  # this model's overrides (e.g. its temperature)


@dataclass(frozen=True)
class CaseSnapshot:
    id: int
    name: str
    variables: dict[str, Any]
    expected: str | None
    assertions: list[dict[str, Any]]

    def as_case(self, prompt_id: int, position: int) -> TestCase:
        return TestCase(
            id=self.id,
            prompt_id=prompt_id,
            position=position,
            name=self.name,
            variables=self.variables,
            expected=self.expected,
            assertions=self.assertions,
        )


@dataclass(frozen=True)
class JudgeSettings:
    """The suite's judge: a model named by endpoint and id, and its call settings."""

    endpoint: str
    model: str
    params: dict[str, Any] = field(default_factory=JUDGE_CALL.to_dict)

    @property
    def settings(self) -> CallSettings:
        return CallSettings.from_dict(self.params)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JudgeSettings:
        """Also reads snapshots written before settings had one definition (temperature and
        max_tokens stored beside the model)."""
        older: dict[str, Any] = {k: data[k] for k in ("temperature", "max_tokens") if k in data}
        params = data.get("params") or (JUDGE_CALL.merged(older).to_dict() if older else JUDGE_CALL.to_dict())
        return cls(data["endpoint"], data["model"], dict(params))


@dataclass(frozen=True)
class EvaluationConfig:
    """Everything an evaluation used; ``to_json``/``from_json`` round-trip exactly."""

    prompt_id: int
    prompt_name: str
    versions: tuple[VersionSnapshot, ...]
    models: tuple[ModelSnapshot, ...]
    cases: tuple[CaseSnapshot, ...]
    params: dict[str, Any] = field(default_factory=dict)  # overrides for every call
    judge: JudgeSettings | None = None
    concurrency: int = 4
    min_pass_rate: float | None = None
    format: int = 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvaluationConfig:
        judge = data.get("judge")
        return cls(
            **{k: v for k, v in data.items() if k not in {"versions", "models", "cases", "judge"}},
            versions=tuple(VersionSnapshot(**v) for v in data["versions"]),
            models=tuple(ModelSnapshot(**m) for m in data["models"]),
            cases=tuple(CaseSnapshot(**c) for c in data["cases"]),
            judge=JudgeSettings.from_json(judge) if judge else None,
        )

    def call_settings(self, version: VersionSnapshot, model: ModelSnapshot | None = None) -> CallSettings:
        """What a call of ``version`` on ``model`` sends: the version's saved settings, then the
        overrides for every call, then the model's own."""
        return CallSettings.from_dict(version.params).merged(self.params, model.params if model else None)

    def test_cases(self) -> list[TestCase]:
        return [case.as_case(self.prompt_id, i) for i, case in enumerate(self.cases)]

    @property
    def size(self) -> str:
        return matrix_size(len(self.cases), len(self.versions), len(self.models))

    def labels(self) -> dict[str, dict[int, str]]:
        return {
            "versions": {v.id: v.label for v in self.versions},
            "models": {m.id: m.label for m in self.models},
            "cases": {c.id: c.name or f"Case {i + 1}" for i, c in enumerate(self.cases)},
        }


def matrix_size(cases: int, versions: int, models: int) -> str:
    """ "10 cases × 2 versions × 1 model = 20 calls" """

    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'' if n == 1 else 's'}"

    parts = (count(cases, "case"), count(versions, "version"), count(models, "model"))
    return f"{' × '.join(parts)} = {count(cases * versions * models, 'call')}"


def _check_params(params: dict[str, Any]) -> None:
    unknown = set(params) - set(STORED_SETTINGS)
    if unknown:
        raise InvalidInput(f"Unknown call parameter(s) {', '.join(sorted(unknown))}.", field="params")
    CallSettings.from_dict(params)  # each value in its range, or refused naming it


def _check_limits(
    version_ids: list[int],
    model_ids: list[int],
    params: dict[str, Any],
    model_params: dict[int, dict[str, Any]],
) -> None:
    if not 1 <= len(version_ids) <= MAX_VERSIONS:
        raise InvalidInput(f"Pick 1 to {MAX_VERSIONS} versions (got {len(version_ids)}).", field="versions")
    if not 1 <= len(model_ids) <= MAX_MODELS:
        raise InvalidInput(f"Pick 1 to {MAX_MODELS} models (got {len(model_ids)}).", field="models")
    if len(set(version_ids)) != len(version_ids) or len(set(model_ids)) != len(model_ids):
        raise InvalidInput("Each version and each model can be chosen once.", field="models")
    _check_params(params)
    for own in model_params.values():
        _check_params(own)


def snapshot_config(
    engine: Engine,
    *,
    prompt_id: int,
    version_ids: list[int],
    model_ids: list[int],
    params: dict[str, Any] | None = None,
    model_params: dict[int, dict[str, Any]] | None = None,
    judge: JudgeSettings | None = None,
    concurrency: int = 4,
    min_pass_rate: float | None = None,
) -> EvaluationConfig:
    """Freeze what an evaluation will use, refusing up front what could not run.

    ``params`` apply to every call; ``model_params`` (by model id) to one model's calls."""
    params = dict(params or {})
    model_params = dict(model_params or {})
    _check_limits(version_ids, model_ids, params, model_params)
    with session_scope(engine) as session:
        prompt = fetch(session, Prompt, prompt_id)
        versions = [session.get(PromptVersion, vid) for vid in version_ids]
        if any(v is None or v.prompt_id != prompt_id for v in versions):
            raise NotFound("One of the chosen versions is not a version of this prompt.")
        models = []
        for mid in model_ids:
            entry = session.get(ModelEntry, mid)
            endpoint = session.get(Endpoint, entry.endpoint_id) if entry else None
            if entry is None or endpoint is None:
                raise NotFound(f"Model {mid} does not exist.")
            label = entry.display_name or f"{endpoint.name} · {entry.model}"
            models.append(
                ModelSnapshot(
                    mid,
                    endpoint.name,
                    endpoint.provider,
                    entry.model,
                    label,
                    entry.price_input_per_mtok,
                    entry.price_output_per_mtok,
                    endpoint.base_url,
                    dict(model_params.get(mid, {})),
                )
            )
        query = select(TestCase).where(TestCase.prompt_id == prompt_id)
        cases = list(session.exec(query.order_by(col(TestCase.position), col(TestCase.id))))
        if (
            judge is not None
            and session.exec(select(Endpoint).where(Endpoint.name == judge.endpoint)).first() is None
        ):
            raise NotFound(f"The judge's endpoint '{judge.endpoint}' does not exist.")
    if not cases:
        raise InvalidInput("This prompt has no test cases yet: add some on the Bench page.", field="cases")
    for case in cases:
        label = case.name or f"case {case.position + 1}"
        try:
            validate_assertions(case.assertions, case.expected)
        except InvalidInput as exc:
            raise InvalidInput(f"Case '{label}': {exc}", field="cases") from None
        if judge is None and any(a.get("type") == "llm_judge" for a in case.assertions):
            raise InvalidInput(
                f"Case '{label}' has an llm_judge assertion: choose a judge model.", field="judge"
            )
        for v in versions:
            filled = dict.fromkeys(filled_variables(v.params), "retrieved")  # type: ignore[union-attr]
            missing = missing_variables(
                PromptTemplate(v.system_template, v.user_template),  # type: ignore[union-attr]
                {**filled, **case.variables},
            )
            if missing:
                raise InvalidInput(
                    f"Version {v.number} needs {', '.join(missing)}, which case '{label}' "  # type: ignore[union-attr]
                    "does not fill.",
                    field="cases",
                )
    return EvaluationConfig(
        prompt_id=prompt_id,
        prompt_name=prompt.name,
        versions=tuple(
            VersionSnapshot(v.id, v.number, v.system_template, v.user_template, dict(v.params or {}))  # type: ignore[union-attr,arg-type]
            for v in versions
        ),
        models=tuple(models),
        cases=tuple(
            CaseSnapshot(id_of(c), c.name, dict(c.variables), c.expected, list(c.assertions)) for c in cases
        ),
        params=params,
        judge=judge,
        concurrency=concurrency,
        min_pass_rate=min_pass_rate,
    )
