"""Work left "running" by a process that stopped: marked interrupted when the workbench starts.

``mark_interrupted`` is called where storage is opened for work (the app's engine, the CLI): it
marks the runs of gone processes (``runs.stopped_runs``), then the evaluations whose owner is gone,
each with how many answers were saved and how many are missing. Work of a live process (another
server, a ``workbench eval`` still going) is left alone. An interrupted evaluation can then be
resumed (``matrix.resume_evaluation`` / ``start_resume``): its saved answers are checked and only
its missing cells run.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import col, select

from workbench.evals import evaluations
from workbench.runs import stopped_runs as interrupted_runs
from workbench.store.engine import session_scope
from workbench.store.liveness import owner_gone
from workbench.store.lookup import id_of
from workbench.store.tables import Evaluation


def mark_interrupted(engine: Engine) -> dict[str, list[int]]:
    """Mark the runs and evaluations of gone processes interrupted; returns their ids."""
    runs = interrupted_runs.mark_interrupted(engine)
    marked = []
    with session_scope(engine) as session:
        query = select(Evaluation).where(Evaluation.status == "running").order_by(col(Evaluation.id))
        for evaluation in session.exec(query).all():
            if owner_gone(evaluation.owner):
                evaluations.interrupt(session, id_of(evaluation))
                marked.append(evaluation.id)
    return {"runs": runs, "evaluations": marked}  # type: ignore[dict-item]
