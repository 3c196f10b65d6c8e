"""Process-wide resources, built once per server with ``st.cache_resource``.

The engine is shared by every session (SQLAlchemy engines are thread-safe); it is migrated to
head, on first start seeded with the demo content, and the runs and evaluations a stopped
server left "running" are marked interrupted. ``FIRST_PAGE_DRAWN`` tells the launcher's
warm-up when the first visitor's page is done.
"""

from __future__ import annotations

import threading

import streamlit as st
from sqlalchemy import Engine

from workbench.config import load_settings
from workbench.demo.seed import seed_demo
from workbench.evals.interrupted import mark_interrupted
from workbench.store.engine import database_url, open_database

# Set when the router's first run in this process has ended (however it ended: a page drawn, the
# sign-in screen, an error shown): the launcher's warm-up (``workbench.ui.serve``) holds the
# imports the first page does not need until then, so they do not slow that page down.
FIRST_PAGE_DRAWN = threading.Event()


@st.cache_resource(show_spinner="Opening the database…")
def _engine_for(url: str, seed: bool) -> Engine:
    engine = open_database(url)
    if seed:
        seed_demo(engine)
    mark_interrupted(engine)  # what a stopped server left "running" is said to be interrupted
    return engine


def get_engine() -> Engine:
    """The engine for the configured database (keyed by URL, so tests can point elsewhere)."""
    return _engine_for(database_url(), load_settings().seed_demo)
