"""Reads the Leaderboard keeps between reruns while the database says they still hold.

A big project's pairs to judge and its ratings take a second or more to read and add up, and
a vote, a page switch or a rerun of another corner changes neither. Each is kept under a stamp
the core reads in milliseconds (how many rows there are, the newest, the last changed), so a
new answer or rating, from this server or from another process, is read at once.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from workbench.judging import feedback, pairwise
from workbench.judging.pairwise import By, Pair
from workbench.ui.shell.resources import get_engine


@st.cache_resource(max_entries=8, show_spinner=False)
def _pool(database_url: str, project_id: int, by: By, seed: str, stamp: Any) -> tuple[Pair, ...]:
    """Kept as it is (not copied): a pool is a tuple of frozen answers, never changed in place."""
    return pairwise.pair_pool(get_engine(), project_id=project_id, by=by, seed=seed)


def pairs_queue(project_id: int, rater: str, by: By, seed: str) -> pairwise.PairQueue:
    """``pairwise.pairs_queue`` on a pool kept while the project's answers stay the same."""
    engine = get_engine()
    stamp = pairwise.answers_stamp(engine, project_id)
    pool = _pool(str(engine.url), project_id, by, seed, stamp)
    return pairwise.pairs_queue(engine, project_id=project_id, rater=rater, by=by, seed=seed, pool=pool)


@st.cache_data(max_entries=8, show_spinner=False)
def _scores(database_url: str, project_id: int, stamp: Any) -> pd.DataFrame:
    return feedback.scores_frame(get_engine(), project_id=project_id)


def scores_frame(project_id: int) -> pd.DataFrame:
    """``feedback.scores_frame``, kept while the project's ratings stay the same."""
    engine = get_engine()
    return _scores(str(engine.url), project_id, feedback.ratings_stamp(engine, project_id))
