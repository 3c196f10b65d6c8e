"""What each statistic means, in everyday words, for the line beside it.

A business user reads "α 0.41" or "BT 1087" as noise unless the page says what it means; one
sentence each, kept here so every page words a figure the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

PASS_RATE = (
    "**Pass rate**: the share of answers that passed every check of their test case "
    "(9 of 10 answers = 90%); calls that returned no answer count as not passed."
)
WIN_RATE = (
    "**Win rate**: the share of votes won against the others; a tie or “both bad” counts as half a win."
)
BRADLEY_TERRY = (
    "**Bradley–Terry rating (BT)**: the votes turned into one score. 1000 is average; 100 points "
    "above another wins about 64 of 100 votes against it, 400 points above wins 10 to 1."
)
INTERVAL = (
    "**95% low – high**: where the true figure most likely lies; the fewer the ratings or votes, "
    "the wider the range."
)
AVERAGE_SCORE = "**Average score**: the mean rating from 1 to 5 (a thumb up counts as 5, down as 1)."
ALPHA = (
    "**Krippendorff's α**: do raters give the same answer the same score? 1 = always, 0 = no better "
    "than chance, below 0 = they disagree more than chance would. Ordinal treats the scores as ranks; "
    "interval as distances."
)
KAPPA = "**Cohen's κ**: the same question for exactly two raters: 1 = they always agree, 0 = no better than chance."
TOO_FEW = "**Too few to trust**: so few ratings or votes that the next one could change the figure a lot."


def explain(meanings: Iterable[str]) -> None:
    """The meanings of the figures shown just above, one line each."""
    st.caption("  \n".join(meanings))


def strip(meaning: str) -> str:
    """A meaning without its bold name, for a column's tooltip."""
    return meaning.split("**: ", 1)[-1]
