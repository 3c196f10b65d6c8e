"""Bradley–Terry, Wilson and Student-t intervals against closed forms and published tables."""

from __future__ import annotations

import math

import pytest

from workbench.judging import ranking


def _games(a: str, b: str, wins: int, losses: int, ties: int = 0) -> list[tuple[str, str, float]]:
    return [(a, b, 1.0)] * wins + [(a, b, 0.0)] * losses + [(a, b, 0.5)] * ties


def test_two_contenders_get_the_odds_they_showed() -> None:
    """Without a prior the MLE is closed-form: p_a / p_b = wins / losses."""
    strengths = ranking.bradley_terry(_games("x", "y", 7, 3), prior=0)
    assert strengths["x"] / strengths["y"] == pytest.approx(7 / 3, rel=1e-9)
    assert math.sqrt(strengths["x"] * strengths["y"]) == pytest.approx(1.0)


def test_ties_count_as_half_a_win() -> None:
    strengths = ranking.bradley_terry(_games("x", "y", 2, 0, ties=4), prior=0)
    assert strengths["x"] / strengths["y"] == pytest.approx(4 / 2)
    even = ranking.bradley_terry(_games("x", "y", 0, 0, ties=5))
    assert even["x"] == pytest.approx(even["y"])


def test_the_fit_satisfies_the_likelihood_equations() -> None:
    """At the MLE each contender's expected wins equal its actual wins (Hunter 2004, eq. 3)."""
    games = (
        _games("a", "b", 6, 4)
        + _games("a", "c", 7, 3, ties=2)
        + _games("b", "c", 5, 5)
        + _games("c", "d", 8, 2)
        + _games("a", "d", 9, 1)
        + _games("b", "d", 3, 2)
    )
    p = ranking.bradley_terry(games, prior=0)
    for name in p:
        actual = sum(s if a == name else 1 - s for a, b, s in games if name in (a, b))
        expected = sum(p[name] / (p[a] + p[b]) for a, b, _ in games if name in (a, b))
        assert expected == pytest.approx(actual, abs=1e-6)
    ranked = sorted(p, key=p.get, reverse=True)
    assert ranked[0] == "a" and ranked[-1] == "d"


def test_the_prior_keeps_unbeaten_and_winless_contenders_finite() -> None:
    p = ranking.bradley_terry(_games("champ", "mid", 5, 0) + _games("mid", "loser", 5, 0))
    assert all(math.isfinite(v) and v > 0 for v in p.values())
    assert p["champ"] > p["mid"] > p["loser"]
    with pytest.raises(ValueError, match="won and lost"):
        ranking.bradley_terry(_games("champ", "mid", 5, 0), prior=0)


def test_self_games_and_empty_input_are_ignored() -> None:
    assert ranking.bradley_terry([]) == {}
    assert ranking.bradley_terry([("a", "a", 1.0)]) == {}
    with pytest.raises(ValueError):
        ranking.bradley_terry([("a", "b", 2.0)])


def test_the_elo_like_scale() -> None:
    assert ranking.elo_scale(1.0) == 1000.0
    assert ranking.elo_scale(10.0) == pytest.approx(1400.0)
    assert ranking.win_probability(10.0, 1.0) == pytest.approx(10 / 11)


def test_wilson_interval_matches_published_values() -> None:
    low, high = ranking.wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = ranking.wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and round(high, 4) == 0.2775
    assert ranking.wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("df", "table"), [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228), (30, 2.042)]
)
def test_t_quantiles_match_the_tables(df: int, table: float) -> None:
    assert ranking.t_quantile(0.975, df) == pytest.approx(table, abs=0.005)


def test_mean_interval() -> None:
    mean, low, high = ranking.mean_interval([1, 2, 3, 4, 5])
    # sd = 1.5811, t(0.975, 4) = 2.776 -> half width 1.963
    assert mean == 3.0 and low == pytest.approx(1.037, abs=0.002) and high == pytest.approx(4.963, abs=0.002)
    assert ranking.mean_interval([4.0]) == (4.0, None, None)
    assert ranking.mean_interval([]) == (None, None, None)
