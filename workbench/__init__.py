"""Prompt Workbench core: pure Python, usable from a REPL, the CLI and tests (no Streamlit).

Applications fetch the prompt that business users tuned and labelled::

    import workbench
    prompt = workbench.get_prompt("Late order reply", label="production")
    messages = prompt.render(order_id="12345", order_date="May 1, 2023")
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from workbench.prompts.releases import PromptRelease


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    from workbench.store.engine import open_database

    return open_database(url)


def get_prompt(
    name: str,
    label: str | None = "production",
    *,
    version: int | None = None,
    project: str | None = None,
    database_url: str | None = None,
) -> PromptRelease:
    """The version of prompt ``name`` that ``label`` points at (or version number ``version``).

    Raises ``workbench.errors.NotFound`` for an unknown prompt, label or version. The database
    is ``database_url``, else ``WORKBENCH_DATABASE_URL``, else ``./data/workbench.db``.
    """
    from workbench.prompts.releases import resolve_release
    from workbench.store.engine import database_url as resolve_url

    return resolve_release(
        _engine(resolve_url(database_url)), name, label=label, version=version, project=project
    )


__all__ = ["__version__", "get_prompt"]
