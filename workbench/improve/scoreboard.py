"""Who does best on which case: per-case verdicts, a share's figures, the Pareto front, and
which cases the chosen prompt fixed or broke.

Pure functions over plain values. A case's verdict comes from the bench's own scoring
(``workbench.evals.scoring``): it passes when the call succeeded and every check passed, and its
score (the *rating proxy*) is the mean of its checks' scores from 0 to 1, which gives partial
credit (2 of 3 values found) and carries the judge's score where a rubric check grades it.

The front keeps every candidate that is best on at least one training case and that no other
candidate matches or beats on every case while beating it on one (the idea behind GEPA's
Pareto front): a prompt that alone fixes one hard case survives even when its average is not
the highest, so a later round can build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from workbench.evals import scoring
from workbench.store.tables import Output

CHANGES = ("fixed", "broken", "still passes", "still fails")


@dataclass(frozen=True)
class CaseVerdict:
    case_index: int
    passed: bool
    score: float  # 0 to 1; a call that failed scores 0
    failures: str
    output_id: int
    answer: str
    answered: bool = True  # False: the call itself failed (no key, an outage, the data policy)

    @property
    def key(self) -> tuple[bool, float]:
        return self.passed, round(self.score, 6)


@dataclass(frozen=True)
class Figures:
    """A prompt on one share of the bench: cases passed, cases scored, mean check score."""

    passed: int
    total: int
    score: float | None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    @property
    def key(self) -> tuple[float, float]:
        return round(self.pass_rate or 0.0, 6), round(self.score or 0.0, 6)

    @property
    def perfect(self) -> bool:
        return self.total > 0 and self.passed == self.total and (self.score or 0.0) >= 1.0

    def beats(self, other: Figures) -> bool:
        """More cases pass, or as many with a higher mean check score."""
        return self.key > other.key

    def short(self) -> str:
        """ "3 of 5 (60%)" """
        return f"{self.passed} of {self.total} ({self.pass_rate:.0%})" if self.total else "none"

    def text(self) -> str:
        """ "3 of 5 (60%), mean score 0.70" """
        if not self.total:
            return "not tested"
        score = f", mean score {self.score:.2f}" if self.score is not None else ""
        return f"{self.short()}{score}"


def figures(verdicts: Iterable[CaseVerdict]) -> Figures:
    found = list(verdicts)
    scores = [v.score for v in found]
    return Figures(
        passed=sum(v.passed for v in found),
        total=len(found),
        score=sum(scores) / len(scores) if scores else None,
    )


def verdicts(
    outputs: Sequence[tuple[Output, int]],
    outcomes: Sequence[scoring.Outcome],
    *,
    case_names: Mapping[int, str],
    model_labels: Mapping[int, str],
) -> list[CaseVerdict]:
    """One verdict per (output, case index), read from the bench's scoring frame."""
    case_of = {output.id: index for output, index in outputs}
    frame = scoring.case_frame(
        [output for output, _ in outputs],
        outcomes,  # type: ignore[arg-type]
        versions={None: "candidate"},  # a candidate is not a version
        models=model_labels,
        cases=case_names,
        case_of=lambda output: case_of.get(output.id),
    )
    texts = {output.id: output.text or "" for output, _ in outputs}
    return [
        CaseVerdict(
            case_index=int(row.case_id),
            passed=bool(row.passed),
            score=0.0 if pd.isna(row.score) else float(row.score),
            failures=str(row.failures or ""),
            output_id=int(row.output_id),
            answer=texts.get(int(row.output_id), ""),
            answered=row.status == "ok",
        )
        for row in frame.itertuples(index=False)
    ]


Board = Mapping[int, Mapping[int, tuple[bool, float]]]  # candidate id -> case index -> (passed, score)


def front(board: Board, cases: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """The Pareto front: candidate id -> the cases it is best on (ties count for each tied)."""

    def key(candidate: int, case: int) -> tuple[bool, float]:
        return board[candidate].get(case, (False, 0.0))

    if not board or not cases:
        return {}
    best = {case: max(key(c, case) for c in board) for case in cases}
    wins = {c: tuple(case for case in cases if key(c, case) == best[case]) for c in board}

    def dominated(c: int) -> bool:
        return any(
            all(key(d, case) >= key(c, case) for case in cases)
            and any(key(d, case) > key(c, case) for case in cases)
            for d in board
            if d != c
        )

    return {c: won for c, won in wins.items() if won and not dominated(c)}


@dataclass(frozen=True)
class CaseChange:
    case_index: int
    change: str  # fixed | broken | still passes | still fails
    before: CaseVerdict | None
    after: CaseVerdict | None


def case_changes(
    before: Mapping[int, CaseVerdict], after: Mapping[int, CaseVerdict], cases: Sequence[int]
) -> list[CaseChange]:
    """Per case where both prompts were scored: fixed, broken, or unchanged."""
    out = []
    for case in cases:
        old, new = before.get(case), after.get(case)
        if old is None or new is None:
            continue
        if new.passed and not old.passed:
            change = "fixed"
        elif old.passed and not new.passed:
            change = "broken"
        else:
            change = "still passes" if new.passed else "still fails"
        out.append(CaseChange(case, change, old, new))
    return out
