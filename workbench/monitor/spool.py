"""The local spool: where reports wait, on the application's disk, while the database is down.

A spool is a folder of segment files, one per batch that could not be written, each a JSON line
per report, written to a temporary name and renamed, so a segment is whole or absent. Segments
are named by time, so draining them in name order writes reports in the order they were made
(feedback after the answer it is about).

- **Bounded.** At most ``limit`` reports wait; beyond that new ones are dropped, counted and
  logged, so a long outage fills a known amount of disk, not the whole disk.
- **Safe to drain twice.** A segment is deleted only after its reports are committed, and
  writing a report twice changes nothing (answers are keyed by their id, feedback sets values),
  so a crash between the commit and the delete costs nothing.
- **Several processes.** A process claims a segment by renaming it before draining it, so two
  workers of one application never drain the same segment; segments claimed by a process that
  has since died are claimed again.

The folder is per database (a hash of its URL, never the URL, which may hold a password) under
``WORKBENCH_HOME/spool``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 100_000
SUFFIX = ".jsonl"
CLAIMED = ".claimed-"


def spool_dir(home: Path, database_url: str) -> Path:
    """The spool folder for ``database_url`` under ``home`` (``WORKBENCH_HOME``)."""
    digest = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:16]
    return home / "spool" / digest


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


class Spool:
    """A bounded folder of report segments, drained oldest first."""

    def __init__(self, directory: Path, *, limit: int = DEFAULT_LIMIT) -> None:
        self.directory = directory
        self.limit = limit
        self.dropped = 0
        self._lock = threading.Lock()
        self._sequence = 0
        self._count = sum(self._lines(p) for p in self._files()) if directory.exists() else 0

    # ---- what is waiting -------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(SUFFIX) or CLAIMED in p.name)

    @staticmethod
    def _lines(path: Path) -> int:
        try:
            with path.open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        except FileNotFoundError:
            return 0

    @property
    def pending(self) -> int:
        """Reports waiting in this folder (any process's)."""
        return self._count

    def segments(self) -> list[Path]:
        """Segments ready to drain, oldest first: unclaimed ones, and those claimed by a
        process that is gone."""
        if not self.directory.exists():
            return []
        ready = []
        for path in self._files():
            if CLAIMED not in path.name:
                ready.append(path)
                continue
            owner = path.name.rsplit(CLAIMED, 1)[1]
            if owner.isdigit() and int(owner) != os.getpid() and not _alive(int(owner)):
                ready.append(path)
        return ready

    # ---- writing and draining --------------------------------------------------------------------

    def append(self, reports: Sequence[dict[str, Any]]) -> int:
        """Keep ``reports`` as one new segment; returns how many were kept (none when the spool
        is full: they are counted in ``dropped`` and logged)."""
        if not reports:
            return 0
        with self._lock:
            if self._count + len(reports) > self.limit:
                self.dropped += len(reports)
                log.warning(
                    "monitor spool %s is full (%d reports waiting, limit %d): %d reports dropped",
                    self.directory,
                    self._count,
                    self.limit,
                    len(reports),
                )
                return 0
            self.directory.mkdir(parents=True, exist_ok=True)
            self._sequence += 1
            name = f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}"
            temporary = self.directory / f".{name}.tmp"
            with temporary.open("w", encoding="utf-8") as handle:
                for report in reports:
                    handle.write(json.dumps(report, ensure_ascii=False, default=str) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            temporary.rename(self.directory / f"{name}{SUFFIX}")
            self._count += len(reports)
            return len(reports)

    def claim(self, path: Path) -> Path | None:
        """Take ``path`` for this process (``None`` when another process took it first)."""
        base = path.name.split(CLAIMED, 1)[0].removesuffix(SUFFIX)
        claimed = path.with_name(f"{base}{SUFFIX}{CLAIMED}{os.getpid()}")
        try:
            path.rename(claimed)
        except FileNotFoundError:
            return None
        return claimed

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        reports = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    reports.append(json.loads(line))
                except ValueError:
                    log.warning("monitor spool %s line %d is not JSON; skipped", path, number)
        return reports

    def release(self, path: Path) -> None:
        """Give a claimed segment back (its write failed): it is drained again later."""
        path.rename(path.with_name(path.name.split(CLAIMED, 1)[0]))

    def done(self, path: Path, count: int) -> None:
        """Forget a drained segment (its reports are in the database)."""
        path.unlink(missing_ok=True)
        with self._lock:
            self._count = max(0, self._count - count)
