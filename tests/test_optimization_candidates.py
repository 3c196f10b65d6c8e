"""The optimizer's pieces without a model: reading candidate edits (and refusing the ones that
cannot be tested fairly), the Pareto front, the seeded split, and the call budget."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidInput
from workbench.improve import budget, candidates, scoreboard
from workbench.improve.optimization_plan import SearchSettings, split_cases
from workbench.improve.rewrite import Feedback
from workbench.prompts.templates import PromptTemplate

CURRENT = PromptTemplate("You answer questions.", "Question: {{ question }}")
CASES = [{"question": "How much PTO?"}, {"question": "When is payday?"}]


def block(system: str | None, user: str | None, reason: str = "Because.") -> str:
    parts = [f"<reason>{reason}</reason>"]
    if system is not None:
        parts.append(f"<system_template>\n{system}\n</system_template>")
    if user is not None:
        parts.append(f"<user_template>\n{user}\n</user_template>")
    return "<candidate>\n" + "\n".join(parts) + "\n</candidate>"


def test_candidates_are_read_in_order_with_their_reasons() -> None:
    text = "Here are my ideas.\n" + "\n".join(
        [
            block(
                "You answer questions. Quote the handbook.",
                "Question: {{ question }}",
                "Point at the source.",
            ),
            block(None, "Question: {{ question }}\nAnswer in one sentence.", "  Shorter\n answers. "),
        ]
    )
    first, second = candidates.parse_candidates(text, current=CURRENT, cases=CASES)
    assert (first.system, first.reason, first.testable) == (
        "You answer questions. Quote the handbook.",
        "Point at the source.",
        True,
    )
    assert second.system == CURRENT.system and second.reason == "Shorter answers." and second.testable


@pytest.mark.parametrize(
    ("system", "user", "problem"),
    [
        ("x", None, "It has no user message."),
        ("x", "{{ question", "Not a valid template"),
        ("x", "Tell me something.", "Drops {{ question }}, which the prompt has and applications fill."),
        ("x", "{{ question }} for {{ team }}", "Needs {{ team }}, which test case 1 does not fill."),
        ("x", "{{ question | no_such_filter }}", "Not a valid template"),
        ("x", "{{ question }} {{ 1 / 0 }}", "Does not render for test case 1"),
        ("You answer questions.", "Question: {{ question }}", "The same prompt as one already tried."),
    ],
)
def test_a_candidate_that_cannot_be_tested_fairly_is_kept_with_why(
    system: str, user: str | None, problem: str
) -> None:
    (found,) = candidates.parse_candidates(block(system, user), current=CURRENT, cases=CASES)
    assert not found.testable and found.problem is not None and found.problem.startswith(problem)


def test_an_answer_without_candidates_gives_none_and_repeats_are_refused() -> None:
    assert candidates.parse_candidates("I cannot help with that.", current=CURRENT, cases=CASES) == []
    same = block("New system.", "Question: {{ question }}")
    once, twice = candidates.parse_candidates(same + same, current=CURRENT, cases=CASES)
    assert once.testable and twice.problem == "The same prompt as one already tried."
    (known,) = candidates.parse_candidates(
        same, current=CURRENT, cases=CASES, known=[("New system.", "Question: {{ question }}")]
    )
    assert not known.testable


def test_the_request_shows_failures_passes_feedback_and_what_was_tried() -> None:
    failing = candidates.CaseEvidence(
        "PTO",
        {"question": "How much PTO?"},
        "25 days.",
        "No idea.",
        False,
        "contains '25 days': Missing '25 days'.",
    )
    passing = candidates.CaseEvidence(
        "Payday", {"question": "When is payday?"}, None, "Last working day.", True
    )
    tried = candidates.TriedCandidate(("+ Be brief.",), "Shorter.", 1, 2, ("Payday",))
    system, user = candidates.proposal_messages(
        system=CURRENT.system,
        user=CURRENT.user,
        failing=[failing],
        passing=[passing],
        feedback=Feedback(),
        tried=[tried],
        wanted=3,
    )
    assert system["role"] == "system" and "<candidate>" in system["content"]
    text = user["content"]
    assert text.startswith("Propose exactly 3 candidate versions of this prompt.")
    assert "<user_template>\nQuestion: {{ question }}\n</user_template>" in text
    assert "question = How much PTO?" in text and "expected answer: 25 days." in text
    assert "answer given: No idea." in text and "failed checks: contains '25 days'" in text
    assert "<passing_cases>\nCase 'Payday'" in text and "No ratings yet." in text
    assert "- passes 1 of 2; best on Payday. Shorter. Changes: + Be brief." in text


def test_changed_lines_say_what_a_candidate_adds_and_removes() -> None:
    new = PromptTemplate("You answer questions.\nQuote the handbook.", "{{ question }}")
    assert candidates.changed_lines(CURRENT, new) == (
        "+ Quote the handbook.",
        "- Question: {{ question }}",
        "+ {{ question }}",
    )


def test_the_front_keeps_a_candidate_best_on_one_case_even_with_a_lower_average() -> None:
    board = {
        1: {0: (False, 0.0), 1: (False, 0.0), 2: (False, 0.0)},  # the start: beaten everywhere
        2: {0: (True, 1.0), 1: (True, 1.0), 2: (False, 0.0)},  # best average
        3: {0: (False, 0.0), 1: (False, 0.5), 2: (True, 1.0)},  # alone on case 2
        4: {0: (True, 1.0), 1: (False, 0.5), 2: (False, 0.0)},  # dominated by 2
    }
    assert scoreboard.front(board, [0, 1, 2]) == {2: (0, 1), 3: (2,)}
    tie = {1: {0: (False, 0.0)}, 2: {0: (False, 0.0)}}
    assert scoreboard.front(tie, [0]) == {1: (0,), 2: (0,)}  # nobody better: all stay


def test_figures_compare_pass_rate_first_then_the_mean_score() -> None:
    def v(i: int, passed: bool, score: float) -> scoreboard.CaseVerdict:
        return scoreboard.CaseVerdict(i, passed, score, "", i, "")

    low = scoreboard.figures([v(0, True, 1.0), v(1, False, 0.0)])
    partial = scoreboard.figures([v(0, True, 1.0), v(1, False, 0.5)])
    high = scoreboard.figures([v(0, True, 1.0), v(1, True, 1.0)])
    assert partial.beats(low) and high.beats(partial) and not low.beats(low)
    assert high.perfect and not partial.perfect
    assert partial.text() == "1 of 2 (50%), mean score 0.75"
    changes = scoreboard.case_changes(
        {0: v(0, True, 1), 1: v(1, False, 0)}, {0: v(0, False, 0), 1: v(1, True, 1)}, [0, 1]
    )
    assert [c.change for c in changes] == ["broken", "fixed"]


def test_the_split_is_seeded_and_keeps_a_case_on_each_side() -> None:
    assert split_cases(10, 0.7, 0) == split_cases(10, 0.7, 0)
    train, held = split_cases(10, 0.7, 0)
    assert len(train) == 7 and len(held) == 3 and not set(train) & set(held)
    assert split_cases(10, 0.7, 1) != (train, held)
    assert [len(side) for side in split_cases(2, 0.9, 0)] == [1, 1]
    with pytest.raises(InvalidInput, match="at least 2 test cases"):
        split_cases(1, 0.7, 0)
    with pytest.raises(InvalidInput, match="Rounds must be between 1 and 6"):
        SearchSettings(rounds=9)


def test_the_budget_keeps_the_final_check_aside() -> None:
    shape = budget.Shape(train=7, heldout=3, judged_train=2, judged_heldout=1, rounds=3, per_round=4)
    assert (shape.baseline, shape.per_candidate, shape.confirmation) == (13, 9, 4)
    assert shape.full == 13 + 3 * (1 + 4 * 9) + 4 and shape.minimum == 13 + 10 + 4
    assert shape.affordable(ceiling=shape.full, used=13) == 4
    assert shape.affordable(ceiling=40, used=13) == 2  # 40 - 13 - 4 - 1 = 22 → two candidates
    assert shape.affordable(ceiling=40, used=32) == 0
    kind = budget.CallKind(
        calls=10, tokens_in=1000, typical_out=100, max_out=500, price_in=3.0, price_out=15.0
    )
    assert kind.cost(kind.typical_out) == pytest.approx(10 * (3000 + 1500) / 1e6)
    assert budget.approx_tokens("x" * 400) == 100


def test_a_longer_prompt_gets_room_for_every_candidate() -> None:
    assert candidates.propose_settings("Short.", "{{ question }}", 4).max_tokens == 4000
    long = "A rule the prompt states at length. " * 200  # about 1,800 tokens
    settings = candidates.propose_settings(long, "{{ question }}", 4)
    assert settings.max_tokens > 4 * 1800 and settings.temperature == 0.7
    assert candidates.propose_settings(long * 10, "", 8).max_tokens == candidates.MAX_PROPOSAL_TOKENS
