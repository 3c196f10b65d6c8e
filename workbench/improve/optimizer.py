"""Improve on the bench: propose prompt edits, test them on the bench, keep only what scores.

The loop, after ``optimization_plan`` has sized it and the person has accepted its ceiling:

1. **Measure** the starting version on every case (one run through the runner).
2. **Rounds.** Pick a parent from the Pareto front (round 1: the starting version); ask the
   proposing model for candidate edits, showing it the parent's failing training cases with the
   checks' and the judge's reasons, some passing ones, the reviewers' ratings, tags and comments,
   and what was tried already; test every testable candidate on the training cases (one run per
   round); update the front. A candidate that passes every training case with full marks ends
   the search early.
3. **Confirm** the best candidate on training (most cases passed, then the mean check score) on
   the held-out cases, which no proposal ever saw. Only if it beats the starting version there
   is it saved, as a new version labelled ``candidate``; ``production`` never moves.

Every call goes through the one path to a model: answers through the runner (the data policy,
per-endpoint limits, Cancel, each answer stored the moment it arrives, run kind ``optimize``,
cells that carry their messages and belong to no version), requests for candidates through the
gateway (purpose ``optimize``), grading through the bench's judge. Calls are counted at their
most before each step (``budget``), so the run never exceeds its ceiling. Cancel stops the
calls in flight; what was tested is scored and kept, and nothing is saved.

The ``gepa`` package was considered and not used: it runs its own loop and budget around our
calls rather than inside our runner, ceiling, storage and Cancel (``docs/improve-on-the-bench.md``
says why in full); its Pareto selection is ``scoreboard.front``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from workbench.errors import InvalidInput, WorkbenchError
from workbench.improve import candidates, optimization_runs, scoreboard
from workbench.improve.optimization_plan import OptimizationPlan
from workbench.improve.proposals import Proposals, request_messages
from workbench.improve.rewrite import collect_feedback
from workbench.improve.scoreboard import CaseVerdict, Figures
from workbench.improve.search_progress import SearchProgress, frozen_lookup
from workbench.improve.trials import Trials
from workbench.models.endpoints import endpoint_config, find_endpoint
from workbench.models.providers.interface import KeyLookup
from workbench.models.providers.registry import env_lookup
from workbench.prompts.templates import PromptTemplate
from workbench.store.engine import session_scope
from workbench.store.lookup import fetch
from workbench.store.tables import Optimization, OptimizationCandidate

log = logging.getLogger(__name__)


def _id(row: OptimizationCandidate) -> int:
    """A stored candidate's id (rows are flushed before the search sees them)."""
    assert row.id is not None
    return row.id


# ---- the search --------------------------------------------------------------------------------


class _Search:
    def __init__(
        self,
        engine: Engine,
        plan: OptimizationPlan,
        optimization_id: int,
        *,
        actor: str,
        lookup: KeyLookup,
        progress: SearchProgress,
    ) -> None:
        self.engine, self.plan, self.id, self.actor = engine, plan, optimization_id, actor
        self.progress, self.cancel = progress, progress.cancel_event
        self.bench = plan.bench
        self.names = {i: c.name or f"Case {i + 1}" for i, c in enumerate(self.bench.cases)}
        judged = [self.bench.judge.endpoint] if self.bench.judge else []
        ends = [find_endpoint(engine, n) for n in [plan.model.endpoint, plan.proposer.endpoint, *judged]]
        self.lookup = frozen_lookup(lookup, [endpoint_config(e) for e in ends if e is not None])
        self.trials = Trials(
            engine, plan, optimization_id, actor=actor, lookup=self.lookup, progress=progress
        )
        self.project_id = self.trials.project_id
        self.proposals = Proposals(
            engine, plan, project_id=self.project_id, actor=actor, lookup=self.lookup, cancel=self.cancel
        )
        self.feedback = collect_feedback(engine, self.bench.prompt_id, plan.version.id)
        self.rng = random.Random(plan.search.seed)
        self.train: dict[int, dict[int, CaseVerdict]] = {}  # candidate id -> case index -> verdict
        self.heldout: dict[int, dict[int, CaseVerdict]] = {}
        self.rows: dict[int, OptimizationCandidate] = {}
        self.wins: dict[int, tuple[int, ...]] = {}
        self.expanded: set[int] = set()
        self.reserved = 0  # calls counted at their most, for the ceiling

    # ---- counting ------------------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """Calls that reached a provider: answers, grading, requests for candidates."""
        return self.trials.calls + self.proposals.tally.calls

    @property
    def cost(self) -> float:
        return self.trials.cost + self.proposals.tally.cost

    @property
    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def note(self, line: str) -> None:
        self.progress.note(line)

    # ---- steps ---------------------------------------------------------------------------------

    def _evaluate(self, rows: list[OptimizationCandidate], shares: Mapping[str, tuple[int, ...]]) -> None:
        """Every candidate in ``rows`` on the cases of ``shares``; their verdicts stored at once."""
        found = self.trials.run(rows, shares, self.cancel)
        with session_scope(self.engine) as session:
            for row in rows:
                cid = _id(row)
                for share, verdicts in found[cid].items():
                    board = self.train if share == "train" else self.heldout
                    board[cid] = {v.case_index: v for v in verdicts}
                    shown = scoreboard.figures(verdicts)
                    self.rows[cid] = optimization_runs.record_verdicts(session, cid, share, verdicts, shown)
        self.progress.settle(self.calls, self.cost)

    def _figures(self, candidate_id: int, share: str = "train") -> Figures:
        board = self.train if share == "train" else self.heldout
        return scoreboard.figures(board.get(candidate_id, {}).values())

    def _update_front(self) -> None:
        table = {cid: {i: v.key for i, v in verdicts.items()} for cid, verdicts in self.train.items()}
        self.wins = scoreboard.front(table, self.plan.train)
        with session_scope(self.engine) as session:
            optimization_runs.mark_front(session, self.id, self.wins)

    def _parent(self, round_number: int, start: OptimizationCandidate) -> OptimizationCandidate:
        """Round 1 improves the starting version; later rounds a member of the front, one not
        yet improved on first, drawn in proportion to the training cases it is best on."""
        if round_number == 1 or not self.wins:
            return start
        pool = [cid for cid in self.wins if cid not in self.expanded] or list(self.wins)
        chosen = self.rng.choices(pool, weights=[max(1, len(self.wins[c])) for c in pool])[0]
        return self.rows[chosen]

    def _propose(
        self, parent: OptimizationCandidate, round_number: int, wanted: int
    ) -> list[OptimizationCandidate]:
        """Ask for ``wanted`` candidates; store every one (refused ones with why); return the
        testable ones."""
        self.expanded.add(_id(parent))
        label = self.plan.proposer.label
        self.progress.step(
            f"Round {round_number} of {self.plan.search.rounds}: asking {label} for candidates", round_number
        )
        messages = request_messages(
            self.plan,
            parent,
            self.train[_id(parent)],
            tried=self.rows,
            wins=self.wins,
            feedback=self.feedback,
            wanted=wanted,
        )
        self.reserved += 1
        result = self.proposals.ask(messages, parent, wanted)
        self.progress.settle(self.calls, self.cost)
        if result is None or result.status == "cancelled":
            return []
        if not result.ok:
            self.note(f"Round {round_number}: asking {label} for candidates failed: {result.error_message}")
            return []
        proposed = candidates.parse_candidates(
            result.text,
            current=PromptTemplate(parent.system_template, parent.user_template),
            cases=[c.variables for c in self.bench.cases],
            known=[(r.system_template, r.user_template) for r in self.rows.values()],
        )
        made: list[OptimizationCandidate] = []
        call_id = getattr(result.record, "id", None)
        with session_scope(self.engine) as session:
            for position, item in enumerate(proposed):
                problem = item.problem or (None if len(made) < wanted else "More candidates than asked for.")
                row = optimization_runs.add_candidate(
                    session,
                    optimization_id=self.id,
                    round_number=round_number,
                    position=position,
                    system=item.system,
                    user=item.user,
                    reason=item.reason,
                    parent_id=parent.id,
                    proposal_call_id=call_id,
                    problem=problem,
                )
                if problem is None:
                    made.append(row)
        refused = len(proposed) - len(made)
        if not made:
            why = "its answer held no candidate" if not proposed else f"all {refused} could not be tested"
            self.note(f"Round {round_number}: {label} proposed nothing to test ({why}).")
        return made

    def _best(self) -> OptimizationCandidate | None:
        full = len(self.plan.train)
        tested = [r for cid, r in self.rows.items() if r.round > 0 and self._figures(cid).total == full]
        if not tested:
            return None
        return max(
            tested,
            key=lambda r: (self._figures(_id(r)).key, len(self.wins.get(_id(r), ())), -_id(r)),
        )

    # ---- the loop ------------------------------------------------------------------------------

    def run(self) -> Optimization:
        plan, search = self.plan, self.plan.search
        version = plan.version
        with session_scope(self.engine) as session:
            start = optimization_runs.add_candidate(
                session,
                optimization_id=self.id,
                round_number=0,
                position=0,
                system=version.system_template,
                user=version.user_template,
                reason=f"v{version.number}, the version you started from.",
            )
        count = len(self.bench.cases)
        self.progress.step(f"Measuring v{version.number} on all {count} cases", 0, count)
        self.reserved += plan.shape.baseline
        self._evaluate([start], {"train": plan.train, "heldout": plan.heldout})
        self._update_front()
        base = self._figures(_id(start))
        self.note(
            f"v{version.number} passes {base.short()} training cases (mean check score {base.score or 0:.2f})."
        )
        if self.cancelled:
            return self._end("cancelled", self._cancelled_message(0))
        measured = [*self.train[_id(start)].values(), *self.heldout[_id(start)].values()]
        if measured and not any(v.answered for v in measured):
            why = measured[0].failures.split("No answer to check: ", 1)[-1].split(" | ")[0]
            return self._end("failed", f"No call returned an answer, so nothing was tried: {why}")
        if base.perfect:
            return self._end(
                "no_improvement",
                f"Nothing to improve on the bench: v{version.number} already passes every training case "
                "with full marks. Nothing was saved or labelled.",
            )
        for number in range(1, search.rounds + 1):
            wanted = plan.shape.affordable(ceiling=plan.max_calls, used=self.reserved)
            if wanted == 0:
                self.note(
                    f"Round {number} not started: the ceiling of {plan.max_calls} calls leaves room only for "
                    "the final check on held-out cases."
                )
                break
            made = self._propose(self._parent(number, self.rows[_id(start)]), number, wanted)
            if self.cancelled:
                return self._end("cancelled", self._cancelled_message(number))
            if not made:
                continue
            self.progress.step(
                f"Round {number} of {search.rounds}: testing {len(made)} candidate{'s' if len(made) > 1 else ''} "
                f"on {len(plan.train)} training cases",
                number,
                len(made) * len(plan.train),
            )
            self.reserved += len(made) * plan.shape.per_candidate
            self._evaluate(made, {"train": plan.train})
            self._update_front()
            top = max((self._figures(_id(r)) for r in made), key=lambda f: f.key)
            self.note(
                f"Round {number}: {len(made)} candidate{'s' if len(made) > 1 else ''} tested; the best passes "
                f"{top.short()} training cases; {len(self.wins)} on the front."
            )
            if self.cancelled:
                return self._end("cancelled", self._cancelled_message(number))
            if top.perfect:
                self.note("A candidate passes every training case with full marks: the search stops early.")
                break
        return self._confirm(start)

    def _confirm(self, start: OptimizationCandidate) -> Optimization:
        plan, number = self.plan, self.plan.version.number
        best = self._best()
        base = self._figures(_id(start))
        tried = sum(r.round > 0 for r in self.rows.values())
        if best is None or not self._figures(_id(best)).beats(base):
            return self._end(
                "no_improvement",
                f"No improvement found: none of the {tried} candidates tested did better than v{number} on "
                f"the training cases (v{number} passes {base.short()}). Nothing was saved or labelled.",
            )
        with session_scope(self.engine) as session:
            optimization_runs.choose(session, _id(best))
        self.progress.step(
            f"Confirming the best candidate on {len(plan.heldout)} held-out cases",
            plan.search.rounds,
            len(plan.heldout),
        )
        self.reserved += plan.shape.confirmation
        self._evaluate([best], {"heldout": plan.heldout})
        if self.cancelled:
            return self._end("cancelled", self._cancelled_message(plan.search.rounds))
        before, after = self._figures(_id(start), "heldout"), self._figures(_id(best), "heldout")
        trained = self._figures(_id(best))
        if not after.beats(before) or after.total < before.total:
            return self._end(
                "no_improvement",
                f"No improvement found: the best candidate passes {trained.short()} training cases against "
                f"{base.short()} for v{number}, but on the held-out cases it passes {after.short()} against "
                f"{before.short()}, so it may only fit the cases it was tuned on. Nothing was saved or labelled.",
            )
        with session_scope(self.engine) as session:
            row = fetch(session, Optimization, self.id)
            version = optimization_runs.save_winner(session, row, self.rows[_id(best)], self.actor)
            message = (
                f"Found a better version: on the held-out cases, which no proposal saw, it passes "
                f"{after.short()} against {before.short()} for v{number}. It is saved as v{version.number} "
                f"with the label '{optimization_runs.CANDIDATE_LABEL}'; production is unchanged: promote it on "
                "the Versions page once you are satisfied."
            )
            row = self._close(session, "improved", message, version.id)
        self._announce("improved", message)  # once the version and the run are committed
        return row

    def _cancelled_message(self, round_number: int) -> str:
        tested = sum(r.round > 0 and r.status == "evaluated" for r in self.rows.values())
        return (
            f"Cancelled in round {round_number}: the {tested} candidates tested so far are kept below. Nothing "
            "was saved: the best one was not confirmed on held-out cases."
        )

    def _end(self, outcome: str, message: str) -> Optimization:
        with session_scope(self.engine) as session:
            row = self._close(session, outcome, message)
        self._announce(outcome, message)  # once the run's row is committed
        return row

    def _close(self, session: Any, outcome: str, message: str, saved: int | None = None) -> Optimization:
        snap = self.progress.snapshot()
        row = optimization_runs.finish_optimization(
            session,
            self.id,
            outcome=outcome,
            message=message,
            calls_used=self.calls,
            cost_usd=self.cost,
            summary={"log": list(snap.log), "reserved_calls": self.reserved},
            actor=self.actor,
            saved_version_id=saved,
        )
        return row

    def _announce(self, outcome: str, message: str) -> None:
        """Tell the page the run ended, only after its row is written: whoever sees "finished"
        and reopens the run reads its final state."""
        self.progress.settle(self.calls, self.cost)
        self.progress.ended(outcome, message)


# ---- starting ----------------------------------------------------------------------------------


def _open(engine: Engine, plan: OptimizationPlan, actor: str, lookup: KeyLookup) -> _Search:
    if not actor.strip():  # the run may save a version and move a label: both name who did it
        raise InvalidInput("Type your name in the sidebar, so the history shows who ran the improvement.")
    with session_scope(engine) as session:
        row = optimization_runs.create_optimization(
            session,
            prompt_id=plan.bench.prompt_id,
            version_id=plan.version.id,
            config=plan.to_json(),
            max_calls=plan.max_calls,
            actor=actor,
        )
    run_id = row.id
    assert run_id is not None
    progress = SearchProgress(run_id, plan.max_calls, plan.search.rounds)
    try:
        return _Search(engine, plan, run_id, actor=actor, lookup=lookup, progress=progress)
    except Exception as exc:
        _fail(engine, run_id, actor, progress, exc)
        raise


def _fail(engine: Engine, optimization_id: int, actor: str, progress: SearchProgress, exc: Exception) -> None:
    why = str(exc) if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: {exc}"
    message = f"The run stopped unexpectedly ({why}). What was tested so far is kept."
    snap = progress.snapshot()
    with session_scope(engine) as session:
        optimization_runs.finish_optimization(
            session,
            optimization_id,
            outcome="failed",
            message=message,
            calls_used=snap.calls_used,
            cost_usd=snap.cost_usd,
            summary={"log": list(snap.log)},
            actor=actor,
        )
    progress.ended("failed", message, error=message)


def _guarded(engine: Engine, search: _Search) -> Optimization:
    try:
        return search.run()
    except Exception as exc:
        log.exception("optimization %s failed", search.id)
        _fail(engine, search.id, search.actor, search.progress, exc)
        return optimization_runs.get_optimization(engine, search.id)


def run_optimization(
    engine: Engine, plan: OptimizationPlan, *, actor: str, lookup: KeyLookup = env_lookup
) -> Optimization:
    """Run the whole search and return the finished run (the CLI, scripts, tests)."""
    return _guarded(engine, _open(engine, plan, actor, lookup))


def start_optimization(
    engine: Engine, plan: OptimizationPlan, *, actor: str, lookup: KeyLookup = env_lookup
) -> SearchProgress:
    """Start the search in a background thread and return its progress at once (pages). Keys
    are looked up here, in the caller's thread; the run goes on if the tab closes."""
    search = _open(engine, plan, actor, lookup)
    thread = threading.Thread(
        target=_guarded, args=(engine, search), name=f"workbench-optimize-{search.id}", daemon=True
    )
    thread.start()
    return search.progress
