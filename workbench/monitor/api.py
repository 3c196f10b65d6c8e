"""The monitor's functions for applications (re-exported by ``workbench`` and ``workbench.monitor``).

- ``app_prompt`` builds what ``workbench.get_prompt`` returns (``AppPrompt``).
- ``record_answer`` reports an answer by prompt name, for code that has no ``AppPrompt`` at hand.
- ``record_feedback`` attaches the end user's feedback to an answer by its id.
- ``flush`` waits until what was reported is written, and says what still waits.

There is one ``Reporter`` per database per process (``reporter_for``). An unknown prompt or label
is a ``NotFound``, a malformed value an ``InvalidInput``, raised at once with nothing written; a
database fault is never raised: the report waits in the local spool.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from workbench.config import load_settings
from workbench.errors import ConfigError
from workbench.monitor.app_prompt import AppPrompt
from workbench.monitor.report_checks import Policy, Target, answer_report, feedback_report, model_names
from workbench.monitor.reporter import FlushReport, Reporter
from workbench.monitor.spool import Spool, spool_dir
from workbench.prompts.releases import resolve_release
from workbench.store.engine import database_url, make_engine, session_scope, shared_database
from workbench.store.lookup import fetch
from workbench.store.tables import Project

CACHE_S = 60.0  # how long record_answer trusts a resolved prompt (a label move shows within it)

_reporters: dict[str, Reporter] = {}
_prompts: dict[tuple[str, str, str | None, str | None], tuple[float, AppPrompt]] = {}
_lock = threading.Lock()


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def reporter_for(engine: Engine, *, spool: Spool | None = None) -> Reporter:
    """The process's reporter for ``engine``'s database (made on first use; its spool is
    ``WORKBENCH_HOME/spool/<hash of the URL>`` unless ``spool`` is given)."""
    key = _key(engine)
    with _lock:
        if key not in _reporters:
            _reporters[key] = Reporter(engine, spool or Spool(spool_dir(load_settings().home, key)))
        return _reporters[key]


def forget(engine: Engine) -> None:
    """Write what ``engine``'s reporter holds and stop it (tests; a process leaving a database)."""
    with _lock:
        reporter = _reporters.pop(_key(engine), None)
        for cached in [k for k in _prompts if k[0] == _key(engine)]:
            del _prompts[cached]
    if reporter is not None:
        reporter.close()


def project_policy(engine: Engine, project_id: int) -> Policy:
    with session_scope(engine) as session:
        project = fetch(session, Project, project_id)
        return Policy(project.sensitivity, tuple(project.pii_names or ()))


def app_prompt(
    engine: Engine,
    name: str,
    *,
    label: str | None = "production",
    version: int | None = None,
    project: str | None = None,
    source: str = "",
) -> AppPrompt:
    """The release of prompt ``name`` at ``label`` (or ``version``), ready to call and report."""
    release = resolve_release(engine, name, label=label, version=version, project=project)
    policy = project_policy(engine, release.project_id)
    reporter = reporter_for(engine)
    reporter.know(release.project_id, policy)
    fields = {f: getattr(release, f) for f in release.__dataclass_fields__}
    return AppPrompt(**fields, engine=engine, reporter=reporter, policy=policy, source=source)


def _engine_at(url: str) -> Engine:
    """The shared, migrated engine; when the database cannot be opened, an engine that will
    reach it once it is back (reports then wait in the spool)."""
    make_engine(url)  # a malformed URL is a configuration error, raised as such
    try:
        return shared_database(url)
    except (ConfigError, SQLAlchemyError):
        return make_engine(url)


def _cached_prompt(url: str, name: str, label: str | None, project: str | None, source: str) -> AppPrompt:
    key = (url, name, label, project)
    with _lock:
        cached = _prompts.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        found = app_prompt(shared_database(url), name, label=label, project=project, source=source)
    except (ConfigError, SQLAlchemyError):
        if cached:  # the database is down: the last release seen is the best guess
            return cached[1]
        raise
    with _lock:
        _prompts[key] = (time.monotonic() + CACHE_S, found)
    return found


def record_answer(
    prompt: str,
    *,
    text: str,
    variables: dict[str, Any] | None = None,
    label: str | None = "production",
    project: str | None = None,
    model: str | tuple[str, str] | None = None,
    status: str = "ok",
    error: str | None = None,
    latency_ms: float | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    cost_usd: float | None = None,
    served_at: datetime | None = None,
    source: str = "",
    database_url: str | None = None,
) -> str:
    """Report an answer served with prompt ``prompt`` at ``label``; returns its id for feedback.
    ``NotFound`` for an unknown prompt or label. When the database cannot be reached and the
    prompt was not resolved before, the report waits in the spool by name and is resolved when
    the database is back (an unknown name is then dropped with a logged warning)."""
    url = _url(database_url)
    fields: dict[str, Any] = dict(
        variables=variables,
        text=text,
        status=status,
        error=error,
        latency_ms=latency_ms,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost_usd,
        served_at=served_at,
    )
    try:
        found = _cached_prompt(url, prompt, label, project, source)
    except (ConfigError, SQLAlchemyError):
        return _record_unresolved(url, prompt, label, project, source, model, fields)
    return found.record(model=model, **fields)


def _record_unresolved(
    url: str,
    prompt: str,
    label: str | None,
    project: str | None,
    source: str,
    model: str | tuple[str, str] | None,
    fields: dict[str, Any],
) -> str:
    report = answer_report(Target(0, 0, 0, None, label), model=model_names(model), source=source, **fields)
    report.update(project_id=None, prompt_id=None, version_id=None, prompt_name=prompt, project_name=project)
    reporter_for(_engine_at(url)).submit(report)
    return str(report["uid"])


def record_feedback(
    answer_id: str,
    *,
    thumbs: Any = None,
    score: Any = None,
    comment: Any = None,
    database_url: str | None = None,
) -> None:
    """The end user's thumbs (``"up"``/``"down"``), score (1-5) and/or comment on answer
    ``answer_id``; only what is given is set. ``InvalidInput`` for a malformed value,
    ``NotFound`` for an id no answer has (when the database can tell)."""
    report = feedback_report(answer_id, thumbs=thumbs, score=score, comment=comment)
    reporter = reporter_for(_engine_at(_url(database_url)))
    report["project_id"] = reporter.project_of(report["uid"])
    reporter.submit(report)


def flush(timeout: float = 30.0, *, database_url: str | None = None) -> FlushReport:
    """Wait until what this process reported is written (or spooled, if the database is down);
    for ``database_url``'s reporter, or all of them."""
    wanted = _key(_engine_at(_url(database_url))) if database_url is not None else None
    with _lock:
        chosen = [r for k, r in _reporters.items() if wanted in (None, k)]
    total = FlushReport()
    for reporter in chosen:
        done = reporter.flush(timeout)
        total.written += done.written
        total.spooled += done.spooled
        total.queued += done.queued
        total.dropped += done.dropped
        total.rejected += done.rejected
    return total


def _url(override: str | None) -> str:
    return database_url(override)
