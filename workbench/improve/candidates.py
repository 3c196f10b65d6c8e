"""Asking a model for candidate edits of a prompt, and reading its answer.

The request shows the proposing model what the bench found: the training cases the prompt
failed (the values, the expected answer, the answer it gave, and each failing check's reason,
the judge's included), a few cases it passed (so an edit does not break them), what human
reviewers said about its answers (ratings, tags, comments), and the candidates tried so far with
the cases each is best on, so a refinement can combine what works. Held-out cases are never
shown: they must stay unseen to confirm the winner honestly.

The answer is read block by block (``<candidate>`` with ``<reason>``, ``<system_template>`` and
``<user_template>``). A candidate that cannot be tested fairly is kept with the reason it was
refused, and never sent: a template that does not parse or render for every case, one that drops
a placeholder the prompt has (applications fill it) or needs a value the cases do not hold, and
one identical to a prompt already tried.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from workbench.errors import TemplateError
from workbench.evals.metrics import quote
from workbench.improve.budget import approx_tokens
from workbench.improve.rewrite import Feedback, feedback_text, tagged
from workbench.models.settings import CallSettings
from workbench.prompts.templates import Message, PromptTemplate

# Different ideas per request need some variety; a whole prompt per candidate needs room.
PROPOSE_CALL = CallSettings(temperature=0.7, max_tokens=4000)
MAX_PROPOSAL_TOKENS = 16_000
MAX_FAILING, MAX_PASSING, MAX_TRIED = 12, 4, 16
MAX_VALUE_CHARS = 600
MAX_REASON_CHARS = 300

INSTRUCTIONS = """You are an expert prompt engineer. You improve prompts for large language models by testing them.
A prompt (a system message and a user message, written as Jinja templates) was run on a bench of test cases whose right answers are known, and automatic checks graded every answer.
You receive the prompt, the cases it failed with the answers it gave and why the checks failed them, some cases it passed, what human reviewers said about its answers, and the candidates tried so far.
Propose different candidate versions of the prompt. Each is one focused edit that should fix failing cases without breaking the passing ones, and each tries another idea. Prefer instructions that carry over to new questions over facts copied from a single case. Keep the task and keep every {{ variable }} placeholder; add no new placeholder. Placeholders use two braces on each side.
Answer with the candidates and nothing else, each in this form:
<candidate>
<reason>one line: what you changed and which failures it should fix</reason>
<system_template>
the whole new system message
</system_template>
<user_template>
the whole new user message
</user_template>
</candidate>"""


@dataclass(frozen=True)
class CaseEvidence:
    """One training case as the proposing model sees it."""

    name: str
    variables: Mapping[str, Any]
    expected: str | None
    answer: str
    passed: bool
    failures: str = ""  # the failing checks with their reasons


@dataclass(frozen=True)
class TriedCandidate:
    """A prompt tried earlier in the run, with how it did, so the next ideas are new ones."""

    changes: tuple[str, ...]  # lines added (+) or removed (-) against the prompt being improved
    reason: str
    passed: int
    total: int
    best_on: tuple[str, ...] = ()  # training cases no other candidate does better on


@dataclass(frozen=True)
class Proposed:
    """One candidate read from the answer; ``problem`` says why it will not be tested."""

    system: str
    user: str
    reason: str
    problem: str | None = None

    @property
    def testable(self) -> bool:
        return self.problem is None


def _clip(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _case(case: CaseEvidence) -> str:
    lines = [f"Case {quote(case.name, 80)}"]
    lines += [f"  {name} = {_clip(value)}" for name, value in case.variables.items()]
    if case.expected:
        lines.append(f"  expected answer: {_clip(case.expected)}")
    lines.append(f"  answer given: {_clip(case.answer) or '(no answer)'}")
    if case.failures:
        lines.append(f"  failed checks: {_clip(case.failures)}")
    return "\n".join(lines)


def _tried(tried: Sequence[TriedCandidate]) -> str:
    if not tried:
        return "None yet."
    lines = []
    for item in tried[-MAX_TRIED:]:
        best = f"; best on {', '.join(item.best_on)}" if item.best_on else ""
        changes = " / ".join(item.changes) or "(no change)"
        lines.append(f"- passes {item.passed} of {item.total}{best}. {item.reason} Changes: {changes}")
    return "\n".join(lines)


def proposal_messages(
    *,
    system: str,
    user: str,
    failing: Sequence[CaseEvidence],
    passing: Sequence[CaseEvidence],
    feedback: Feedback,
    tried: Sequence[TriedCandidate],
    wanted: int,
) -> list[Message]:
    """The request for ``wanted`` candidate edits of the prompt (``system``, ``user``)."""
    failed = "\n\n".join(_case(c) for c in failing[:MAX_FAILING]) or "None: every training case passes."
    if len(failing) > MAX_FAILING:
        failed += f"\n\n(and {len(failing) - MAX_FAILING} more failing cases like these)"
    passed = "\n\n".join(_case(c) for c in passing[:MAX_PASSING]) or "None."
    request = (
        f"Propose exactly {wanted} candidate version{'s' if wanted != 1 else ''} of this prompt.\n\n"
        f"<system_template>\n{system}\n</system_template>\n"
        f"<user_template>\n{user}\n</user_template>\n\n"
        f"<failing_cases>\n{failed}\n</failing_cases>\n\n"
        f"<passing_cases>\n{passed}\n</passing_cases>\n\n"
        f"<feedback>\n{feedback_text(feedback, reasons=True)}\n</feedback>\n\n"
        f"<tried>\n{_tried(tried)}\n</tried>"
    )
    return [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": request}]


def propose_settings(system: str, user: str, wanted: int) -> CallSettings:
    """``PROPOSE_CALL`` with room for ``wanted`` whole prompts of about this length (a longer
    prompt gets a longer limit, so the last candidate is not cut off)."""
    room = wanted * (approx_tokens(system + user) * 3 // 2 + 120)
    return replace(PROPOSE_CALL, max_tokens=min(MAX_PROPOSAL_TOKENS, max(PROPOSE_CALL.max_tokens, room)))


def changed_lines(old: PromptTemplate, new: PromptTemplate) -> tuple[str, ...]:
    """What ``new`` adds (``+ line``) and removes (``- line``) against ``old``, both messages."""
    out: list[str] = []
    for before, after in ((old.system, new.system), (old.user, new.user)):
        for line in difflib.ndiff(before.splitlines(), after.splitlines()):
            if line[:2] in ("+ ", "- ") and line[2:].strip():
                out.append(f"{line[0]} {line[2:].strip()}")
    return tuple(out)


def _problem(
    proposal: PromptTemplate,
    current: PromptTemplate,
    cases: Sequence[Mapping[str, Any]],
    known: set[tuple[str, str]],
) -> str | None:
    """Why the candidate cannot be tested fairly (``None`` when it can)."""
    if (proposal.system, proposal.user) in known:
        return "The same prompt as one already tried."
    try:
        new_variables = proposal.variables()
        renderer = proposal.renderer()
    except TemplateError as exc:
        return f"Not a valid template: {exc.message}"
    dropped = [v for v in current.variables() if v not in new_variables]
    if dropped:
        names = ", ".join("{{ " + v + " }}" for v in dropped)
        return f"Drops {names}, which the prompt has and applications fill."
    for number, variables in enumerate(cases, start=1):
        missing = [v for v in new_variables if variables.get(v) in (None, "")]
        if missing:
            names = ", ".join("{{ " + v + " }}" for v in missing)
            return f"Needs {names}, which test case {number} does not fill."
        try:
            renderer(variables)
        except TemplateError as exc:
            return f"Does not render for test case {number}: {exc.message}"
    return None


def parse_candidates(
    text: str,
    *,
    current: PromptTemplate,
    cases: Sequence[Mapping[str, Any]],
    known: Iterable[tuple[str, str]] = (),
) -> list[Proposed]:
    """Every ``<candidate>`` block of ``text``, in order, each testable or with its problem.

    ``cases`` are the variable values of every bench case (a candidate must render for all of
    them); ``known`` the (system, user) pairs already tried, the current prompt included."""
    seen = {*known, (current.system, current.user)}
    out: list[Proposed] = []
    for block in re.findall(r"<candidate>(.*?)</candidate>", text, re.S | re.I):
        user = tagged(block, "user_template")
        system = tagged(block, "system_template")
        reason = " ".join((tagged(block, "reason") or "").split()) or "No reason given."
        reason = reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"
        if user is None or not user.strip():
            out.append(Proposed(system or "", user or "", reason, "It has no user message."))
            continue
        proposal = PromptTemplate(
            system=current.system if system is None else system.strip(), user=user.strip()
        )
        problem = _problem(proposal, current, cases, seen)
        out.append(Proposed(proposal.system, proposal.user, reason, problem))
        seen.add((proposal.system, proposal.user))
    return out
