"""Runs whose process stopped (killed, crashed, restarted) before every answer came back.

The runner stores each answer the moment it arrives, so a killed process loses only the calls
it was waiting for; but its run would stay "running" forever. On start, ``mark_interrupted``
finds the running runs whose owner process is gone (``store.liveness``; runs of a live process,
here or on another machine, are left alone) and marks them ``interrupted``, noting how many
answers were saved and how many were lost. Compare then shows the lost cells as such.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import col, func, select

from workbench.runs.outputs import INTERRUPTED
from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.liveness import owner_gone
from workbench.store.tables import Output, Run, utcnow


def mark_interrupted(engine: Engine) -> list[int]:
    """Mark the runs of gone processes interrupted (audited); returns their ids."""
    marked = []
    with session_scope(engine) as session:
        for run in session.exec(select(Run).where(Run.status == "running").order_by(col(Run.id))):
            if not owner_gone(run.owner):
                continue
            saved = session.exec(select(func.count(col(Output.id))).where(Output.run_id == run.id)).one()
            missing = max(int(run.settings.get("cells") or 0) - saved, 0)
            run.status, run.finished_at = INTERRUPTED, utcnow()
            run.settings = {**run.settings, INTERRUPTED: {"saved": saved, "missing": missing}}
            session.add(run)
            audit.record(
                session,
                actor="system",
                action="run.interrupted",
                entity_type="run",
                entity_id=run.id,
                project_id=run.project_id,
                after={"saved": saved, "missing": missing, "owner": run.owner},
            )
            marked.append(run.id)
    return marked  # type: ignore[return-value]
