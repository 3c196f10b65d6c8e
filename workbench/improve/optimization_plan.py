"""What an optimization will do before it does it: the bench it tests on, the split into training
and held-out cases, the model that proposes edits, the search's size, and its calls and cost.

The bench is an evaluation snapshot (``workbench.evals.snapshot``) of one version on one model,
so the same checks refuse the same broken benches (an invalid check, a rubric check without a
judge, a case that does not fill the version's variables), the same data-policy check and
redaction apply (``workbench.evals.outbound``), and what was tested stays readable after the
cases are edited.

The split is seeded: the same seed gives the same shares, so a run can be repeated and two runs
compared. Held-out cases are never shown to the proposing model and never used to choose among
candidates; they only confirm the chosen one.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import col, select

from workbench.errors import InvalidInput
from workbench.evals import outbound
from workbench.evals.judge import JUDGE_SYSTEM
from workbench.evals.snapshot import EvaluationConfig, JudgeSettings, snapshot_config
from workbench.governance import data_policy
from workbench.improve import budget, candidates
from workbench.improve.rewrite import Feedback
from workbench.models.endpoints import target_named, target_of_model
from workbench.prompts.templates import Message, PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.tables import Output

LIMITS = {"per_round": (1, 8), "rounds": (1, 6), "train_share": (0.3, 0.9)}
TYPICAL_JUDGE_OUT = 60


@dataclass(frozen=True)
class SearchSettings:
    """How wide and how long the search is, and how the bench is split."""

    per_round: int = 4  # candidates asked for in each round
    rounds: int = 3
    train_share: float = 0.7  # of the cases, to learn from; the rest confirm the winner
    seed: int = 0

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise InvalidInput(
                    f"{name.replace('_', ' ').capitalize()} must be between {low:g} and {high:g}."
                )
        if self.seed < 0:
            raise InvalidInput("The seed must be 0 or more.", field="seed")


@dataclass(frozen=True)
class Proposer:
    """The model asked for candidate edits."""

    model_id: int
    endpoint: str
    provider: str
    model: str
    label: str
    price_in: float = 0.0
    price_out: float = 0.0


def split_cases(count: int, share: float, seed: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(training, held-out) case indices: a seeded shuffle, at least one case on each side."""
    if count < 2:
        raise InvalidInput(
            "Improving on the bench needs at least 2 test cases: some to learn from and some to "
            "confirm on. Add cases on the Bench page.",
            field="cases",
        )
    order = list(range(count))
    random.Random(seed).shuffle(order)
    cut = min(count - 1, max(1, round(count * share)))
    return tuple(sorted(order[:cut])), tuple(sorted(order[cut:]))


@dataclass(frozen=True)
class OptimizationPlan:
    """Everything a run will use; ``to_json``/``from_json`` round-trip exactly (stored on the run)."""

    bench: EvaluationConfig  # one version, one model, the cases, the judge
    search: SearchSettings
    proposer: Proposer
    train: tuple[int, ...]
    heldout: tuple[int, ...]
    estimate: budget.Estimate
    max_calls: int

    @property
    def shape(self) -> budget.Shape:
        return self.estimate.shape

    @property
    def version(self) -> Any:
        return self.bench.versions[0]

    @property
    def model(self) -> Any:
        return self.bench.models[0]

    def with_ceiling(self, max_calls: int) -> OptimizationPlan:
        """The plan held to ``max_calls``; refused below what one round and its check need."""
        minimum = self.shape.minimum
        if max_calls < minimum:
            raise InvalidInput(
                f"A ceiling of {max_calls} calls is too low for this bench: measuring the current "
                f"version, trying one candidate and confirming it takes {minimum} calls.",
                field="max_calls",
            )
        return replace(self, max_calls=int(max_calls))

    def with_bench(self, bench: EvaluationConfig) -> OptimizationPlan:
        """The same plan on another snapshot of the same cases (e.g. redacted values)."""
        return replace(self, bench=bench)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OptimizationPlan:
        estimate = data["estimate"]
        return cls(
            bench=EvaluationConfig.from_json(data["bench"]),
            search=SearchSettings(**data["search"]),
            proposer=Proposer(**data["proposer"]),
            train=tuple(data["train"]),
            heldout=tuple(data["heldout"]),
            estimate=budget.Estimate(
                shape=budget.Shape(**estimate["shape"]),
                answers=budget.CallKind(**estimate["answers"]),
                proposals=budget.CallKind(**estimate["proposals"]),
                judging=budget.CallKind(**estimate["judging"]),
            ),
            max_calls=int(data["max_calls"]),
        )


def _judged(bench: EvaluationConfig, indices: tuple[int, ...]) -> int:
    return sum(sum(a.get("type") == "llm_judge" for a in bench.cases[i].assertions) for i in indices)


def typical_answer_tokens(engine: Engine, model_id: int, max_tokens: int) -> int:
    """The model's average answer length here (tokens), else half its limit; never above it."""
    with session_scope(engine) as session:
        average = session.exec(
            select(func.avg(Output.tokens_out)).where(
                Output.model_id == model_id, Output.status == "ok", col(Output.tokens_out).is_not(None)
            )
        ).one()
    return min(max_tokens, int(average) if average else max(1, max_tokens // 2))


def _estimate(
    engine: Engine, bench: EvaluationConfig, proposer: Proposer, shape: budget.Shape
) -> budget.Estimate:
    version, model = bench.versions[0], bench.models[0]
    settings = bench.call_settings(version, model)
    template = PromptTemplate(version.system_template, version.user_template)
    rendered = [template.render(case.variables) for case in bench.cases]
    # Candidates grow the prompt a little; count a tenth more for them.
    tokens_in = int(1.1 * sum(budget.approx_tokens(str(m)) for m in rendered) / len(rendered))
    typical = typical_answer_tokens(engine, model.id, settings.max_tokens)
    answers = shape.train + shape.heldout + shape.rounds * shape.per_round * shape.train + shape.heldout
    sample = [
        candidates.CaseEvidence(
            c.name, c.variables, c.expected, "x" * typical * budget.CHARS_PER_TOKEN, False
        )
        for c in bench.cases[: candidates.MAX_FAILING]
    ]
    request = candidates.proposal_messages(
        system=version.system_template,
        user=version.user_template,
        failing=sample,
        passing=[],
        feedback=Feedback(),
        tried=[],
        wanted=shape.per_round,
    )
    prompt_tokens = budget.approx_tokens(version.system_template + version.user_template)
    judged = (
        shape.baseline + shape.rounds * shape.per_round * shape.per_candidate + shape.confirmation - answers
    )
    judge_prices, judge_out = (0.0, 0.0), TYPICAL_JUDGE_OUT
    if bench.judge is not None:
        target = target_named(engine, bench.judge.endpoint, bench.judge.model)
        judge_prices, judge_out = (target.price_in, target.price_out), bench.judge.settings.max_tokens
    judge_in = budget.approx_tokens(JUDGE_SYSTEM) + typical + 60
    return budget.Estimate(
        shape=shape,
        answers=budget.CallKind(
            answers,
            tokens_in,
            typical,
            settings.max_tokens,
            model.price_input_per_mtok,
            model.price_output_per_mtok,
        ),
        proposals=budget.CallKind(
            shape.rounds,
            budget.approx_tokens(str(request)),
            shape.per_round * (prompt_tokens + 40),
            candidates.propose_settings(
                version.system_template, version.user_template, shape.per_round
            ).max_tokens,
            proposer.price_in,
            proposer.price_out,
        ),
        judging=budget.CallKind(
            judged, judge_in, TYPICAL_JUDGE_OUT, max(judge_out, TYPICAL_JUDGE_OUT), *judge_prices
        ),
    )


def plan_optimization(
    engine: Engine,
    *,
    prompt_id: int,
    version_id: int,
    model_id: int,
    proposer_model_id: int | None = None,
    judge: JudgeSettings | None = None,
    search: SearchSettings | None = None,
    max_calls: int | None = None,
    concurrency: int = 4,
) -> OptimizationPlan:
    """Check and size a run of ``version_id`` on ``model_id`` (the proposer defaults to the same
    model); ``max_calls`` defaults to the full search. Nothing is sent or written."""
    search = search or SearchSettings()
    bench = snapshot_config(
        engine,
        prompt_id=prompt_id,
        version_ids=[version_id],
        model_ids=[model_id],
        judge=judge,
        concurrency=concurrency,
    )
    target, label = target_of_model(engine, proposer_model_id or model_id)
    if data_policy.is_offline(target.endpoint):
        raise InvalidInput(
            f"{label} only repeats what it is sent, so it cannot propose edits: choose another model "
            "to propose them.",
            field="proposer",
        )
    proposer = Proposer(
        proposer_model_id or model_id,
        target.endpoint.name,
        target.endpoint.provider,
        target.model,
        label,
        target.price_in,
        target.price_out,
    )
    train, heldout = split_cases(len(bench.cases), search.train_share, search.seed)
    shape = budget.Shape(
        train=len(train),
        heldout=len(heldout),
        judged_train=_judged(bench, train),
        judged_heldout=_judged(bench, heldout),
        rounds=search.rounds,
        per_round=search.per_round,
    )
    estimate = _estimate(engine, bench, proposer, shape)
    plan = OptimizationPlan(bench, search, proposer, train, heldout, estimate, shape.full)
    return plan.with_ceiling(shape.full if max_calls is None else max_calls)


def proposal_preview(plan: OptimizationPlan) -> list[Message]:
    """What a request for candidates sends (the prompt, every training case with its values and
    expected answer): the input to the data-policy check before a run starts."""
    version = plan.version
    evidence = [
        candidates.CaseEvidence(c.name, c.variables, c.expected, "", False)
        for c in (plan.bench.cases[i] for i in plan.train)
    ]
    return candidates.proposal_messages(
        system=version.system_template,
        user=version.user_template,
        failing=evidence,
        passing=[],
        feedback=Feedback(),
        tried=[],
        wanted=plan.search.per_round,
    )


def requests_by_destination(
    engine: Engine, plan: OptimizationPlan
) -> dict[outbound.Destination, list[list[Message]]]:
    """Every endpoint a run would call (the answering model, the judge, the proposer) with what
    it would send there, for the data policy to decide on before anything is sent."""
    found = outbound.requests_by_destination(engine, plan.bench)
    proposer = outbound.Destination(plan.proposer.endpoint, plan.proposer.provider)
    found[proposer] = [*found.get(proposer, []), proposal_preview(plan)]
    return found
