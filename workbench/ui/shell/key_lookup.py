"""Key lookup for providers: environment variables first, then ``.streamlit/secrets.toml``.

``st.secrets`` raises when no secrets file exists (a fresh clone), so every access is guarded.
Keys are looked up at call time and handed straight to the provider; they are never cached in
session state, written to the database, or shown except masked.
"""

from __future__ import annotations

import os

import streamlit as st


def lookup_key(name: str) -> str | None:
    value = os.environ.get(name)
    if value:
        return value
    try:
        found = st.secrets.get(name)
    except Exception:  # StreamlitSecretNotFoundError, or a malformed secrets.toml
        return None
    return str(found) if found else None


def key_source(name: str) -> str | None:
    """Where a key comes from ("environment" / "secrets.toml"), for the settings page."""
    if os.environ.get(name):
        return "environment"
    try:
        return "secrets.toml" if st.secrets.get(name) else None
    except Exception:
        return None


def mask(value: str | None) -> str:
    """Enough to recognise a key, never enough to use it: ``sk-…a1b2``."""
    if not value:
        return ""
    if len(value) <= 8:
        return "••••"
    return f"{value[:3]}…{value[-4:]}"
