"""Reporting while the database is down: nothing raises into the application, reports wait in
the bounded local spool, and every one of them is written when the database is back."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.conftest import sqlite_url
from tests.monitor_support import app, make_prompt, point, reporting
from tests.postgres_server import ThrowawayPostgres
from workbench.models import endpoints
from workbench.monitor import figures
from workbench.monitor.spool import Spool
from workbench.store.engine import make_engine, migrate, open_database


def release_on_echo(engine: Engine) -> None:
    endpoints.ensure_builtin_endpoints(engine)
    _v1, v2 = make_prompt(engine)
    point(engine, v2, ("Echo", "echo"))


def answers(prompt, count: int, start: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        prompt.record(variables={"order_id": str(n)}, text=f"answer {n}", latency_ms=float(n), cost_usd=0.5)
        for n in range(start, start + count)
    ]


def spooled_reports(folder: Path) -> int:
    return sum(len(Spool.read(path)) for path in Spool(folder).segments())


@pytest.fixture
def locked_sqlite(tmp_path: Path) -> Iterator[tuple[Engine, Path]]:
    """A migrated SQLite database whose writers give up after 50 ms when another holds the lock
    (the default five seconds would only make the test slow)."""
    path = tmp_path / "workbench.db"
    engine = make_engine(sqlite_url(path))
    event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=50"))
    migrate(engine)
    yield engine, path
    engine.dispose()


def hold_write_lock(path: Path) -> sqlite3.Connection:
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    return locker


def test_a_postgres_server_stopped_midway_gets_every_spooled_report_when_it_is_back(tmp_path: Path) -> None:
    if not ThrowawayPostgres.available():
        pytest.skip("needs PostgreSQL's server binaries (apt-get install postgresql)")
    server = ThrowawayPostgres()
    server.init()
    server.start()
    engine = open_database(server.url)
    try:
        release_on_echo(engine)
        with reporting(engine, tmp_path / "spool") as reporter:
            prompt = app(engine)
            before = answers(prompt, 100)
            assert reporter.flush(60).complete

            server.stop()
            during = answers(prompt, 300, start=100)  # nothing raises, nothing waits
            for answer_id in before[:10] + during[:10]:
                prompt.feedback(answer_id, thumbs="down", comment="too slow")
            waiting = reporter.flush(30)
            assert (waiting.complete, waiting.spooled, waiting.queued, waiting.dropped) == (False, 320, 0, 0)
            assert spooled_reports(tmp_path / "spool") == 320

            server.start()
            back = reporter.flush(60)
            assert back.complete and back.rejected == [] and spooled_reports(tmp_path / "spool") == 0
        frame = figures.served_frame(engine, prompt_id=prompt.prompt_id)
        assert sorted(frame["uid"]) == sorted(before + during)
        assert list(frame["latency_ms"]) == [float(n) for n in range(400)]  # in the order served
        down = frame[frame["thumbs"] == 0]
        assert sorted(down["uid"]) == sorted(before[:10] + during[:10]) and set(down["comment"]) == {
            "too slow"
        }
        assert figures.summarise_answers(frame).cost_usd == 200.0
    finally:
        engine.dispose()
        server.remove()


def test_a_locked_sqlite_database_keeps_reports_in_the_spool_until_it_is_free(
    locked_sqlite: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, path = locked_sqlite
    release_on_echo(engine)
    with reporting(engine, tmp_path / "spool") as reporter:
        prompt = app(engine)
        first = answers(prompt, 50)
        assert reporter.flush(30).complete
        locker = hold_write_lock(path)
        second = answers(prompt, 200, start=50)
        prompt.feedback(first[0], score=2)
        waiting = reporter.flush(30)
        assert (waiting.complete, waiting.spooled) == (False, 201)
        locker.execute("COMMIT")
        locker.close()
        assert reporter.flush(30).complete
    frame = figures.served_frame(engine, prompt_id=prompt.prompt_id)
    assert sorted(frame["uid"]) == sorted(first + second)
    assert frame.set_index("uid").loc[first[0], "score"] == 2


def test_the_spool_is_bounded_and_says_what_it_dropped(
    locked_sqlite: tuple[Engine, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine, path = locked_sqlite
    release_on_echo(engine)
    with reporting(engine, tmp_path / "spool", limit=100) as reporter:
        prompt = app(engine)
        locker = hold_write_lock(path)
        with caplog.at_level(logging.WARNING, logger="workbench.monitor"):
            answers(prompt, 300)
            waiting = reporter.flush(30)
        assert waiting.spooled <= 100 and waiting.spooled + waiting.dropped == 300
        assert "is full" in caplog.text and waiting.dropped > 0
        locker.execute("COMMIT")
        locker.close()
        assert reporter.flush(30).complete
    assert len(figures.served_frame(engine, prompt_id=prompt.prompt_id)) == waiting.spooled


def test_reports_a_finished_process_left_in_the_spool_are_written_by_the_next_once(
    locked_sqlite: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, path = locked_sqlite
    release_on_echo(engine)
    folder = tmp_path / "spool"
    locker = hold_write_lock(path)
    with reporting(engine, folder):  # the first process ends while the database is locked
        prompt = app(engine)
        left = answers(prompt, 50)
    assert spooled_reports(folder) == 50
    copies = tmp_path / "copies"
    shutil.copytree(folder, copies)
    locker.execute("COMMIT")
    locker.close()

    with reporting(engine, folder) as reporter:  # the next process writes them
        assert reporter.flush(30).complete
        for segment in copies.iterdir():  # a crash after the commit, before the segment was deleted
            shutil.copy(segment, folder / segment.name)
        assert reporter.flush(30).complete and spooled_reports(folder) == 0
    frame = figures.served_frame(engine, prompt_id=prompt.prompt_id)
    assert sorted(frame["uid"]) == sorted(left)  # each once


def test_reports_still_queued_when_close_gives_up_on_a_hung_write_are_spooled(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``close`` waits ``timeout`` for the writer, then spools what is still queued for the next
    process. Its own flush mark is in that queue too and must not take the reports down with it
    (they were counted dropped and lost)."""
    release_on_echo(engine)
    hung, free = threading.Event(), threading.Event()
    with reporting(engine, tmp_path / "spool") as reporter:
        write = reporter._write

        def hanging_write(reports: Sequence[dict[str, Any]]) -> None:
            hung.set()
            free.wait()
            write(reports)

        monkeypatch.setattr(reporter, "_write", hanging_write)
        prompt = app(engine)
        answers(prompt, 1)
        assert hung.wait(30)  # the writer holds the first report until `free`
        answers(prompt, 2, start=1)
        reporter.close(timeout=0.05)
        free.set()
        reporter._thread.join(30)
        assert spooled_reports(tmp_path / "spool") == 2
        assert reporter.spool.dropped == 0
