"""Runs and their outputs in the database, and the plain views the grid shows.

The runner writes every output here the moment it finishes, each in its own short transaction,
so what came back survives a closed tab or a crashed server. Pages and later capabilities
(ratings, bench tests) read runs back through the same functions.

Unlike most writes in the core, ``create_run``, ``finish_run`` and ``save_output`` take the
engine and commit themselves: they are the runner's, called from its writer thread while the
calls are still streaming, and each must be durable on its own, not wait for a caller's
transaction that spans the whole run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, func, select

from workbench.store import audit
from workbench.store.engine import session_scope
from workbench.store.liveness import process_token
from workbench.store.lookup import fetch, id_of, select_columns
from workbench.store.tables import Output, Run, utcnow

# Statuses of a cell that has not finished yet (never stored; outputs are written when done).
PENDING_STATUSES = ("queued", "running")
# A run (and its cells that never got an answer) whose process stopped: ``runs.stopped_runs``.
INTERRUPTED = "interrupted"
LOST_MESSAGE = "Lost: the server stopped before this answer arrived. Run again to get it."


def cache_key(
    *,
    endpoint: tuple[str, str, str | None],
    model: str,
    params: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
) -> str:
    """Identity of a call: same endpoint (name, provider, base URL), model, params and messages.

    The system-prompt override is already part of the rendered messages, so it is left out of
    the parameters to let identical calls match however they were put together.
    """
    payload = {
        "endpoint": list(endpoint),
        "model": model,
        "params": {k: v for k, v in sorted(params.items()) if k != "system_override"},
        "messages": [dict(m) for m in messages],
    }
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# ---- runs -----------------------------------------------------------------------------------


def create_run(
    engine: Engine,
    *,
    project_id: int,
    actor: str,
    kind: str = "compare",
    prompt_version_id: int | None = None,
    evaluation_id: int | None = None,
    settings: dict[str, Any] | None = None,
) -> Run:
    """A new run in status ``running``; starting one is a user action, so it is audited."""
    with session_scope(engine) as session:
        run = Run(
            project_id=project_id,
            prompt_version_id=prompt_version_id,
            evaluation_id=evaluation_id,
            kind=kind,
            settings=dict(settings or {}),
            created_by=actor,
            owner=process_token(),
        )
        session.add(run)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="run.start",
            entity_type="run",
            entity_id=run.id,
            project_id=project_id,
            after={"kind": kind, "prompt_version_id": prompt_version_id, "cells": run.settings.get("cells")},
        )
        return run


def finish_run(engine: Engine, run_id: int, status: str) -> None:
    with session_scope(engine) as session:
        run = fetch(session, Run, run_id)
        run.status = status
        run.finished_at = utcnow()
        session.add(run)


def get_run(engine: Engine, run_id: int) -> Run:
    with session_scope(engine) as session:
        return fetch(session, Run, run_id)


# ---- outputs --------------------------------------------------------------------------------


def save_output(engine: Engine, output: Output) -> Output:
    """Insert one finished output in its own transaction; returns it with its id."""
    with session_scope(engine) as session:
        session.add(output)
        session.flush()
        return output


def unstorable(output: Output, error: Exception) -> Output:
    """The stand-in stored for an output the database refused: the same cell and figures, no
    text, and an error that says what happened (the driver's own words, without the values)."""
    return Output(
        **output.model_dump(
            exclude={"id", "text", "status", "error_kind", "error_message", "variables", "messages"}
        ),
        status="error",
        error_kind="storage",
        error_message=(
            f"The answer arrived but the database refused to store it ({type(error).__name__}). "
            "Run this cell again; if it keeps happening, report it with this message."
        ),
    )


def find_cached(engine: Engine, key: str) -> Output | None:
    """The newest complete (``ok``) answer to an identical call, if any."""
    with session_scope(engine) as session:
        query = (
            select(Output)
            .where(Output.cache_key == key, Output.status == "ok")
            .order_by(col(Output.id).desc())
            .limit(1)
        )
        return session.exec(query).first()


def models_that_answered(engine: Engine, *, limit: int = 12) -> list[int]:
    """Models with a successful answer, most recent first: a page's default choice should be
    models that work here, not whichever name sorts first (a test model that always fails)."""
    with session_scope(engine) as session:
        latest = func.max(Output.id)
        query = (
            select(Output.model_id, latest)
            .where(Output.status == "ok", col(Output.model_id).is_not(None))
            .group_by(col(Output.model_id))
            .order_by(latest.desc())
            .limit(limit)
        )
        # The query keeps only answers with a model; the test tells the checker so.
        return [model_id for model_id, _ in session.exec(query) if model_id is not None]


def run_outputs(engine: Engine, run_id: int) -> list[Output]:
    with session_scope(engine) as session:
        query = select(Output).where(Output.run_id == run_id).order_by(col(Output.row_index), col(Output.id))
        return list(session.exec(query))


@dataclass(frozen=True)
class RunSummary:
    """One line of the "previous runs" list."""

    id: int
    status: str
    created_at: Any
    created_by: str
    outputs: int
    errors: int
    cost_usd: float
    models: tuple[str, ...]
    lost: int = 0  # cells of an interrupted run that never got an answer

    @property
    def label(self) -> str:
        when = self.created_at.strftime("%Y-%m-%d %H:%M") if self.created_at else "?"
        who = f" by {self.created_by}" if self.created_by else ""
        failed = f", {self.errors} failed" if self.errors else ""
        done = "running…" if self.status == "running" else f"{self.outputs} answers{failed}"
        if self.status == "cancelled":
            # Cancelled calls are stored as failed rows: none answered means nothing came back.
            nothing = self.outputs and self.errors == self.outputs
            done = "cancelled before any answer came back" if nothing else done + " (cancelled)"
        if self.status == INTERRUPTED:
            done += f", {self.lost} lost (interrupted)" if self.lost else " (interrupted)"
        elif self.status == "failed" or (
            self.status != "cancelled" and self.outputs and self.errors == self.outputs
        ):
            done = f"failed: none of the {self.outputs} calls answered"
        return f"#{self.id} · {when}{who} · {done} · {', '.join(self.models)}"


def list_runs(
    engine: Engine, *, prompt_version_id: int | None = None, kind: str | None = "compare", limit: int = 50
) -> list[RunSummary]:
    """Newest first, with counts and the cost actually spent (cache hits cost nothing new)."""
    with session_scope(engine) as session:
        query = select(Run).order_by(col(Run.id).desc()).limit(limit)
        if prompt_version_id is not None:
            query = query.where(Run.prompt_version_id == prompt_version_id)
        if kind is not None:
            query = query.where(Run.kind == kind)
        runs = list(session.exec(query))
        ids = [r.id for r in runs]
        rows = session.exec(
            select_columns(
                Output.run_id,
                Output.endpoint_name,
                Output.model_name,
                Output.status,
                Output.cost_usd,
                Output.cache_hit,
            )
            .where(col(Output.run_id).in_(ids))
            .order_by(col(Output.id))
        )
        counts: dict[int, list[float]] = {}  # run id -> [outputs, errors, cost spent]
        models = {id_of(r): [str(c.get("title", "")) for c in r.settings.get("columns", [])] for r in runs}
        for run_id, endpoint_name, model_name, status, cost, hit in rows:
            tally = counts.setdefault(run_id, [0, 0, 0.0])
            tally[0] += 1
            tally[1] += status != "ok"
            tally[2] += (cost or 0.0) if not hit else 0.0
            if not models.get(run_id):  # runs stored without their columns: name them from outputs
                models[run_id] = [f"{endpoint_name} · {model_name}"]
        return [
            RunSummary(
                id=run_id,
                status=r.status,
                created_at=r.created_at,
                created_by=r.created_by,
                outputs=int(counts.get(run_id, [0, 0, 0.0])[0]),
                errors=int(counts.get(run_id, [0, 0, 0.0])[1]),
                cost_usd=float(counts.get(run_id, [0, 0, 0.0])[2]),
                models=tuple(models.get(run_id, [])),
                lost=int((r.settings.get(INTERRUPTED) or {}).get("missing", 0)),
            )
            for r in runs
            for run_id in (id_of(r),)
        ]


# ---- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellView:
    """What one grid cell shows: plain data, built from a live run or from a stored output."""

    key: str
    row_index: int
    column: int
    title: str
    status: str = "queued"  # queued | running | ok | error | incomplete | cancelled
    text: str = ""
    output_id: int | None = None
    error_kind: str | None = None
    error_message: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    finish_reason: str | None = None
    cache_hit: bool = False
    variables: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    passages: tuple[dict[str, Any], ...] = ()  # the documents' passages the answer was given
    revision: int = 0

    @property
    def finished(self) -> bool:
        return self.status not in PENDING_STATUSES

    @classmethod
    def from_output(cls, output: Output, *, key: str, column: int, title: str, revision: int = 0) -> CellView:
        return cls(
            key=key,
            row_index=output.row_index,
            column=column,
            title=title,
            status=output.status,
            text=output.text,
            output_id=output.id,
            error_kind=output.error_kind,
            error_message=output.error_message,
            latency_ms=output.latency_ms,
            ttft_ms=output.ttft_ms,
            tokens_in=output.tokens_in,
            tokens_out=output.tokens_out,
            cost_usd=output.cost_usd,
            finish_reason=output.finish_reason,
            cache_hit=output.cache_hit,
            variables=dict(output.variables or {}),
            params=dict(output.params or {}),
            passages=tuple(output.passages or ()),
            revision=revision,
        )


def output_title(output: Output) -> str:
    return f"{output.endpoint_name} · {output.model_name}"


def column_of(model_id: int | None, params: Mapping[str, Any]) -> str:
    """A grid column is one model with one set of parameters."""
    return json.dumps([model_id, dict(sorted(params.items()))], default=str)


def stored_grid(engine: Engine, run_id: int) -> tuple[list[str], list[CellView]]:
    """Column titles and cells of a stored run, in the order the run was set up."""
    run = get_run(engine, run_id)
    rows = run_outputs(engine, run_id)
    order = [column_of(c.get("model_id"), c.get("params", {})) for c in run.settings.get("columns", [])]
    titles = [str(c.get("title", "")) for c in run.settings.get("columns", [])]
    cells = []
    for output in rows:
        ident = column_of(output.model_id, {k: v for k, v in (output.params or {}).items()})
        if ident not in order:
            order.append(ident)
            titles.append(output_title(output))
        column = order.index(ident)
        key = f"{output.prompt_version_id}/{output.row_index}/{column}"
        cells.append(CellView.from_output(output, key=key, column=column, title=titles[column]))
    if run.status == INTERRUPTED:
        cells += _lost_cells(run, cells, titles)
    return titles, cells


def _lost_cells(run: Run, cells: Sequence[CellView], titles: Sequence[str]) -> list[CellView]:
    """The cells an interrupted run planned but never stored, shown as lost (not left blank)."""
    have = {(c.row_index, c.column) for c in cells}
    values = {c.row_index: c.variables for c in cells}
    return [
        CellView(
            key=f"{run.prompt_version_id}/{row}/{column}",
            row_index=row,
            column=column,
            title=title,
            status=INTERRUPTED,
            error_message=LOST_MESSAGE,
            variables=dict(values.get(row, {})),
        )
        for row in range(int(run.settings.get("rows") or 0))
        for column, title in enumerate(titles)
        if (row, column) not in have
    ]


def column_summary(cells: Sequence[CellView], titles: Sequence[str]) -> list[dict[str, Any]]:
    """Per model column: answers, average time and first token, tokens, and the cost spent."""
    out = []
    for column, title in enumerate(titles):
        mine = [c for c in cells if c.column == column and c.finished]
        # Speed is judged on complete answers from this run (a failure or a cache hit says nothing).
        timed = [c for c in mine if c.status == "ok" and c.latency_ms is not None and not c.cache_hit]
        first = [c for c in timed if c.ttft_ms is not None]
        out.append(
            {
                "Model": title,
                "Answers": sum(c.status == "ok" for c in mine),
                "Failed": sum(c.status != "ok" for c in mine),
                "Avg time (s)": round(sum(c.latency_ms or 0.0 for c in timed) / len(timed) / 1000, 2)
                if timed
                else None,
                "Avg first token (s)": round(sum(c.ttft_ms or 0.0 for c in first) / len(first) / 1000, 2)
                if first
                else None,
                "Tokens in": sum(c.tokens_in or 0 for c in mine),
                "Tokens out": sum(c.tokens_out or 0 for c in mine),
                "Cost ($)": round(sum(c.cost_usd or 0.0 for c in mine if not c.cache_hit), 6),
            }
        )
    return out
