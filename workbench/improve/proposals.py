"""Asking the proposing model for candidates: the request built from what the bench found, sent
through the gateway (purpose ``optimize``: the data policy is checked, the call is measured and
stored as a ``ModelCall``), and stopped by Cancel while it is in flight."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Mapping

from sqlalchemy import Engine

from workbench.aio import run_sync
from workbench.improve import candidates
from workbench.improve.optimization_plan import OptimizationPlan
from workbench.improve.rewrite import Feedback
from workbench.improve.scoreboard import CaseVerdict
from workbench.improve.search_progress import Tally
from workbench.models.endpoints import target_of_model
from workbench.models.gateway import CallLog, CallRequest, CallResult, Gateway
from workbench.models.providers.interface import KeyLookup, Message
from workbench.prompts.templates import PromptTemplate
from workbench.store.tables import OptimizationCandidate

POLL_S = 0.05


def request_messages(
    plan: OptimizationPlan,
    parent: OptimizationCandidate,
    verdicts: Mapping[int, CaseVerdict],
    *,
    tried: Mapping[int, OptimizationCandidate],
    wins: Mapping[int, tuple[int, ...]],
    feedback: Feedback,
    wanted: int,
) -> list[Message]:
    """The request to improve ``parent``: its verdicts on the training cases (held-out cases are
    never shown), the reviewers' feedback, and the other candidates tried with the cases each is
    best on."""
    names = {i: c.name or f"Case {i + 1}" for i, c in enumerate(plan.bench.cases)}
    evidence = [
        candidates.CaseEvidence(
            names[i],
            plan.bench.cases[i].variables,
            plan.bench.cases[i].expected,
            v.answer,
            v.passed,
            v.failures,
        )
        for i, v in sorted(verdicts.items())
    ]
    here = PromptTemplate(parent.system_template, parent.user_template)
    earlier = [
        candidates.TriedCandidate(
            candidates.changed_lines(here, PromptTemplate(r.system_template, r.user_template)),
            r.reason,
            r.train_passed or 0,
            r.train_total or 0,
            tuple(names[i] for i in wins.get(cid, ())),
        )
        for cid, r in tried.items()
        if r.round > 0 and cid != parent.id
    ]
    return candidates.proposal_messages(
        system=parent.system_template,
        user=parent.user_template,
        failing=[e for e in evidence if not e.passed],
        passing=[e for e in evidence if e.passed],
        feedback=feedback,
        tried=earlier,
        wanted=wanted,
    )


class Proposals:
    """The proposing model of one run, behind the gateway, with its calls counted."""

    def __init__(
        self,
        engine: Engine,
        plan: OptimizationPlan,
        *,
        project_id: int,
        actor: str,
        lookup: KeyLookup,
        cancel: threading.Event,
    ) -> None:
        self.target, self.label = target_of_model(engine, plan.proposer.model_id)
        self.tally = Tally(CallLog(engine))
        self.gateway = Gateway(engine, lookup=lookup, recorder=self.tally)
        self.project_id, self.actor, self.cancel = project_id, actor, cancel

    def ask(self, messages: list[Message], parent: OptimizationCandidate, wanted: int) -> CallResult | None:
        """Send one request for ``wanted`` candidates improving ``parent``; ``None`` when Cancel
        stopped it before it was sent."""
        request = CallRequest(
            self.target,
            tuple(messages),
            candidates.propose_settings(parent.system_template, parent.user_template, wanted),
            purpose="optimize",
            project_id=self.project_id,
            actor=self.actor,
        )
        return run_sync(self._until_cancelled(self.gateway.call(request)))

    async def _until_cancelled(self, call: Awaitable[CallResult]) -> CallResult | None:
        task = asyncio.ensure_future(call)
        try:
            while not task.done():
                if self.cancel.is_set():
                    task.cancel()  # the gateway stores the call as cancelled
                await asyncio.wait({task}, timeout=POLL_S)
            return task.result()
        except asyncio.CancelledError:
            return None
        finally:
            await self.gateway.aclose()
