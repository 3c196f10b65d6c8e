"""The prompt checklist: offline, deterministic rules that name a weakness and how to fix it.

It runs on every edit of the Draft page, so it must be instant and must never call a model.
Each rule is a small function that looks at the draft and returns a ``Finding`` (what is
weak, why it matters, what to write instead) or ``None``. The rules are heuristics on
wording, tuned on the seed talk's late-order pair and the gallery: the seed's vague prompt
trips five of them, its good prompt one (it asks for a status nobody gave the model).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.errors import TemplateError
from workbench.templates import PromptTemplate


@dataclass(frozen=True)
class Finding:
    rule: str
    title: str
    why: str
    fix: str


@dataclass(frozen=True)
class Draft:
    """What the rules look at: the raw templates, their prose, variables and example values."""

    system: str
    user: str
    prose: str  # both messages with every {{ }}, {% %} and {# #} removed
    words: tuple[str, ...]
    variables: tuple[str, ...]
    values: Mapping[str, Any] | None  # None when no values were given (not checked)

    @property
    def low(self) -> str:
        return self.prose.lower()


JINJA_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*)")
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+")
MIN_WORDS = 12
NEGATION = re.compile(
    r"\b(not|no|don't|do not|never|avoid|without|nor|neither|rather than|instead of)\W+(\w+\W+){0,2}$"
)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I | re.M)


def _quote(items: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"'{item}'" for item in items)


def _found(pattern: re.Pattern[str], text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in pattern.finditer(text)})


def _has_material(d: Draft) -> bool:
    """True when the prompt carries the thing it works on: a variable, a quote or a block."""
    if d.variables:
        return True
    if re.search(r"[\"“][^\"”]*?(\b\w+\b[^\"”]*?){4,}[\"”]", d.prose) or "```" in d.prose:
        return True
    return any(len(WORD.findall(tail)) >= 6 for tail in re.findall(r":\s*(.+)", d.prose, re.S))


# ---- the rules --------------------------------------------------------------------------------

VAGUE = _re(
    r"\b((?:write|do|make|create|say|give me) something|something (?:nice|good|interesting|catchy|cool)|"
    r"stuff|etc\.?|and so on|whatever|somehow|some kind of|make it (?:better|nicer|good|great|pop)|"
    r"improve it)(?=\W|$)"
)


def vague_task(d: Draft) -> Finding | None:
    if len(d.words) < MIN_WORDS:
        return Finding(
            "vague_task",
            "The task is very short",
            f"The whole prompt is {len(d.words)} words. With this little to go on, a model guesses "
            "what you want and answers with generic text.",
            "Say exactly what to produce, from which facts, for whom, and what a good answer "
            "contains. Two or three specific sentences are a good start.",
        )
    vague = _found(VAGUE, d.prose)
    if vague:
        return Finding(
            "vague_task",
            "The task is vague",
            f"Words like {_quote(vague)} leave the model to guess what you mean.",
            "Replace each with the concrete thing: which items, and what 'better' means "
            "(shorter? friendlier? more precise?).",
        )
    return None


CONTEXT = _re(
    r"\b(context|background|situation|given|following|below|above|attached|based on|here is|"
    r"here are|notes|transcript|excerpt|document|handbook)\b"
)


def no_context(d: Draft) -> Finding | None:
    if _has_material(d) or re.search(r"\d", d.prose) or CONTEXT.search(d.prose) or len(d.words) >= 40:
        return None
    return Finding(
        "no_context",
        "No context or details",
        "The prompt gives the model no specifics (which order, which customer, what happened), "
        "so it can only write something general.",
        "Add the facts the answer depends on, as variables: e.g. 'Order #{{ order_id }} placed on "
        "{{ order_date }}, status: {{ status }}'.",
    )


ROLE = _re(
    r"\b(you are|you're|act as|acting as|your role|role:|as an? [a-z]+ (?:expert|assistant|agent|writer|"
    r"editor|analyst|manager|specialist|consultant|advis[eo]r|copywriter|recruiter|officer|"
    r"representative|coach|teacher|lawyer|accountant|marketer))\b"
)
PEOPLE = (
    r"(?:customers?|clients?|employees?|staff|users?|team|managers?|colleagues?|candidates?|patients?|"
    r"students?|children|kids|beginners?|experts?|executives?|board|stakeholders?|partners?|suppliers?|"
    r"vendors?|buyers?|prospects?|leads|members?|subscribers?|visitors?|guests?|parents?|developers?|"
    r"engineers?|investors?|shoppers?|applicants?|people|public|leadership|ceo|cfo|hr|readers?)"
)
AUDIENCE = _re(
    r"\b(audience|readers?|read by|written for|addressed to|intended for|non-?technical|plain english|"
    r"plain language|laypeople|layperson|(?:for|to|with) (?:a |an |the |our |my |your |their |each |every |"
    rf"new |busy |existing |potential )?(?:\w+ )?{PEOPLE})\b"
)


def no_audience(d: Draft) -> Finding | None:
    if d.system.strip() or ROLE.search(d.prose) or AUDIENCE.search(d.prose):
        return None
    return Finding(
        "no_audience",
        "No audience or role",
        "The prompt does not say who will read the answer or whose voice to write in, so "
        "tone and level of detail are left to chance.",
        "Name the reader and the voice: e.g. a system message 'You are a courteous service agent' "
        "and 'Write to a customer with no technical background'.",
    )


FORMAT = _re(
    r"\b(list|bullets?|bullet points?|table|json|csv|xml|yaml|markdown|headings?|headline|title|"
    r"paragraphs?|sentences?|words|characters|e-?mail|letter|reply|replies|respond|response|message|"
    r"memo|tweet|post|caption|slogan|tagline|numbered|steps|format|formatted|structure|template|"
    r"one line|single line|fields?|columns?|label|category|score|yes or no|subject line|sign(?:ed)? "
    r"(?:it )?(?:off|as))\b"
)
NUMERIC_LENGTH = _re(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|single)\s+"
    r"(words?|sentences?|lines?|paragraphs?|bullets?|points?|items?|characters?|pages?)\b"
)
LENGTH = _re(r"\b(under|at most|no more than|maximum|max|short|brief|concise|length)\b")


def no_format(d: Draft) -> Finding | None:
    if FORMAT.search(d.prose) or NUMERIC_LENGTH.search(d.prose) or LENGTH.search(d.prose):
        return None
    return Finding(
        "no_format",
        "No output format or length",
        "Nothing says what shape the answer should take (an e-mail? three bullets? JSON?) or how "
        "long it may be, so you will get whatever the model defaults to.",
        "State the format and a length: e.g. 'Reply as a short e-mail of at most 120 words, ending "
        "with one clear next step'.",
    )


VAGUE_LENGTH = _re(r"\b(short|brief|concise|shortish|not too long|reasonable length)\b")


def vague_length(d: Draft) -> Finding | None:
    words = _found(VAGUE_LENGTH, d.prose)
    if not words or NUMERIC_LENGTH.search(d.prose):
        return None
    return Finding(
        "vague_length",
        "Length is not measurable",
        f"{_quote(words)} means different things to different models (and people).",
        "Give a number: 'at most 80 words', 'three bullet points', 'two sentences'.",
    )


FACT_CUES = _re(
    r"\b(why|facts?|figures?|statistics?|stats|numbers|data|dates?|deadlines?|when (?:will|did|does|is|was)|"
    r"how (?:many|much|long)|history|research|studies|study|evidence|polic(?:y|ies)|laws?|regulations?|rules|"
    r"entitle(?:d|ment)|prices?|costs?|fees?|percent(?:age)?|cite|citations?|status|latest|up[- ]to[- ]date)\b"
)
SOURCE = _re(
    r"\b(based on|using only|use only|only use|according to|from the (?:\w+ )?(?:text|document|handbook|"
    r"excerpt|context|data|report|notes|e-?mail|transcript|table|article|policy|faq|page)|provided|given|"
    r"attached|below|above|following|context|sources?|reference)\b"
)


def facts_without_source(d: Draft) -> Finding | None:
    cues = _found(FACT_CUES, d.prose)
    if not cues or _has_material(d) or SOURCE.search(d.prose):
        return None
    return Finding(
        "facts_without_source",
        "Asks for facts without giving a source",
        f"The prompt asks for facts ({_quote(cues)}) but gives the model no source for them, so it "
        "will invent plausible-sounding ones.",
        "Paste the source in as a variable and say 'Use only the facts below; if the answer is not "
        "there, say so': e.g. 'Status: {{ status }}. Expected delivery: {{ expected_delivery }}'.",
    )


STANDALONE = _re(
    r"\b(this|that|these|those)\b(?=\s*(?:[.,;:!?)]|$|\b(?:is|was|are|were|to|for|so|and|but|or|more|"
    r"better|into|in|up|again|please|now|shorter|longer|sound|look|read)\b))"
)
DEICTIC = _re(
    r"\b(?:this|these|the following|the above|the attached|the below) [a-z]+\b|\b(?:below|above|attached)\b"
)
IT = _re(r"\b(it|them)\b")
EXPLETIVE_IT = _re(
    r"^(?:'s| is| was)\s+(?:important|essential|critical|vital|fine|ok|okay|necessary|crucial|likely|"
    r"possible|best|worth|clear|helpful|useful|required|mandatory|good)\b"
)
NOUN_PHRASE = _re(r"\b(a|an|the|my|our|your|their|his|her|its|each|every)\s+\w+")


def dangling_reference(d: Draft) -> Finding | None:
    if _has_material(d):
        return None
    refs = _found(STANDALONE, d.prose) + _found(DEICTIC, d.prose)
    for match in IT.finditer(d.prose):
        after = d.prose[match.end() :]
        if not EXPLETIVE_IT.match(after) and not NOUN_PHRASE.search(d.prose[: match.start()]):
            refs.append(match.group(0).lower())
    if not refs:
        return None
    return Finding(
        "dangling_reference",
        "Points at something that is not there",
        f"The prompt refers to {_quote(sorted(set(refs)))}, but never includes what that is, so the "
        "model has to guess.",
        "Name the thing and paste it in as a variable: e.g. 'Rewrite the customer e-mail below in a "
        "friendlier tone: {{ email }}'.",
    )


CONFLICTS: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "length",
        _re(r"\b(brief|short|concise|succinct|one sentence|one line|a few words|very short)\b"),
        _re(r"\b(detailed|in[- ]depth|exhaustive|comprehensive|lengthy|long[- ]form|at length|elaborate)\b"),
    ),
    (
        "tone",
        _re(r"\b(formal|businesslike)\b"),
        _re(r"\b(casual|informal|chatty|slangy|slang|laid[- ]back)\b"),
    ),
    (
        "layout",
        _re(r"\b(bullets?|bullet points?|bulleted|numbered list|a list)\b"),
        _re(
            r"\b(no (?:bullets?|bullet points|lists?)|without (?:bullets?|bullet points|lists?)|"
            r"single paragraph|one paragraph|prose only|flowing prose)\b"
        ),
    ),
    (
        "humour",
        _re(r"\b(funny|humou?rous|jokes?|witty|playful)\b"),
        _re(r"\b(serious|no jokes|no humou?r)\b"),
    ),
)
MAX_WORDS = _re(
    r"\b(?:under|at most|no more than|maximum(?: of)?|max|up to|fewer than|less than)\s+(\d+)\s+words"
)
MIN_WORDS_RE = _re(r"\b(?:at least|minimum(?: of)?|more than|over)\s+(\d+)\s+words")


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
    maxima = {int(n) for n in MAX_WORDS.findall(d.prose)}
    minima = {int(n) for n in MIN_WORDS_RE.findall(d.prose)}
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


FORMAT_HEAVY = _re(r"\b(json|csv|xml|yaml|schema|table|columns?|fields?|keys|extract|structured|sql)\b")
EXAMPLE = _re(
    r"\b(examples?|e\.g\.|for instance|such as|like this|sample|as follows)(?=\W|$)|\{\s*\"|^\s*\|.*\||```"
)


def format_without_example(d: Draft) -> Finding | None:
    heavy = _found(FORMAT_HEAVY, d.prose)
    if not heavy or EXAMPLE.search(d.prose):
        return None
    return Finding(
        "format_without_example",
        "Structured output without an example",
        f"The task asks for {_quote(heavy)} output but shows no example, so field names, order and "
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
        f"{_quote(['{' + n + '}' for n in names])} has one brace on each side, so it is sent to the "
        "model literally instead of being filled in.",
        "Use two braces on each side: " + ", ".join(f"{{{{ {n} }}}}" for n in names) + ".",
    )


BRACKETS = _re(
    r"\[(?:your |insert |enter |add )?[A-Z][A-Za-z ]{2,40}\](?!\()|<(?:insert|enter|your|add)\s[^<>]{2,40}>|"
    r"\b(?:XXX+|TBD|TODO|lorem ipsum)\b"
)


def bracket_placeholder(d: Draft) -> Finding | None:
    found = sorted({m.group(0) for m in BRACKETS.finditer(d.prose)})
    if not found:
        return None
    return Finding(
        "bracket_placeholder",
        "Left to be filled in by hand",
        f"{_quote(found)} will reach the model as written; it will copy it or make something up.",
        "Turn each into a variable, e.g. {{ customer_name }}, or write the actual value.",
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def unfilled_variables(d: Draft) -> Finding | None:
    if d.values is None:
        return None
    missing = [name for name in d.variables if _blank(d.values.get(name))]
    if not missing:
        return None
    return Finding(
        "unfilled_variables",
        "Variables without an example value",
        f"{_quote(missing)} {'has' if len(missing) == 1 else 'have'} no value, so the preview cannot "
        "show the message the model will get, and the version cannot be saved.",
        "Type an example value for each in the Variables form, or remove the placeholder.",
    )


def unused_variables(d: Draft) -> Finding | None:
    if d.values is None:
        return None
    unused = sorted(name for name, value in d.values.items() if name not in d.variables and not _blank(value))
    if not unused:
        return None
    return Finding(
        "unused_variables",
        "Values the template never uses",
        f"{_quote(unused)} {'has' if len(unused) == 1 else 'have'} a value but the template has no "
        "placeholder for it, so the model never sees it.",
        "Add " + ", ".join(f"{{{{ {n} }}}}" for n in unused) + " where the model needs it, "
        "or forget the value.",
    )


Rule = Callable[[Draft], Finding | None]
RULES: tuple[Rule, ...] = (
    vague_task,
    no_context,
    no_audience,
    no_format,
    vague_length,
    facts_without_source,
    dangling_reference,
    conflicting_instructions,
    format_without_example,
    python_placeholder,
    bracket_placeholder,
    unfilled_variables,
    unused_variables,
)
RULE_IDS: tuple[str, ...] = (*(rule.__name__ for rule in RULES), "empty")


def placeholders(system: str, user: str) -> list[str]:
    """Names written as {{ name }}, found without parsing (for templates that do not parse)."""
    return list(dict.fromkeys(PLACEHOLDER.findall(f"{system}\n{user}")))


def make_draft(system: str, user: str, values: Mapping[str, Any] | None = None) -> Draft:
    try:
        variables = tuple(PromptTemplate(system=system, user=user).variables())
    except TemplateError:  # the editor reports the syntax error; keep checking the wording
        variables = tuple(placeholders(system, user))
    prose = JINJA_MARKUP.sub(" ", f"{system}\n{user}")
    return Draft(
        system=system,
        user=user,
        prose=prose,
        words=tuple(WORD.findall(prose)),
        variables=variables,
        values=values,
    )


def check(system: str, user: str, values: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every finding for this draft, in rule order. ``values``: example values (None = unchecked)."""
    if not (system.strip() or user.strip()):
        return [
            Finding(
                "empty",
                "Nothing written yet",
                "Both messages are empty.",
                "Write the task in the user message, or start from the Gallery or the builder.",
            )
        ]
    draft = make_draft(system, user, values)
    return [finding for rule in RULES if (finding := rule(draft)) is not None]
