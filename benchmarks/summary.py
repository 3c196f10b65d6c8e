"""The figures a benchmark reports to ``make bench``'s summary table, and the figures' statistics.

Each benchmark prints its own figures as it goes. It also hands its headline figures to
:func:`record`: run by ``make bench`` (``scripts/bench.py``), they are appended to the file named
by ``BENCH_SUMMARY`` and shown together in one table at the end; run alone, ``record`` only
returns the verdict. A figure is judged against either a *target* (the figure must not exceed
it) or a *physical limit* (the figure over the limit must not exceed ``max_ratio``).

On a shared machine one run means little: benchmarks repeat their settings interleaved (A, B,
A, B, ...), so a burst of load from elsewhere hits every setting alike, and report the median.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

SUMMARY_ENV = "BENCH_SUMMARY"
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Figure:
    """One measured figure with what it is judged against."""

    benchmark: str
    name: str
    value: float
    unit: str
    bound: float
    bound_kind: str  # "target" or "limit"
    max_ratio: float = 1.0

    @property
    def ratio(self) -> float:
        return self.value / self.bound if self.bound else float("inf")

    @property
    def passed(self) -> bool:
        return self.ratio <= self.max_ratio


def record(
    name: str,
    value: float,
    bound: float,
    *,
    kind: str = "target",
    max_ratio: float = 1.0,
    unit: str = "s",
    benchmark: str | None = None,
) -> Figure:
    """Judge ``value`` against ``bound`` (a target, or a physical limit with ``max_ratio``) and,
    under ``make bench``, add it to the summary table. Returns the figure (``.passed``)."""
    if kind not in ("target", "limit"):
        raise ValueError(f"kind is 'target' or 'limit', not {kind!r}")
    figure = Figure(
        benchmark or Path(sys.argv[0]).stem,
        name,
        value,
        unit,
        bound,
        kind,
        max_ratio if kind == "limit" else 1.0,
    )
    path = os.environ.get(SUMMARY_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(asdict(figure)) + "\n")
    return figure


def read(path: Path) -> list[Figure]:
    if not path.exists():
        return []
    return [Figure(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line]


def interleaved(settings: Sequence[T], repeats: int, run: Callable[[T, int], R]) -> dict[T, list[R]]:
    """``run(setting, round)`` for every setting, round after round; the results per setting."""
    figures: dict[T, list[R]] = {setting: [] for setting in settings}
    for round_number in range(repeats):
        for setting in settings:
            figures[setting].append(run(setting, round_number))
    return figures


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine_load(when: str) -> str:
    """The load averages: figures measured on a shared machine mean little without them."""
    one, five, _ = os.getloadavg()
    line = f"Machine load {when}: {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores."
    print(line, flush=True)
    return line
