"""Rules about the wording of the task: is it specific, does it give context, an audience,
a format and a measurable length, a source for the facts it asks for, and the thing it refers to?"""

from __future__ import annotations

import re

from workbench.prompts.checklist.rule import MIN_WORDS, Draft, Finding, found, has_material, pattern, quoted

VAGUE = pattern(
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
    vague = found(VAGUE, d.prose)
    if vague:
        return Finding(
            "vague_task",
            "The task is vague",
            f"Words like {quoted(vague)} leave the model to guess what you mean.",
            "Replace each with the concrete thing: which items, and what 'better' means "
            "(shorter? friendlier? more precise?).",
        )
    return None


CONTEXT = pattern(
    r"\b(context|background|situation|given|following|below|above|attached|based on|here is|"
    r"here are|notes|transcript|excerpt|document|handbook)\b"
)


def no_context(d: Draft) -> Finding | None:
    if has_material(d) or re.search(r"\d", d.prose) or CONTEXT.search(d.prose) or len(d.words) >= 40:
        return None
    return Finding(
        "no_context",
        "No context or details",
        "The prompt gives the model no specifics (which order, which customer, what happened), "
        "so it can only write something general.",
        "Add the facts the answer depends on, as variables: e.g. 'Order #{{ order_id }} placed on "
        "{{ order_date }}, status: {{ status }}'.",
    )


ROLE = pattern(
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
AUDIENCE = pattern(
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


FORMAT = pattern(
    r"\b(list|bullets?|bullet points?|table|json|csv|xml|yaml|markdown|headings?|headline|title|"
    r"paragraphs?|sentences?|words|characters|e-?mail|letter|reply|replies|respond|response|message|"
    r"memo|tweet|post|caption|slogan|tagline|numbered|steps|format|formatted|structure|template|"
    r"one line|single line|fields?|columns?|label|category|score|yes or no|subject line|sign(?:ed)? "
    r"(?:it )?(?:off|as))\b"
)
NUMERIC_LENGTH = pattern(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|single)\s+"
    r"(words?|sentences?|lines?|paragraphs?|bullets?|points?|items?|characters?|pages?)\b"
)
LENGTH = pattern(r"\b(under|at most|no more than|maximum|max|short|brief|concise|length)\b")


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


VAGUE_LENGTH = pattern(r"\b(short|brief|concise|shortish|not too long|reasonable length)\b")


def vague_length(d: Draft) -> Finding | None:
    words = found(VAGUE_LENGTH, d.prose)
    if not words or NUMERIC_LENGTH.search(d.prose):
        return None
    return Finding(
        "vague_length",
        "Length is not measurable",
        f"{quoted(words)} means different things to different models (and people).",
        "Give a number: 'at most 80 words', 'three bullet points', 'two sentences'.",
    )


FACT_CUES = pattern(
    r"\b(why|facts?|figures?|statistics?|stats|numbers|data|dates?|deadlines?|when (?:will|did|does|is|was)|"
    r"how (?:many|much|long)|history|research|studies|study|evidence|polic(?:y|ies)|laws?|regulations?|rules|"
    r"entitle(?:d|ment)|prices?|costs?|fees?|percent(?:age)?|cite|citations?|status|latest|up[- ]to[- ]date)\b"
)
SOURCE = pattern(
    r"\b(based on|using only|use only|only use|according to|from the (?:\w+ )?(?:text|document|handbook|"
    r"excerpt|context|data|report|notes|e-?mail|transcript|table|article|policy|faq|page)|provided|given|"
    r"attached|below|above|following|context|sources?|reference)\b"
)


def facts_without_source(d: Draft) -> Finding | None:
    cues = found(FACT_CUES, d.prose)
    if not cues or has_material(d) or SOURCE.search(d.prose):
        return None
    return Finding(
        "facts_without_source",
        "Asks for facts without giving a source",
        f"The prompt asks for facts ({quoted(cues)}) but gives the model no source for them, so it "
        "will invent plausible-sounding ones.",
        "Paste the source in as a variable and say 'Use only the facts below; if the answer is not "
        "there, say so': e.g. 'Status: {{ status }}. Expected delivery: {{ expected_delivery }}'.",
    )


STANDALONE = pattern(
    r"\b(this|that|these|those)\b(?=\s*(?:[.,;:!?)]|$|\b(?:is|was|are|were|to|for|so|and|but|or|more|"
    r"better|into|in|up|again|please|now|shorter|longer|sound|look|read)\b))"
)
DEICTIC = pattern(
    r"\b(?:this|these|the following|the above|the attached|the below) [a-z]+\b|\b(?:below|above|attached)\b"
)
IT = pattern(r"\b(it|them)\b")
EXPLETIVE_IT = pattern(
    r"^(?:'s| is| was)\s+(?:important|essential|critical|vital|fine|ok|okay|necessary|crucial|likely|"
    r"possible|best|worth|clear|helpful|useful|required|mandatory|good)\b"
)
NOUN_PHRASE = pattern(r"\b(a|an|the|my|our|your|their|his|her|its|each|every)\s+\w+")


def dangling_reference(d: Draft) -> Finding | None:
    if has_material(d):
        return None
    refs = found(STANDALONE, d.prose) + found(DEICTIC, d.prose)
    for match in IT.finditer(d.prose):
        after = d.prose[match.end() :]
        if not EXPLETIVE_IT.match(after) and not NOUN_PHRASE.search(d.prose[: match.start()]):
            refs.append(match.group(0).lower())
    if not refs:
        return None
    return Finding(
        "dangling_reference",
        "Points at something that is not there",
        f"The prompt refers to {quoted(sorted(set(refs)))}, but never includes what that is, so the "
        "model has to guess.",
        "Name the thing and paste it in as a variable: e.g. 'Rewrite the customer e-mail below in a "
        "friendlier tone: {{ email }}'.",
    )
