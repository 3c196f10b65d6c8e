"""What the generating model is asked: test cases from a passage, or the prompts to which a
document is the answer ("reverse generation", as the source talk describes it: "use another
model to create a prompt … the blog post is the response").

The pairs instruction is the user's to edit (tone, audience, the prompt sheet they use); a
few-shot example shows the format. Both requests ask for JSON only, which ``parsing`` reads
leniently (a fenced block, or the first object in the text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from workbench.governance.pii import Message

MAX_DOCUMENT_CHARS = 12000  # what a pairs request shows of a long document

CASES_SYSTEM = (
    "You write test cases for an assistant that answers employees' and customers' questions from a "
    "company's own documents. A test case is a question a real person could ask, the answer the "
    "passage gives, and a quote copied word for word from the passage that supports the answer. "
    "Never use knowledge from outside the passage."
)

DEFAULT_PAIRS_INSTRUCTION = (
    "You are an expert prompt writer. You are given a document our company wrote. Write the prompt "
    "a person would give an AI assistant so that this document is the ideal response to it. Each "
    "prompt states the task, the audience, the key points to cover and the length, like the example. "
    "Do not copy sentences from the document into the prompt."
)

DEFAULT_PAIRS_EXAMPLE = (
    "Example document:\n"
    "# Bike to work\nEmployees who cycle to work get a 20 dollar monthly allowance. Showers are on "
    "the ground floor; lockers are assigned by reception.\n\n"
    "Example prompt:\n"
    "Write a short section of our employee handbook about cycling to work, for all employees. "
    "Cover the monthly allowance, where to shower and how to get a locker. Keep it under 60 words."
)


@dataclass(frozen=True)
class PairsInstruction:
    """The editable instruction and few-shot example of reverse generation."""

    instruction: str = DEFAULT_PAIRS_INSTRUCTION
    example: str = DEFAULT_PAIRS_EXAMPLE

    def system(self) -> str:
        parts = [self.instruction.strip(), self.example.strip()]
        return "\n\n".join(p for p in parts if p)


def cases_messages(title: str, passage: str, count: int) -> list[Message]:
    shape = json.dumps({"cases": [{"question": "...", "answer": "...", "quote": "..."}]})
    user = (
        f"Document: {title}\n<passage>\n{passage}\n</passage>\n\n"
        f"Write {count} test case{'s' if count != 1 else ''} from this passage only, each about a "
        "different fact. The quote must be copied exactly from the passage. "
        f"Answer with JSON only, in this form:\n{shape}"
    )
    return [{"role": "system", "content": CASES_SYSTEM}, {"role": "user", "content": user}]


def pairs_messages(title: str, text: str, count: int, instruction: PairsInstruction) -> list[Message]:
    shown = text if len(text) <= MAX_DOCUMENT_CHARS else text[:MAX_DOCUMENT_CHARS] + "\n[…]"
    shape = json.dumps({"prompts": ["..."]})
    user = (
        f"<document>\nTitle: {title}\n{shown}\n</document>\n\n"
        f"Write {count} different prompt{'s' if count != 1 else ''} for which this document is the answer. "
        f"Answer with JSON only, in this form:\n{shape}"
    )
    return [{"role": "system", "content": instruction.system()}, {"role": "user", "content": user}]
