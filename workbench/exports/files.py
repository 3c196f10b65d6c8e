"""What an export hands back (a named file with its type), and its audit event."""

from __future__ import annotations

import gc
import io
import queue
import re
import threading
import zipfile
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from workbench.exports.scope import Selection
from workbench.store import audit

ZIP_MIME = "application/zip"
T = TypeVar("T")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    mime: str
    data: bytes
    counts: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # what the person should know about the file (e.g. personal data redacted)


def stamp() -> str:
    """``20261201-1405``: part of file names, so downloads do not overwrite each other."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "export"


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def record_export(
    engine: Engine, *, actor: str, fmt: str, selection: Selection | None, counts: Mapping[str, Any]
) -> None:
    """``export.<fmt>`` in the audit log, with what was selected and how much left. An export
    writes nothing else, so the event has a transaction of its own (``audit.record_now``)."""
    audit.record_now(
        engine,
        actor=actor,
        action=f"export.{fmt}",
        entity_type="library",
        project_id=selection.project_ids[0] if selection and len(selection.project_ids) == 1 else None,
        after={**(selection.as_dict() if selection else {"scope": "everything"}), **counts},
    )


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large export is built.

    200,000 rows make millions of small tuples and dicts; the collector's repeated passes over
    them cost more than the export itself (measured: a third of the time), and nothing built
    here forms reference cycles. Only the caller that paused it resumes it, so overlapping
    exports in other sessions are safe.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_DONE = object()


def read_ahead(produce: Callable[[], Generator[T, None, None]], depth: int = 2) -> Iterator[T]:
    """The items of ``produce()``, made on a worker thread up to ``depth`` items ahead.

    A big export's database reads spend most of their time with Python's lock released
    (SQLite's steps, PostgreSQL's network waits), so reading the next batch on the second core
    while this thread formats the last one nearly halves the time; at most ``depth`` batches
    wait in memory. An error in ``produce`` is raised here; when the consumer stops early, the
    worker is told to stop and is waited for (it releases its connection itself)."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            with closing(produce()) as items:
                for item in items:
                    ready.put(item)
                    if stop.is_set():
                        return
            ready.put(_DONE)
        except BaseException as exc:
            ready.put(_Failed(exc))

    worker = threading.Thread(target=work, name="export-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting to hand over an item
            with suppress(queue.Empty):
                ready.get(timeout=0.05)
        worker.join()


@contextmanager
def snapshot(conn: Connection) -> Iterator[Connection]:
    """One read-only transaction for several statements, so an export read a range at a time
    sees the database as it was at its first read, whatever is written meanwhile: an explicit
    BEGIN on SQLite (whose driver opens transactions only for writes), repeatable read on
    PostgreSQL. Rolled back at the end (nothing was written)."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
    try:
        yield conn
    finally:
        conn.rollback()
