"""The prompt checklist: every rule fires on prompts that have its weakness and stays quiet on
prompts that do not; the seed talk's late-order pair and the gallery calibrate it."""

from __future__ import annotations

import pytest

from workbench.prompts.checklist import RULE_IDS, check
from workbench.prompts.gallery import load_gallery

SEED_BAD = "Explain why a customer's order is late."
SEED_GOOD = (
    "Respond to a customer asking why their order #12345, placed on May 1, 2023, has not been "
    "delivered yet. Provide an update on the current status and expected delivery date."
)
GOOD_REPLY = (
    "Reply to the customer e-mail below about order #{{ order_id }}. Use only these facts: status "
    "{{ status }}, expected delivery {{ expected_delivery }}. Write at most 120 words, friendly and "
    "clear, and end with one next step.\n\nE-mail:\n{{ email }}"
)
GOOD_VALUES = {"order_id": "1", "status": "packed", "expected_delivery": "May 3", "email": "Where is it?"}
SYSTEM = "You are a courteous customer service agent for an online store."

# rule -> (system, user, values) cases that MUST trigger it, and cases that must NOT.
TRIGGERS: dict[str, list[tuple[str, str, dict | None]]] = {
    "empty": [("", "", None), ("  ", "\n", None)],
    "vague_task": [
        ("", "Write an e-mail.", None),
        ("", "Summarise {{ notes }}", {"notes": "x"}),
        (SYSTEM, GOOD_REPLY + " Make it better and add stuff.", GOOD_VALUES),
    ],
    "no_context": [("", SEED_BAD, None), ("", "Write a polite note to a customer about a delay.", None)],
    "no_audience": [("", SEED_BAD, None), ("", "Summarise the notes below in 3 bullets:\n{{ notes }}", None)],
    "no_format": [("", SEED_BAD, None), (SYSTEM, "Tell the customer what happened to {{ order }}.", None)],
    "vague_length": [(SYSTEM, "Write a short reply to the customer message: {{ message }}", None)],
    "facts_without_source": [
        ("", SEED_BAD, None),
        ("", SEED_GOOD, None),
        (SYSTEM, "Tell the customer how many days of holiday they are entitled to, in two sentences.", None),
    ],
    "dangling_reference": [
        ("", "Make this sound nicer.", None),
        ("", "Rewrite this email in a friendlier tone for a customer.", None),
        ("", "Make it shorter for our customers, at most 50 words.", None),
        ("", "Answer the question below for an employee in two sentences.", None),
    ],
    "conflicting_instructions": [
        (SYSTEM, "Write a brief but comprehensive answer to {{ q }}.", None),
        (SYSTEM, "Use a formal tone. Keep it casual and chatty. Answer {{ q }}.", None),
        (SYSTEM, "Answer {{ q }} in bullet points. Write one paragraph only.", None),
        (SYSTEM, "Answer {{ q }} in under 100 words. The answer must be at least 300 words.", None),
        (SYSTEM, "Always use emojis. Never use emojis in formal mails. Answer {{ q }}.", None),
    ],
    "format_without_example": [
        (SYSTEM, "Extract the name and order number from {{ email }} and return them as JSON.", None),
        (SYSTEM, "Put the products in {{ text }} into a table with columns name and price.", None),
    ],
    "python_placeholder": [("", "Dear {customer_name}, your order {order_id} ships today.", None)],
    "bracket_placeholder": [
        (SYSTEM, GOOD_REPLY + "\nSign as [Your Company Name].", GOOD_VALUES),
        (SYSTEM, GOOD_REPLY + "\nMention <insert date> and the TBD refund.", GOOD_VALUES),
    ],
    "unfilled_variables": [(SYSTEM, GOOD_REPLY, {**GOOD_VALUES, "status": ""}), (SYSTEM, GOOD_REPLY, {})],
    "unused_variables": [(SYSTEM, GOOD_REPLY, {**GOOD_VALUES, "tone": "warm"})],
}
QUIET: dict[str, list[tuple[str, str, dict | None]]] = {
    "empty": [("", "Hi", None)],
    "vague_task": [(SYSTEM, GOOD_REPLY, GOOD_VALUES), ("", SEED_GOOD, None)],
    "no_context": [(SYSTEM, GOOD_REPLY, GOOD_VALUES), ("", SEED_GOOD, None)],
    "no_audience": [
        (SYSTEM, "Summarise {{ notes }}.", None),
        ("", SEED_GOOD, None),
        ("", "Explain the new policy to new employees in plain English.", None),
    ],
    "no_format": [("", SEED_GOOD, None), ("", "Answer in three bullet points.", None)],
    "vague_length": [
        (SYSTEM, "Write a short reply of at most 80 words to: {{ message }}", None),
        (SYSTEM, GOOD_REPLY, GOOD_VALUES),
    ],
    "facts_without_source": [
        (SYSTEM, GOOD_REPLY, GOOD_VALUES),
        ("", "Using only the handbook excerpt below, say how many days of leave apply.", None),
        ("", "Write a friendly haiku about autumn for children.", None),
    ],
    "dangling_reference": [
        ("", "Rewrite this email in a friendlier tone: {{ email }}", None),
        ("", "Write a haiku about autumn for children and make it rhyme.", None),
        ("", "It is important to be polite. Write a thank-you note to a customer.", None),
        ("", SEED_GOOD, None),
    ],
    "conflicting_instructions": [
        (SYSTEM, "Be brief: answer {{ q }} in two sentences.", None),
        (SYSTEM, "Do not be too formal; keep it casual. Answer {{ q }}.", None),
        (SYSTEM, "Answer {{ q }} in one paragraph, no bullet points.", None),
        (SYSTEM, "Subject line of at most 8 words, body of at most 90 words. Answer {{ q }}.", None),
    ],
    "format_without_example": [
        (
            SYSTEM,
            'Extract the name and order number from {{ email }} as JSON, e.g. {"name": "Ana", "order": "12"}.',
            None,
        ),
        (SYSTEM, GOOD_REPLY, GOOD_VALUES),
    ],
    "python_placeholder": [
        ("", "Dear {{ customer_name }}, your order ships today.", None),
        ("", 'Return JSON like {"name": "Ana"} for {{ text }}', None),
    ],
    "bracket_placeholder": [
        (SYSTEM, GOOD_REPLY, GOOD_VALUES),
        ("", "See [the guide](https://example.com) and note [1] for {{ x }}.", None),
    ],
    "unfilled_variables": [(SYSTEM, GOOD_REPLY, GOOD_VALUES), (SYSTEM, GOOD_REPLY, None)],
    "unused_variables": [
        (SYSTEM, GOOD_REPLY, GOOD_VALUES),
        (SYSTEM, GOOD_REPLY, {**GOOD_VALUES, "tone": ""}),
    ],
}


def rules_for(system: str, user: str, values: dict | None) -> list[str]:
    return [f.rule for f in check(system, user, values)]


def test_every_rule_has_cases_that_must_and_must_not_trigger_it() -> None:
    assert set(TRIGGERS) == set(RULE_IDS) == set(QUIET)


@pytest.mark.parametrize(
    ("rule", "case"), [(rule, case) for rule, cases in TRIGGERS.items() for case in cases]
)
def test_rule_triggers(rule: str, case: tuple[str, str, dict | None]) -> None:
    assert rule in rules_for(*case)


@pytest.mark.parametrize(("rule", "case"), [(rule, case) for rule, cases in QUIET.items() for case in cases])
def test_rule_stays_quiet(rule: str, case: tuple[str, str, dict | None]) -> None:
    assert rule not in rules_for(*case)


def test_seed_bad_prompt_gets_at_least_three_findings_with_fixes() -> None:
    findings = check("", SEED_BAD)
    assert len(findings) >= 3
    assert {"vague_task", "no_context", "facts_without_source"} <= {f.rule for f in findings}
    assert all(f.why and f.fix and f.title for f in findings)


def test_seed_good_prompt_gets_at_most_one_finding() -> None:
    assert len(check("", SEED_GOOD)) <= 1


def test_demo_good_version_is_clean_and_bad_version_is_not(seeded_engine) -> None:
    from workbench.prompts import versions

    prompt = next(p for p in versions.list_prompts(seeded_engine) if p.name == "Late order reply")
    v2, v1 = versions.list_versions(seeded_engine, prompt.id)
    assert len(check(v2.system_template, v2.user_template, v2.sample_variables)) <= 1
    assert len(check(v1.system_template, v1.user_template, v1.sample_variables)) >= 3


def test_findings_name_the_concrete_words() -> None:
    [placeholder] = [f for f in check("", "Dear {customer_name}, thanks.") if f.rule == "python_placeholder"]
    assert "{customer_name}" in placeholder.why and "{{ customer_name }}" in placeholder.fix
    [unfilled] = [
        f for f in check("", GOOD_REPLY, {**GOOD_VALUES, "status": " "}) if f.rule == "unfilled_variables"
    ]
    assert "'status'" in unfilled.why


def test_checklist_survives_a_template_that_does_not_parse() -> None:
    rules = rules_for("", "Hello {{ name } please write a reply", {"name": "x"})
    assert "unfilled_variables" not in rules and "vague_task" in rules


def test_checklist_is_deterministic() -> None:
    assert check("", SEED_BAD) == check("", SEED_BAD)


def test_gallery_pairs_calibrate_the_checklist() -> None:
    """Every weak gallery prompt has at least two findings; every strong one at most one."""
    for pair in load_gallery().pairs:
        weak = check(pair.bad.system, pair.bad.user, dict(pair.bad.sample_variables))
        strong = check(pair.good.system, pair.good.user, dict(pair.good.sample_variables))
        assert len(weak) >= 2, (pair.id, [f.rule for f in weak])
        assert len(strong) <= 1, (pair.id, [f.rule for f in strong])
