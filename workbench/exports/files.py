"""What an export hands back (a named file with its type), and its audit event."""

from __future__ import annotations

import gc
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from workbench.exports.scope import Selection
from workbench.store import audit

ZIP_MIME = "application/zip"


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
