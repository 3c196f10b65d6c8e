"""The reporter: takes an application's reports without delaying it, and writes them in bulk.

An application's thread only checks a report and puts it in a bounded in-memory queue (a few
microseconds); one writer thread per database takes what has queued, protects personal data,
and writes it in one transaction. So the answer the application serves is never held up by
the database, and recording never raises into it:

- **The database is down** (or locked, or gone): the batch goes to the local spool
  (``monitor.spool``) and, from then on, so does everything after it, in order; the writer
  tries the spool again with a growing pause (0.5 s up to 30 s), or at once on ``flush()``.
  When it is drained, writing goes straight to the database again.
- **The queue is full** (the database is slower than the application): the report goes to the
  spool directly, in the application's thread; nothing waits.
- **A report the database refuses** (feedback for an id no answer has, an answer whose prompt
  was deleted): it is dropped with a logged warning, and listed by ``flush()``; the rest of its
  batch is written.
- **The process exits**: what is queued is written (or spooled) first.

The writer works in small chunks of rows (Python's thread switching then hands an application
thread that wants to report its turn within the switch interval, 5 ms at most).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlmodel import col

from workbench.errors import NotFound, WorkbenchError
from workbench.monitor.report_checks import UNKNOWN_POLICY, Policy, protect
from workbench.monitor.spool import Spool
from workbench.prompts.releases import resolve_release
from workbench.store.release_tables import ServedAnswer
from workbench.store.tables import Project

log = logging.getLogger(__name__)

QUEUE_LIMIT = 20_000
BATCH = 256
CHUNK = 64  # rows per statement, so the writer never holds the interpreter for long
RECENT = 50_000  # answer ids remembered (with their project) for feedback checks
IDLE_WAIT_S = 0.25
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 30.0
WARN_EVERY_S = 60.0
MAX_LISTED = 200
ANSWER_COLUMNS = (
    *("uid", "project_id", "prompt_id", "release_id", "version_id", "label", "source"),
    *("endpoint_name", "model_name", "variables", "text", "status", "error_kind", "error_message"),
    *("latency_ms", "tokens_in", "tokens_out", "cost_usd", "personal_data", "redacted"),
)
FEEDBACK_FIELDS = ("thumbs", "score", "comment")


@dataclass(frozen=True)
class _FlushMark:
    """Put in the queue by ``flush``: everything queued before it has been handled when the
    writer reaches it."""

    number: int


@dataclass
class FlushReport:
    """Where reports stand after ``flush()``: written, still waiting (queue or spool), refused."""

    written: int = 0
    spooled: int = 0  # waiting in the local spool (the database was unreachable)
    queued: int = 0  # still in memory when the timeout ran out
    dropped: int = 0  # lost: the spool was full
    rejected: list[str] = field(default_factory=list)  # why each refused report was refused

    @property
    def complete(self) -> bool:
        """Everything reported so far is in the database (or was refused, and logged)."""
        return not (self.spooled or self.queued)


class Reporter:
    """One per database per process: the queue, the writer thread and the spool."""

    def __init__(self, engine: Engine, spool: Spool, *, queue_limit: int = QUEUE_LIMIT) -> None:
        self.engine = engine
        self.spool = spool
        self._queue: queue.Queue[dict[str, Any] | _FlushMark | None] = queue.Queue(maxsize=queue_limit)
        self._policies: dict[int, Policy] = {}
        self._recent: OrderedDict[str, int] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._written = 0
        self._rejected: list[str] = []
        self._behind = bool(spool.segments())  # reports wait in the spool: keep their order
        self._retry_at = 0.0
        self._backoff = RETRY_FIRST_S
        self._warned_at = 0.0
        self._flush = threading.Condition()
        self._flush_asked = self._flush_done = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="workbench-monitor", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # ---- the application's side ---------------------------------------------------------------

    def know(self, project_id: int, policy: Policy) -> None:
        """The project's personal-data policy (from the release the application fetched)."""
        self._policies[project_id] = policy

    def submit(self, report: dict[str, Any]) -> None:
        """Queue a checked report; never blocks and never raises."""
        try:
            if report["type"] == "answer" and report.get("project_id") is not None:
                with self._recent_lock:
                    self._recent[report["uid"]] = report["project_id"]
                    while len(self._recent) > RECENT:
                        self._recent.popitem(last=False)
            self._queue.put_nowait(report)
        except queue.Full:
            self._spool_now([report])
        except Exception:  # recording must never take the application down
            log.exception("monitor: could not queue a report")

    def project_of(self, uid: str) -> int | None:
        """The project of answer ``uid``: remembered, or read from the database. ``None`` when
        it cannot be told yet (the database is down, or the answer may still be on its way);
        ``NotFound`` when the database has no such answer and nothing is waiting to be written."""
        with self._recent_lock:
            if uid in self._recent:
                return self._recent[uid]
        try:
            with self.engine.connect() as conn:
                found = conn.execute(
                    select(col(ServedAnswer.project_id)).where(col(ServedAnswer.uid) == uid)
                ).first()
        except SQLAlchemyError:
            return None
        if found is not None:
            return int(found[0])
        if self._behind:  # it may be waiting in the spool (answers this process queued are remembered)
            return None
        raise NotFound(
            f"No answer has the id {uid}: give feedback with the id that complete() or record() returned."
        )

    def flush(self, timeout: float = 30.0) -> FlushReport:
        """Wait (up to ``timeout`` seconds) until every report queued so far is written or
        spooled, and the spool has been tried once more; say where things stand."""
        deadline = time.monotonic() + timeout
        with self._flush:
            self._flush_asked += 1
            mark = _FlushMark(self._flush_asked)
        # Behind everything queued so far: when the writer reaches it, all of that is handled.
        with contextlib.suppress(queue.Full):
            self._queue.put(mark, timeout=max(0.001, timeout))
        with self._flush:
            while self._flush_done < mark.number and self._thread.is_alive():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._flush.wait(remaining)
        return FlushReport(
            written=self._written,
            spooled=self.spool.pending,
            queued=self._queue.unfinished_tasks,
            dropped=self.spool.dropped,
            rejected=list(self._rejected),
        )

    def close(self, timeout: float = 10.0) -> None:
        """Write (or spool) what is queued and stop the writer."""
        if self._stopping.is_set():
            return
        self.flush(timeout)
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(timeout)
        left: list[dict[str, Any]] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, dict):  # flush marks (this close's own, when it gave up) are no reports
                left.append(item)
        self._spool_now(left)
        atexit.unregister(self.close)

    # ---- the writer thread ------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            batch = self._take()
            marks = [item.number for item in batch if isinstance(item, _FlushMark)]
            try:
                self._handle([item for item in batch if isinstance(item, dict)], forced=bool(marks))
            except Exception:  # the writer must survive anything
                log.exception("monitor: unexpected failure while writing reports")
            finally:
                for _ in batch:
                    self._queue.task_done()
                if marks:
                    with self._flush:
                        self._flush_done = max(self._flush_done, *marks)
                        self._flush.notify_all()

    def _take(self) -> list[dict[str, Any] | _FlushMark | None]:
        try:
            first = self._queue.get(timeout=IDLE_WAIT_S)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < BATCH:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _handle(self, reports: list[dict[str, Any]], *, forced: bool) -> None:
        if forced and not self._behind:  # a flush also picks up what another process left
            self._behind = bool(self.spool.segments())
        prepared = [self._prepared(r) for r in reports]
        if not self._behind and prepared:
            try:
                self._write(prepared)
                return
            except SQLAlchemyError as exc:
                self._fault(exc)
        if prepared:
            self._spool_now(prepared, prepared=True)
        if self._behind and (forced or time.monotonic() >= self._retry_at):
            self._drain()

    def _prepared(self, report: dict[str, Any]) -> dict[str, Any]:
        policy = self._policy(report.get("project_id"))
        return protect(report, policy)

    def _policy(self, project_id: int | None) -> Policy:
        if project_id is None:
            return UNKNOWN_POLICY
        if project_id not in self._policies:
            try:
                with self.engine.connect() as conn:
                    row = conn.execute(
                        select(col(Project.sensitivity), col(Project.pii_names)).where(
                            col(Project.id) == project_id
                        )
                    ).first()
            except SQLAlchemyError:
                return UNKNOWN_POLICY
            if row is None:
                return UNKNOWN_POLICY
            self._policies[project_id] = Policy(row[0], tuple(row[1] or ()))
        return self._policies[project_id]

    def _spool_now(self, reports: Sequence[dict[str, Any]], *, prepared: bool = False) -> None:
        if not reports:
            return
        try:
            kept = list(reports) if prepared else [self._prepared(r) for r in reports]
            if self.spool.append(kept):
                self._behind = True
        except Exception:
            self.spool.dropped += len(reports)
            log.exception("monitor: %d reports could not be spooled and are lost", len(reports))

    def _fault(self, exc: Exception) -> None:
        now = time.monotonic()
        self._retry_at = now + self._backoff
        self._backoff = min(self._backoff * 2, RETRY_MAX_S)
        if now - self._warned_at >= WARN_EVERY_S:
            self._warned_at = now
            log.warning(
                "monitor: the database is unreachable (%s); reports wait in %s and are written when it is back",
                type(exc).__name__,
                self.spool.directory,
            )

    def _drain(self) -> None:
        for path in self.spool.segments():
            claimed = self.spool.claim(path)
            if claimed is None:
                continue
            reports = self.spool.read(claimed)
            try:
                self._write(reports)
            except SQLAlchemyError as exc:
                self.spool.release(claimed)
                self._fault(exc)
                return
            self.spool.done(claimed, len(reports))
        self._behind = bool(self.spool.segments())
        if not self._behind:
            self._backoff = RETRY_FIRST_S
            log.info("monitor: the spool is written; reports go straight to the database again")

    # ---- writing ------------------------------------------------------------------------------------

    def _write(self, reports: Sequence[dict[str, Any]]) -> None:
        """All of ``reports`` in one transaction; if the database refuses a value, each report
        on its own, so one bad report cannot hold the others back."""
        try:
            with self.engine.begin() as conn:
                self._write_in(conn, reports)
        except (IntegrityError, DataError):
            for report in reports:
                try:
                    with self.engine.begin() as conn:
                        self._write_in(conn, [report])
                except (IntegrityError, DataError) as exc:
                    self._reject(report, f"the database refused it ({type(exc.orig).__name__})")

    def _write_in(self, conn: Connection, reports: Sequence[dict[str, Any]]) -> None:
        answers = [a for a in (self._resolved(r) for r in reports if r["type"] == "answer") if a]
        recorded = datetime.now(UTC)
        rows = [_answer_row(a, recorded) for a in answers]
        statement = _insert_once(conn)
        for start in range(0, len(rows), CHUNK):
            conn.execute(statement, rows[start : start + CHUNK])
        feedback = [r for r in reports if r["type"] == "feedback"]
        self._written += len(rows) + self._apply_feedback(conn, feedback)

    def _apply_feedback(self, conn: Connection, feedback: Sequence[dict[str, Any]]) -> int:
        """Set what each piece of feedback gives on its answer, in the order given; feedback for
        an id no answer has is refused. Runs of feedback giving the same fields are one
        statement each (thousands of thumbs are one round trip, not thousands)."""
        if not feedback:
            return 0
        table = ServedAnswer.__table__  # type: ignore[attr-defined]
        wanted = sorted({f["uid"] for f in feedback})
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            known.update(conn.execute(select(table.c.uid).where(table.c.uid.in_(part))).scalars())
        applied = 0
        run: list[dict[str, Any]] = []
        for report in [*feedback, None]:
            fields = tuple(k for k in FEEDBACK_FIELDS if report is not None and report.get(k) is not None)
            if run and (report is None or fields != run[0]["fields"]):
                statement = (
                    update(table)
                    .where(table.c.uid == bindparam("answer_uid"))
                    .values({name: bindparam(f"new_{name}") for name in (*run[0]["fields"], "feedback_at")})
                )
                conn.execute(statement, [item["params"] for item in run])
                applied += len(run)
                run = []
            if report is None:
                break
            if report["uid"] not in known:
                self._reject(report, "no answer has this id")
                continue
            params = {f"new_{k}": report[k] for k in fields}
            params.update(answer_uid=report["uid"], new_feedback_at=datetime.fromisoformat(report["at"]))
            run.append({"fields": fields, "params": params})
        return applied

    def _resolved(self, report: dict[str, Any]) -> dict[str, Any] | None:
        """An answer reported by prompt name while the database was down gets its ids now."""
        if report.get("prompt_id") is not None:
            return report
        try:
            release = resolve_release(
                self.engine,
                report["prompt_name"],
                label=report.get("label"),
                project=report.get("project_name"),
            )
        except WorkbenchError as exc:
            self._reject(report, str(exc))
            return None
        return {
            **report,
            "project_id": release.project_id,
            "prompt_id": release.prompt_id,
            "version_id": release.version_id,
            "release_id": release.release_id,
        }

    def _reject(self, report: dict[str, Any], why: str) -> None:
        message = f"{report['type']} {report.get('uid', '')}: {why}"
        log.warning("monitor: report not written: %s", message)
        if len(self._rejected) < MAX_LISTED:
            self._rejected.append(message)


def _answer_row(report: dict[str, Any], recorded: datetime) -> dict[str, Any]:
    row = {name: report.get(name) for name in ANSWER_COLUMNS}
    row["personal_data"] = row["personal_data"] or {}
    row["redacted"] = bool(row["redacted"])
    row["variables"] = row["variables"] or {}
    row["source"] = row["source"] or ""
    row["served_at"] = datetime.fromisoformat(report["served_at"])
    row["recorded_at"] = recorded
    row.update(thumbs=None, score=None, comment="", feedback_at=None, output_id=None)
    return row


def _insert_once(conn: Connection) -> Any:
    """An insert that skips an answer already written (a spool drained twice after a crash)."""
    table = ServedAnswer.__table__  # type: ignore[attr-defined]
    name = conn.dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["uid"])
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["uid"])
    return insert(table)
