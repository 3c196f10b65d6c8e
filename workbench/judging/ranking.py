"""Statistics behind the rankings: Bradley–Terry strengths and honest intervals.

Kept apart from the database code so each formula can be tested against known answers.

- ``bradley_terry``: the model behind arena-style leaderboards. Each contender ``i`` has a
  strength ``p_i`` and wins against ``j`` with probability ``p_i / (p_i + p_j)``. Fitted with
  Hunter's (2004) MM iteration, which increases the likelihood at every step. Ties count as half
  a win for each side. A small prior (every contender plays ``prior`` virtual games against a
  reference of strength 1 and wins half of them) keeps a contender that never lost, or never
  won, at a finite strength and ties separate groups of contenders to one scale.
- ``wilson_interval``: a 95% interval for a win rate that stays inside [0, 1] for small counts.
- ``mean_interval``: a Student-t 95% interval for an average score.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from functools import lru_cache
from statistics import NormalDist

CONFIDENCE = 0.95
ELO_BASE = 1000.0  # the reference contender (strength 1) on the familiar Elo-like scale
ELO_SCALE = 400.0  # +400 points = 10:1 odds of winning


def bradley_terry(
    games: Iterable[tuple[Hashable, Hashable, float]],
    *,
    prior: float = 1.0,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> dict[Hashable, float]:
    """Strengths from ``(a, b, score_of_a)`` games, where ``score_of_a`` is 1, 0 or 0.5 (tie).

    With ``prior=0`` this is the plain maximum-likelihood fit, which only exists when every
    contender has both won and lost (in the half-win sense) within one connected group; the
    strengths are then scaled to a geometric mean of 1.
    """
    names: list[Hashable] = []
    index: dict[Hashable, int] = {}
    triples = []
    for a, b, score in games:
        if a == b:
            continue
        if not 0.0 <= score <= 1.0:
            raise ValueError(f"A game's score must be between 0 and 1, not {score}.")
        for name in (a, b):
            if name not in index:
                index[name] = len(names)
                names.append(name)
        triples.append((index[a], index[b], float(score)))
    size = len(names)
    if size == 0:
        return {}
    import numpy as np  # here, not at the top: seeding and the first page import this module

    played = np.zeros((size, size))
    wins = np.zeros(size)
    for i, j, score in triples:
        played[i, j] += 1
        played[j, i] += 1
        wins[i] += score
        wins[j] += 1.0 - score
    numerator = wins + prior / 2.0
    if prior == 0 and (np.any(numerator <= 0) or np.any(wins >= played.sum(axis=1))):
        raise ValueError("Without a prior every contender must have won and lost at least once.")
    log_p = np.zeros(size)
    for _ in range(max_iter):
        p = np.exp(log_p)
        denominator = (played / (p[:, None] + p[None, :])).sum(axis=1) + prior / (p + 1.0)
        new_log_p = np.log(numerator) - np.log(denominator)
        if prior == 0:
            new_log_p -= new_log_p.mean()
        change = float(np.max(np.abs(new_log_p - log_p)))
        log_p = new_log_p
        if change < tol:
            break
    return {name: float(math.exp(log_p[i])) for i, name in enumerate(names)}


def elo_scale(strength: float) -> float:
    """A strength on the Elo-like scale people know from chess and chatbot arenas."""
    return ELO_BASE + ELO_SCALE * math.log10(strength)


def win_probability(strength_a: float, strength_b: float) -> float:
    return strength_a / (strength_a + strength_b)


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def wilson_interval(successes: float, trials: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a proportion (half-successes allowed, for ties)."""
    if trials <= 0:
        return (0.0, 1.0)
    z = _z(confidence)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def t_quantile(probability: float, df: int) -> float:
    """Student-t quantile: exact for 1 and 2 degrees of freedom, else the Abramowitz–Stegun
    26.7.5 expansion (within 0.004 of the tables from 3 degrees of freedom up)."""
    if df < 1:
        raise ValueError("A t quantile needs at least one degree of freedom.")
    if df == 1:
        return math.tan(math.pi * (probability - 0.5))
    if df == 2:
        return (2 * probability - 1) / math.sqrt(2 * probability * (1 - probability))
    z = NormalDist().inv_cdf(probability)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def mean_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high); the interval is ``None`` with fewer than two values."""
    n = len(values)
    if n == 0:
        return (None, None, None)
    import numpy as np

    sd = float(np.std(values, ddof=1)) if n > 1 else 0.0
    mean = float(np.mean(values))
    return (mean, *mean_interval_from(mean, sd, n, confidence))


@lru_cache(maxsize=4096)
def _t_for(probability: float, df: int) -> float:
    return t_quantile(probability, df)


def mean_interval_from(
    mean: float, sd: float, n: int, confidence: float = CONFIDENCE
) -> tuple[float | None, float | None]:
    """``mean_interval``'s (low, high) from a group's mean, standard deviation (n - 1) and size, which
    a database or pandas adds up for many groups at once; ``None`` with fewer than two values."""
    if n < 2:
        return (None, None)
    half = _t_for(0.5 + confidence / 2.0, int(n) - 1) * float(sd) / math.sqrt(n)
    return (float(mean) - half, float(mean) + half)
