"""Inter-rater agreement against textbook values."""

from __future__ import annotations

import pytest

from workbench.judging.agreement import cohen_kappa, krippendorff_alpha, reliability_matrix, verdict

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked example:
# 4 observers, 12 units, values 1-5, with missing data.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_alpha_matches_the_published_example(level: str, published: float) -> None:
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level), 3) == published  # type: ignore[arg-type]


def test_alpha_is_one_for_perfect_agreement_and_undefined_without_variation() -> None:
    assert krippendorff_alpha([[1, 2, 3, 4], [1, 2, 3, 4]], "interval") == pytest.approx(1.0)
    assert krippendorff_alpha([[3, 3, 3], [3, 3, 3]]) is None
    assert krippendorff_alpha([[1, N], [N, 2]]) is None, "no unit has two ratings"
    assert krippendorff_alpha([]) is None
    with pytest.raises(ValueError):
        krippendorff_alpha([[1, 2], [1]])


def test_alpha_is_negative_for_systematic_disagreement() -> None:
    assert krippendorff_alpha([[1, 5, 1, 5], [5, 1, 5, 1]], "interval") < 0


def test_cohen_kappa_matches_the_textbook_example() -> None:
    """The classic 2x2 example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> po 0.7, pe 0.5, kappa 0.4."""
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_weighted_kappa_by_hand() -> None:
    # Rater 1: 1,2,3; rater 2: 1,3,3. Quadratic: 1 - (1/12)/(5/12) = 0.8; linear: 1 - (1/6)/(1/2) = 2/3.
    assert cohen_kappa([1, 2, 3], [1, 3, 3], "quadratic") == pytest.approx(0.8)
    assert cohen_kappa([1, 2, 3], [1, 3, 3], "linear") == pytest.approx(2 / 3)
    # With two categories every weighting is the same as no weighting.
    a, b = [1, 1, 5, 5, 5, 1], [1, 5, 5, 5, 1, 1]
    assert cohen_kappa(a, b, "quadratic") == pytest.approx(cohen_kappa(a, b))


def test_kappa_edge_cases() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([4, 4], [4, 4]) is None, "chance agreement is already perfect"
    with pytest.raises(ValueError):
        cohen_kappa([1], [1, 2])


def test_reliability_matrix_marks_skipped_units() -> None:
    raters, units, matrix = reliability_matrix({"sam": {1: 4.0, 2: 2.0}, "alex": {2: 3.0}})
    assert raters == ["alex", "sam"] and units == [1, 2]
    assert matrix == [[None, 3.0], [4.0, 2.0]]


def test_verdicts_follow_krippendorffs_thresholds() -> None:
    assert "agree well" in verdict(0.85)
    assert "tentative" in verdict(0.7)
    assert "disagree" in verdict(0.2)
    assert "Not enough" in verdict(None)
