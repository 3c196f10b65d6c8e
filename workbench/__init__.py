"""Prompt Workbench core: pure Python, usable from a REPL, the CLI and tests (no Streamlit).

Applications call the release (prompt version, model and settings) that business users tuned
and labelled, and report back what they served::

    import workbench

    prompt = workbench.get_prompt("Late order reply", label="production")
    answer = prompt.complete(order_id="12345", order_date="May 1, 2023", ...)
    workbench.record_feedback(answer.id, thumbs="up")   # when the end user says so

``prompt.render(...)`` gives the messages alone, for applications that call their model
themselves and report with ``prompt.record(...)``; see ``workbench.monitor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from workbench.monitor.app_prompt import AppPrompt


def get_prompt(
    name: str,
    label: str | None = "production",
    *,
    version: int | None = None,
    project: str | None = None,
    database_url: str | None = None,
    source: str = "",
) -> AppPrompt:
    """The release of prompt ``name`` that ``label`` points at (or version number ``version``):
    templates, ``render``, the model and settings, ``complete`` and ``record``.

    Raises ``workbench.errors.NotFound`` for an unknown prompt, label or version. The database
    is ``database_url``, else ``WORKBENCH_DATABASE_URL``, else ``./data/workbench.db``. ``source``
    names the application in what it reports (e.g. "support-bot").
    """
    from workbench.monitor.api import app_prompt
    from workbench.store.engine import database_url as resolve_url
    from workbench.store.engine import shared_database

    engine = shared_database(resolve_url(database_url))
    return app_prompt(engine, name, label=label, version=version, project=project, source=source)


def __getattr__(name: str) -> Any:
    """``workbench.record_feedback`` and ``workbench.flush`` are the monitor's, imported on first
    use so ``import workbench`` stays cheap:

    - ``record_feedback(answer_id, thumbs=..., score=..., comment=...)``: the end user's feedback
      on a served answer, by the id ``complete`` or ``record`` gave;
    - ``flush(timeout=30.0)``: wait until every answer and feedback reported so far is written
      (or spooled, while the database is down).
    """
    if name in ("record_feedback", "flush"):
        from workbench.monitor import api

        return getattr(api, name)
    if name == "monitor":
        import workbench.monitor

        return workbench.monitor
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


__all__ = ["__version__", "flush", "get_prompt", "record_feedback"]
