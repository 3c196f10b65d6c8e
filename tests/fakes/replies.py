"""What the fake models say: deterministic, offline, and good enough to exercise every flow.

- A judge request (the workbench's judge prompt asks for a JSON verdict) gets a verdict that
  compares the graded answer with the expected one by word overlap.
- An improver request gets a rewritten prompt with the missing pieces a checklist asks for
  (``fake-lazy`` answers it without the tags, like a weak model, to exercise that failure).
- An optimizer's request for candidate edits (``<candidate>`` blocks asked for) gets as many
  candidates as it asks for: the prompt plus one line each from ``EDITS``, in order, skipping
  lines the prompt already has and edits the request lists as tried. Exactly one of those lines,
  ``HANDBOOK_EDIT``, changes what the fake models answer (see below), so a test can watch an
  optimizer find the one instruction that fixes the failing cases.
- The fake models know Northwind's employee handbook (the demo's HR excerpt), the way a model
  knows facts from its training, but they use it only when the prompt tells them to answer from
  the company handbook (``HANDBOOK_CUE``); otherwise they guess from the prompt alone.
- A request to write test cases from a ``<passage>`` gets question / answer / quote triples
  built from the passage's sentences (each quote verbatim); ``fake-lazy`` invents its quotes,
  like a careless model, so the automatic rejection can be seen.
- A request to write the prompts a ``<document>`` answers (reverse generation) gets prompts
  built from the document's title and headings.
- Everything else is answered extractively: the sentence of the context that best matches the
  question, so the seeded HR bench passes on a good prompt. ``fake-lazy`` gives the seed's
  bad, generic answer instead, so a model matrix shows real differences.
"""

from __future__ import annotations

import functools
import json
import re

WORD = re.compile(r"[A-Za-z0-9#$%.,'/-]+")
STOP = {
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "or",
    "is",
    "are",
    "in",
    "on",
    "for",
    "how",
    "what",
    "do",
    "does",
    "i",
    "my",
    "me",
    "you",
    "your",
    "we",
    "our",
    "can",
    "with",
    "it",
    "this",
    "that",
    "be",
    "as",
    "at",
    "by",
    "from",
    "get",
    "many",
    "much",
    "much?",
    "when",
    "who",
    "which",
    "there",
    "if",
}

LAZY_REPLY = "Your request is being handled. Unforeseen circumstances may apply."

# The one instruction that makes the fake models use what they know of the handbook.
HANDBOOK_CUE = "from the company handbook"
HANDBOOK_EDIT = "Answer from the company handbook and quote the exact figure it gives."
# The optimizer's candidate edits, in the order the fake proposer offers them: (line, reason).
EDITS: tuple[tuple[str, str], ...] = (
    ("Answer in one or two sentences.", "Short answers are easier to read and to check."),
    ("Write in plain, friendly English.", "A friendlier tone for employees."),
    (HANDBOOK_EDIT, "The failing answers give no figure: point the model at the handbook."),
    ("If you are unsure, say so instead of guessing.", "Guesses read as facts; ask for honesty."),
    ("Start with the direct answer, then any condition that applies.", "Lead with what was asked."),
    ("Do not add greetings or sign-offs.", "Reviewers called the pleasantries noise."),
)


def count_tokens(text: str) -> int:
    """A stand-in tokenizer: words and punctuation marks, at least one token."""
    return max(1, len(re.findall(r"\w+|[^\w\s]", text)))


def _words(text: str) -> set[str]:
    return {w.strip(".,?!'").lower() for w in WORD.findall(text)} - STOP - {""}


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p.strip(" -*\t") for p in parts if len(p.strip()) > 3]


def _last_question(messages: list[dict[str, str]]) -> str:
    users = [m["content"] for m in messages if m.get("role") == "user"]
    text = users[-1] if users else ""
    lines = [line for line in text.splitlines() if line.strip()]
    questions = [line for line in lines if "?" in line]
    return (questions[-1] if questions else (lines[-1] if lines else "")).strip()


def judge_reply(messages: list[dict[str, str]]) -> str:
    text = "\n".join(m["content"] for m in messages)
    expected = re.search(r"<expected>(.*?)</expected>", text, re.S)
    answer = re.search(r"<answer>(.*?)</answer>", text, re.S)
    if not answer:
        return json.dumps({"pass": False, "score": 0.0, "reason": "No answer was given to grade."})
    want = _words(expected.group(1)) if expected else set()
    got = _words(answer.group(1))
    score = (1.0 if got else 0.0) if not want else round(len(want & got) / len(want), 2)
    verdict = score >= 0.5
    reason = (
        "The answer covers the expected facts." if verdict else "The answer misses facts the rubric expects."
    )
    return json.dumps({"pass": verdict, "score": score, "reason": reason})


def improver_reply(messages: list[dict[str, str]]) -> str:
    # The prompt to improve is in the user message; the system message may show the answer format.
    text = "\n".join(m["content"] for m in messages if m.get("role") == "user")
    system = re.search(r"<system_template>(.*?)</system_template>", text, re.S)
    user = re.search(r"<user_template>(.*?)</user_template>", text, re.S)
    old_system = system.group(1).strip() if system else ""
    old_user = user.group(1).strip() if user else ""
    new_system = old_system or "You are a courteous, precise assistant writing for our customers."
    new_user = (
        f"{old_user}\n\n"
        "Context: use only the facts given above; if something is unknown, say so.\n"
        "Audience: a customer with no technical background.\n"
        "Format: a short reply of at most 120 words, ending with a clear next step."
    ).strip()
    return (
        f"<system_template>\n{new_system}\n</system_template>\n"
        f"<user_template>\n{new_user}\n</user_template>\n"
        "<change_note>Added context, audience, format and length limits.</change_note>"
    )


@functools.cache
def handbook_lines() -> list[str]:
    """The handbook the fake models know: the lines of the demo's HR excerpt."""
    from workbench.demo.seed import demo_data

    for project in demo_data()["projects"]:
        for prompt in project["prompts"]:
            for version in prompt["versions"]:
                _, found, excerpt = version["system"].partition("Handbook excerpt:")
                if found:
                    return [line.strip() for line in excerpt.splitlines() if line.strip()]
    return []


def proposer_reply(messages: list[dict[str, str]]) -> str:
    """Candidate edits: the prompt in the request, each with one more line from ``EDITS``."""
    text = "\n".join(m["content"] for m in messages if m.get("role") == "user")
    system = re.search(r"<system_template>\n?(.*?)\n?</system_template>", text, re.S)
    user = re.search(r"<user_template>\n?(.*?)\n?</user_template>", text, re.S)
    tried = re.search(r"<tried>(.*?)</tried>", text, re.S)
    wanted = re.search(r"exactly (\d+) candidate", text)
    old_system = system.group(1) if system else ""
    old_user = user.group(1) if user else ""
    skip = (old_system + old_user + (tried.group(1) if tried else "")).lower()
    fresh = [(line, why) for line, why in EDITS if line.lower() not in skip]
    blocks = []
    for line, why in fresh[: int(wanted.group(1)) if wanted else 4]:
        new_system = f"{old_system}\n{line}" if old_system.strip() else line
        blocks.append(
            f"<candidate>\n<reason>{why}</reason>\n<system_template>\n{new_system}\n</system_template>\n"
            f"<user_template>\n{old_user}\n</user_template>\n</candidate>"
        )
    return "\n".join(blocks) or "I have no further ideas."


INVENTED_QUOTE = "Every employee may take unlimited paid holidays at any time."


def _count_asked(text: str) -> int:
    match = re.search(r"Write (\d+) (?:different )?(?:test case|prompt)", text)
    return int(match.group(1)) if match else 2


def cases_reply(model: str, text: str) -> str:
    """Triples from the passage's sentences: the question asks about the sentence's key words,
    the answer and the quote are the sentence itself."""
    passage = re.search(r"<passage>\n(.*?)\n</passage>", text, re.S)
    title = re.search(r"Document: (.+)", text)
    topic = title.group(1).strip().lower() if title else "this topic"
    found = [s for s in _sentences(passage.group(1) if passage else "") if len(s.split()) >= 4]
    items = []
    for sentence in found[: _count_asked(text)]:
        words = [w for w in re.findall(r"[A-Za-z0-9']+", sentence) if w.lower() not in STOP][:6]
        question = f"About {topic}: what does the handbook say on {' '.join(words).lower()}?"
        quote = INVENTED_QUOTE if "lazy" in model else sentence
        items.append({"question": question, "answer": sentence, "quote": quote})
    return json.dumps({"cases": items})


def pairs_reply(text: str) -> str:
    """Prompts for which the document is the answer, built from its title and headings."""
    title = re.search(r"<document>\nTitle: (.+)", text)
    name = title.group(1).strip() if title else "this topic"
    body = re.search(r"<document>\n.*?\n(.*?)</document>", text, re.S)
    headings = re.findall(r"^#+\s+(.+)$", body.group(1) if body else "", re.M)
    points = ", ".join(h.lower() for h in headings if h.strip() != name) or name.lower()
    options = [
        f"Write the section of our employee handbook titled '{name}' for all employees. Cover {points}. Keep it short.",
        f"Explain our policy on {name.lower()} to a new employee, as a short handbook entry with the exact figures.",
        f"Draft an internal FAQ answer about {name.lower()} that states the rules and what to do.",
    ]
    return json.dumps({"prompts": options[: _count_asked(text)]})


def answer(model: str, messages: list[dict[str, str]]) -> str:
    text = "\n".join(m.get("content", "") for m in messages)
    if "<candidate>" in text and "<failing_cases>" in text and "lazy" not in model:
        return proposer_reply(messages)
    if "<passage>" in text and '"quote"' in text:
        return cases_reply(model, text)
    if "<document>" in text and '"prompts"' in text:
        return pairs_reply(text)
    if "<answer>" in text and ("verdict" in text.lower() or "rubric" in text.lower()):
        return judge_reply(messages)
    if "lazy" in model:  # also for improver requests: an answer without tags, as weak models give
        return LAZY_REPLY
    if "<user_template>" in text and "improve" in text.lower():
        return improver_reply(messages)
    question = _last_question(messages)
    want = _words(question)
    best, best_score = "", 0.0
    known = handbook_lines() if HANDBOOK_CUE in text.lower() else []
    for sentence in [*_sentences(text), *known]:
        if sentence.strip() == question:
            continue
        words = _words(sentence)
        if not words:
            continue
        score = len(want & words) / (1 + 0.05 * len(words))
        if score > best_score:
            best, best_score = sentence, score
    if best:
        return f"{best}" if "small" in model else f"Thanks for your question. {best} I hope this helps."
    return f"Here is my answer about: {question or 'your request'}."
