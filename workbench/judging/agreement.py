"""Inter-rater agreement: Krippendorff's alpha and Cohen's kappa.

Ratings are only worth acting on when the people giving them mean the same thing by "4 stars".
Both measures compare the disagreement raters show with the disagreement chance alone would
produce: 1 is perfect agreement, 0 is no better than chance, below 0 is systematic disagreement.

Krippendorff's alpha is the general one: any number of raters, missing ratings allowed, and a
distance that fits the data (ordinal or interval for star scores). Cohen's kappa is the classic
two-rater measure, optionally weighted so that 4 vs 5 counts as a smaller disagreement than 1 vs 5.
Both return ``None`` when agreement is undefined (for example when every rating is the same, so
chance agreement is already perfect).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"] | None
# What raters give: a score or a category; both are sorted to lay out the agreement tables.
RatedValue = float | str

# Krippendorff's guideline for drawing conclusions from coded data.
RELIABLE = 0.8
TENTATIVE = 0.667


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _distance(level: Level, values: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Squared distance δ²(c, k) between every pair of observed values (sorted ascending)."""
    c = values[:, None]
    k = values[None, :]
    if level == "nominal":
        return (c != k).astype(float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            d = ((c - k) / (c + k)) ** 2
        return np.nan_to_num(d)
    # ordinal: the number of values ranked between c and k, counting c and k by half.
    cumulative = np.concatenate([[0.0], np.cumsum(totals)])
    idx = np.arange(len(values))
    lo = np.minimum(idx[:, None], idx[None, :])
    hi = np.maximum(idx[:, None], idx[None, :])
    between = cumulative[hi + 1] - cumulative[lo]
    return (between - (totals[lo] + totals[hi]) / 2.0) ** 2


def krippendorff_alpha(
    data: Sequence[Sequence[RatedValue | None]], level: Level = "interval"
) -> float | None:
    """Alpha for a reliability matrix: one row per rater, one column per unit (``None`` = missing).

    Units rated by fewer than two raters carry no information about agreement and are ignored.
    """
    if not data:
        return None
    width = len(data[0])
    if any(len(row) != width for row in data):
        raise ValueError("Every rater's row must have one entry per unit.")
    units = []
    for u in range(width):
        present = [v for row in data if (v := row[u]) is not None and not _is_missing(v)]
        if len(present) >= 2:
            units.append(present)
    if not units:
        return None
    values = np.array(
        sorted({v for unit in units for v in unit}), dtype=float if level != "nominal" else object
    )
    if level == "nominal":
        index = {v: i for i, v in enumerate(values)}
    else:
        index = {float(v): i for i, v in enumerate(values)}
    size = len(values)
    coincidence = np.zeros((size, size))
    for unit in units:
        counts = np.zeros(size)
        for v in unit:
            counts[index[v if level == "nominal" else float(v)]] += 1
        pairs = np.outer(counts, counts) - np.diag(counts)
        coincidence += pairs / (len(unit) - 1)
    totals = coincidence.sum(axis=1)
    n = totals.sum()
    numeric = values.astype(float) if level != "nominal" else np.arange(size, dtype=float)
    delta = _distance(level, numeric, totals)
    observed = (coincidence * delta).sum()
    expected = (np.outer(totals, totals) * delta).sum()
    if expected == 0:
        return None
    return float(1.0 - (n - 1) * observed / expected)


def cohen_kappa(
    first: Sequence[RatedValue], second: Sequence[RatedValue], weights: Weights = None
) -> float | None:
    """Cohen's kappa of two raters who rated the same items, in the same order.

    ``weights="linear"`` or ``"quadratic"`` treats the categories as ordered numbers (star
    scores), so near misses count as partial agreement.
    """
    if len(first) != len(second):
        raise ValueError("Both raters must rate the same items.")
    if not first:
        return None
    categories = sorted(set(first) | set(second))
    index = {c: i for i, c in enumerate(categories)}
    size = len(categories)
    observed = np.zeros((size, size))
    for a, b in zip(first, second, strict=True):
        observed[index[a], index[b]] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    if weights is None:
        w = 1.0 - np.eye(size)
    else:
        positions = np.array(categories, dtype=float)
        span = positions.max() - positions.min() or 1.0
        gap = np.abs(positions[:, None] - positions[None, :]) / span
        w = gap if weights == "linear" else gap**2
    chance = (w * expected).sum()
    if chance == 0:
        return None
    return float(1.0 - (w * observed).sum() / chance)


def reliability_matrix(
    ratings: Mapping[Hashable, Mapping[Hashable, RatedValue | None]],
) -> tuple[list[Hashable], list[Hashable], list[list[RatedValue | None]]]:
    """``{rater: {unit: value}}`` -> (raters, units, matrix) with ``None`` where a rater skipped."""
    raters = sorted(ratings, key=str)
    units = sorted({u for by_unit in ratings.values() for u in by_unit}, key=str)
    matrix = [[ratings[r].get(u) for u in units] for r in raters]
    return raters, units, matrix


def verdict(alpha: float | None) -> str:
    """Plain words for an alpha, following Krippendorff's thresholds."""
    if alpha is None:
        return "Not enough variation or overlap to measure agreement yet."
    if alpha >= RELIABLE:
        return "Raters agree well: the scores can be trusted."
    if alpha >= TENTATIVE:
        return "Raters partly agree: use the scores for tentative conclusions only."
    return "Raters disagree: agree on what each score means before relying on it."
