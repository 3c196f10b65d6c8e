"""Framing a use case: the user story and the five P's, with the guidance for each field.

The guidance is taken from the source talk on LLM prerequisites (Trust Insights, "So What?"):
"the user story ... as a persona, I want to, so that. It's a three part sentence that tells you
a lot about what it is you need to know", and the five P's: "What is the question you're trying
to answer? Who needs to be involved? What is the repeatable process? What pieces of equipment
are you using? And how do you measure success?"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Field:
    name: str  # Project column
    label: str
    question: str  # the short guidance shown next to the field
    example: str  # a placeholder drawn from the talk's own examples


USER_STORY: tuple[Field, ...] = (
    Field("persona", "As a …", "The persona: the people, your audience.", "CEO"),
    Field(
        "want",
        "I want to …",
        "Your intent: it points at your process and your platform.",
        "fine-tune a language model to my voice",
    ),
    Field(
        "so_that",
        "so that …",
        "Your purpose and your performance: how you will know you did the thing.",
        "I can expedite writing content for my brand",
    ),
)

FIVE_PS: tuple[Field, ...] = (
    Field(
        "purpose",
        "Purpose",
        "What is the question you're trying to answer?",
        "Answer routine HR policy questions accurately, so HR spends time on the hard cases.",
    ),
    Field(
        "people",
        "People",
        "Who needs to be involved, and who is going to administer the model?",
        "Employees ask; HR owns the handbook and reviews low-rated answers.",
    ),
    Field(
        "process",
        "Process",
        "What is the repeatable process? How frequently are things going to change?",
        "The handbook changes about once a year; HR updates the context and reruns the bench.",
    ),
    Field(
        "platform",
        "Platform",
        "What pieces of equipment are you using? What will you use, and how?",
        "Internal chat assistant calling the labelled production prompt.",
    ),
    Field(
        "performance",
        "Performance",
        "How do you measure success? Does the thing actually work? Keep a bench of questions "
        "whose answers you know backwards and forwards.",
        "Pass rate on the HR bench at least 95%; average rating at least 4.",
    ),
)

SENSITIVITY_GUIDANCE = (
    "Are you working with protected information? Personal, sensitive or health data makes the "
    'store that holds it "radioactive": lock it down and be able to produce results for an '
    "auditor."
)
SENSITIVITY_HELP = {
    "public": "Nothing sensitive: no checks before sending.",
    "internal": "Company-internal: personal data found in a prompt is named in a warning, "
    "with one-click redaction.",
    "confidential": "Only the allowed endpoints may receive prompts; personal data is named in a warning.",
    "restricted": "Only the allowed endpoints may receive prompts, and personal data must be "
    "redacted before anything is sent.",
}


def story_sentence(project: Any) -> str:
    """ "As a CEO, I want to … so that …" with gaps shown as "…"."""
    persona, want, so_that = (getattr(project, f.name) or "…" for f in USER_STORY)
    return f"As a {persona}, I want to {want} so that {so_that}."


def missing_fields(project: Any) -> list[str]:
    """Labels of the story and five-P fields still empty, in form order."""
    return [f.label for f in (*USER_STORY, *FIVE_PS) if not str(getattr(project, f.name) or "").strip()]
