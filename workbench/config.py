"""Settings read from the environment, in one place.

The core never reads ``st.secrets``; the UI layer resolves secrets and passes them in. What lives
here are the few process-wide knobs an operator sets before starting the app.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_FILENAME = "workbench.db"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    seed_demo: bool
    # E-mails that administer the whole workbench whatever the database says (WORKBENCH_ADMINS).
    admins: tuple[str, ...] = ()
    local_models: bool = True  # serve the demo's "Local fake server" models inside the app


def _truthy(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``environ`` (defaults to ``os.environ``).

    ``WORKBENCH_HOME`` is where the default SQLite file lives (``./data`` under the current
    directory by default); ``WORKBENCH_DATABASE_URL`` overrides the database entirely;
    ``WORKBENCH_ADMINS`` names workbench admins (comma-separated e-mails).
    """
    env = os.environ if environ is None else environ
    home = Path(env.get("WORKBENCH_HOME") or Path.cwd() / "data").expanduser().resolve()
    url = env.get("WORKBENCH_DATABASE_URL") or f"sqlite:///{home / DEFAULT_DB_FILENAME}"
    admins = tuple(a.strip().lower() for a in (env.get("WORKBENCH_ADMINS") or "").split(",") if a.strip())
    return Settings(
        home=home,
        database_url=url,
        seed_demo=_truthy(env.get("WORKBENCH_SEED_DEMO"), True),
        admins=admins,
        local_models=_truthy(env.get("WORKBENCH_LOCAL_MODELS"), True),
    )
