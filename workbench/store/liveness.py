"""Which process owns a piece of running work, and whether that process is still alive.

A run or an evaluation is "running" while some process is answering it. When that process is
killed, the row would say "running" forever; on the next start the workbench marks such work
interrupted. But several server processes may share one database, so "running" alone does not
say "crashed": each row records its owner as ``host:pid:start`` (the process's start time tells
a live process from a later one that got the same pid, as a restarted container's PID 1 does).

``owner_gone`` is true only when the owner is provably gone: a process of this host that no
longer exists (or is another process now). Work owned by another host is left alone, and so is
work of a live process.
"""

from __future__ import annotations

import os
import socket
from functools import cache

from sqlalchemy import Engine, exists, or_, select
from sqlmodel import col

from workbench.store.engine import session_scope
from workbench.store.tables import Evaluation, Run


def _start_of(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None when unknown."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of /proc/<pid>/stat, counted after the command name
    except (OSError, IndexError):
        return None


@cache
def process_token() -> str:
    """This process as an owner: ``host:pid:start``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_of(pid) or ''}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def owner_gone(token: str | None) -> bool:
    """True when the process that owns the work no longer runs (a row with no owner was left by
    a workbench from before owners were recorded: gone too)."""
    if not token:
        return True
    host, _, rest = token.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's work: it cannot be checked from here
    pid = int(pid_text)
    if token == process_token():
        return False
    if not _alive(pid):
        return True
    now = _start_of(pid)
    return bool(start and now and now != start)  # the pid belongs to a later process


def work_left_running(engine: Engine) -> bool:
    """Whether any run or evaluation says "running" (a cheap check before anything is imported
    to look closer)."""
    with session_scope(engine) as session:
        query = select(
            or_(
                exists().where(col(Run.status) == "running"),
                exists().where(col(Evaluation.status) == "running"),
            )
        )
        return bool(session.execute(query).scalar())
