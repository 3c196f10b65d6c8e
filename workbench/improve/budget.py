"""How many model calls an optimization makes, what they cost, and how it stays under a ceiling.

A run measures the starting version on every case, then spends rounds: one request for
candidates, and each candidate answers every training case; finally the chosen candidate answers
the held-out cases. A bench check graded by the LLM judge adds one judge call per answer. So:

    baseline     = cases + judged checks (all cases)
    one round    = 1 + candidates × (training cases + judged checks on them)
    confirmation = held-out cases + judged checks on them

The ceiling is a number of calls the person may lower or raise. The run never exceeds it: the
confirmation is reserved up front, and a round tests only as many candidates as fit in what is
left (none: the search stops). Each step is counted at its most (every answer checked by the
judge), so what is really spent can only be less. Costs come from the price table (US dollars
per million tokens); token counts are estimated at about four characters a token.
"""

from __future__ import annotations

from dataclasses import dataclass

CHARS_PER_TOKEN = 4


def approx_tokens(text: str) -> int:
    """About four characters a token, for English text (an estimate, never a bill)."""
    return max(1, len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Shape:
    """The size of a search: cases on each share, judged checks on them, rounds and candidates."""

    train: int
    heldout: int
    judged_train: int = 0
    judged_heldout: int = 0
    rounds: int = 3
    per_round: int = 4

    @property
    def per_candidate(self) -> int:
        return self.train + self.judged_train

    @property
    def baseline(self) -> int:
        return self.train + self.heldout + self.judged_train + self.judged_heldout

    @property
    def confirmation(self) -> int:
        return self.heldout + self.judged_heldout

    def round_calls(self, candidates: int) -> int:
        return 1 + candidates * self.per_candidate

    @property
    def full(self) -> int:
        """Every round with every candidate: the most the search can spend."""
        return self.baseline + self.rounds * self.round_calls(self.per_round) + self.confirmation

    @property
    def minimum(self) -> int:
        """The least that still tests one candidate and confirms it."""
        return self.baseline + self.round_calls(1) + self.confirmation

    def affordable(self, *, ceiling: int, used: int) -> int:
        """How many candidates the next round can test under ``ceiling`` after ``used`` calls,
        keeping the confirmation's calls aside (0: stop searching)."""
        left = ceiling - used - self.confirmation - 1
        return max(0, min(self.per_round, left // max(1, self.per_candidate)))

    def breakdown(self) -> str:
        """ "10 to measure the current version + 3 rounds × (1 request + 4 candidates × 7 answers)
        + 3 to confirm the best on held-out cases" """
        judged = " (with the judge's grading)" if self.judged_train or self.judged_heldout else ""
        return (
            f"{self.baseline} to measure the current version, "
            f"{self.rounds} round{'s' if self.rounds != 1 else ''} × (1 request for candidates + "
            f"{self.per_round} candidates × {self.per_candidate} answers), "
            f"{self.confirmation} to confirm the best one on held-out cases{judged}"
        )


@dataclass(frozen=True)
class CallKind:
    """One kind of call in a run: how many, their size in tokens, and the model's prices."""

    calls: int
    tokens_in: int
    typical_out: int
    max_out: int
    price_in: float  # USD per million tokens
    price_out: float

    def cost(self, out_tokens: int, calls: int | None = None) -> float:
        n = self.calls if calls is None else calls
        return n * (self.tokens_in * self.price_in + out_tokens * self.price_out) / 1_000_000


@dataclass(frozen=True)
class Estimate:
    """Calls and cost of a search before it starts (answers, requests for candidates, judging)."""

    shape: Shape
    answers: CallKind
    proposals: CallKind
    judging: CallKind

    @property
    def calls(self) -> int:
        return self.shape.full

    @property
    def cost_usd(self) -> float:
        """With answers of the usual length."""
        return sum(k.cost(k.typical_out) for k in (self.answers, self.proposals, self.judging))

    @property
    def max_cost_usd(self) -> float:
        """If every call wrote as much as its settings allow."""
        return sum(k.cost(k.max_out) for k in (self.answers, self.proposals, self.judging))

    def cost_within(self, ceiling: int) -> tuple[float, float]:
        """(usual, at most) for a run held to ``ceiling`` calls: the full run scaled down."""
        share = min(1.0, ceiling / self.calls) if self.calls else 1.0
        return self.cost_usd * share, self.max_cost_usd * share
