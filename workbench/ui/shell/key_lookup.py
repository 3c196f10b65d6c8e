"""Key lookup for providers: a key pasted in Settings first, then environment variables, then
``.streamlit/secrets.toml``.

A key pasted in the browser is kept in this server process's memory only (``remember_key``),
for as long as the server runs, unless the person also chose to write it to the secrets file
(``write_to_secrets_file``). ``st.secrets`` raises when no secrets file exists (a fresh clone),
so every access is guarded. Keys are looked up at call time and handed straight to the
provider; they are never cached in session state, written to the database or a log, or shown
except masked.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

import streamlit as st
from streamlit import file_util

from workbench.errors import InvalidInput

_PASTED: dict[str, str] = {}  # variable name -> key, for the life of this server process
_LOCK = threading.Lock()
SECRETS_FILE_ENV = "WORKBENCH_SECRETS_FILE"  # where "write to secrets.toml" writes (tests point it elsewhere)
_TOP_LEVEL_ASSIGNMENT = r"^\s*{name}\s*="


def lookup_key(name: str) -> str | None:
    with _LOCK:
        pasted = _PASTED.get(name)
    if pasted:
        return pasted
    value = os.environ.get(name)
    if value:
        return value
    try:
        found = st.secrets.get(name)
    except Exception:  # StreamlitSecretNotFoundError, or a malformed secrets.toml
        return None
    return str(found) if found else None


def key_source(name: str) -> str | None:
    """Where a key comes from ("pasted in Settings" / "environment" / "secrets.toml")."""
    with _LOCK:
        if _PASTED.get(name):
            return "pasted in Settings"
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


def _checked(name: str, value: str) -> str:
    key = value.strip()
    if not re.fullmatch(r"[A-Z_][A-Z0-9_]{0,99}", name):
        raise InvalidInput(f"'{name}' is not a key variable's name.", field="name")
    if not key:
        raise InvalidInput("Paste the key first.", field="key")
    if any(c.isspace() for c in key) or len(key) > 500:
        raise InvalidInput("That does not look like a key: it has spaces or line breaks in it.", field="key")
    return key


def remember_key(name: str, value: str) -> str:
    """Keep ``value`` as the key in ``name`` for the running server (memory only)."""
    key = _checked(name, value)
    with _LOCK:
        _PASTED[name] = key
    return key


def forget_key(name: str) -> bool:
    """Drop a pasted key (the environment's or secrets.toml's, if any, applies again)."""
    with _LOCK:
        return _PASTED.pop(name, None) is not None


def secrets_file() -> Path:
    """Where a key kept "in secrets.toml" goes: the project's ``.streamlit/secrets.toml`` when
    Streamlit reads it (by default it does, after the user's own ``~/.streamlit/secrets.toml``,
    so a key written there wins); else the last file Streamlit was told to read, which wins."""
    override = os.environ.get(SECRETS_FILE_ENV)
    if override:
        return Path(override)
    project = file_util.get_project_streamlit_file_path("secrets.toml")
    try:
        files = [str(f) for f in st.get_option("secrets.files")]
    except Exception:
        return Path(project)
    return Path(project if project in files or not files else files[-1])


def write_to_secrets_file(name: str, value: str) -> Path:
    """Set ``name = "<key>"`` at the top of the secrets file (other settings kept), readable by
    this user only, and keep the key in memory too so it applies without a restart."""
    key = remember_key(name, value)
    path = secrets_file()
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    line = f"{name} = {json.dumps(key)}"
    pattern = re.compile(_TOP_LEVEL_ASSIGNMENT.format(name=re.escape(name)))
    section = next((i for i, text in enumerate(lines) if text.strip().startswith("[")), len(lines))
    found = next((i for i in range(section) if pattern.match(lines[i])), None)
    if found is not None:
        lines[found] = line
    else:
        lines.insert(section, line)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path
