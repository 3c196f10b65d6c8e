"""Template renders are bounded: each bomb from the issue returns a TemplateError within its
ceiling (sizes are checked before computing; loops count against the clock), and ordinary
templates render as before."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from workbench.errors import TemplateError
from workbench.projects import project_records
from workbench.prompts import versions
from workbench.prompts.render_limits import RenderLimits
from workbench.prompts.templates import PromptTemplate
from workbench.store.engine import session_scope

# Sizes are refused before any work is done: far below the time ceiling even on a busy machine.
SIZE_BOMBS = [
    ("{{ 10**100000 }}", "about 100,000 digits"),
    ("{{ 7**99999999 }}", "digits"),
    ("{{ (10**4000) * (10**4000) }}", "digits"),
    ("{{ 'a' * 100000000 }}", "100,000,000 characters"),
    ('{{ "ab" * 10000000 }}', "20,000,000 characters"),
    ("{{ (range(100000)|list) * 100000 }}", "characters"),
    ("{{ '%0999999999d' % 1 }}", "formatted value"),
    ("{{ '%0999999999d'|format(1) }}", "formatted value"),
    ("{{ '{:>999999999}'.format(1) }}", "formatted value"),
    ("{{ 'a'|center(999999999) }}", "padded value"),
    ("{{ 'a'.ljust(999999999) }}", "padded value"),
    ("{{ 'x'|indent(999999999) }}", "indented value"),
    ("{{ ('a' * 1000000)|join('bbbbbbbbbb') }}", "joined value"),
    (
        "{% set ns = namespace(s='a') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
        "joined",
    ),
]
# Work that makes nothing big, only takes long: stopped by the clock.
TIME_BOMBS = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{{ j }}{% endfor %}{% endfor %}",
]
LIMITS = RenderLimits(seconds=1.0, max_chars=1_000_000)
SLACK_S = 10.0  # a busy machine's scheduling; a runaway render would take minutes


@pytest.mark.parametrize(("template", "words"), SIZE_BOMBS)
def test_size_bombs_are_refused_before_computing(template: str, words: str) -> None:
    began = time.perf_counter()
    with pytest.raises(TemplateError, match=r"at most|templates compute numbers") as info:
        PromptTemplate(user=template).render({}, LIMITS)
    assert time.perf_counter() - began < LIMITS.seconds + SLACK_S
    assert words in str(info.value) and info.value.source == "user"


@pytest.mark.parametrize("template", TIME_BOMBS)
def test_loops_stop_at_the_time_ceiling(template: str) -> None:
    """Whichever ceiling a loop reaches first stops it: the clock, or (on a fast machine, for a
    loop that writes) the output size."""
    began = time.perf_counter()
    with pytest.raises(TemplateError, match=r"took longer than 1 s|an output of [\d,]+ characters"):
        PromptTemplate(user=template).render({}, LIMITS)
    assert time.perf_counter() - began < LIMITS.seconds + SLACK_S


def test_output_is_capped_while_it_is_written() -> None:
    small = RenderLimits(seconds=30, max_chars=1000)
    with pytest.raises(TemplateError, match=r"an output of 1,00[0-9] characters"):
        PromptTemplate(user="{% for i in range(100000) %}{{ i }}{% endfor %}").render({}, small)


def test_the_ceilings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_TEMPLATE_MAX_CHARS", "50")
    monkeypatch.setenv("WORKBENCH_TEMPLATE_SECONDS", "0.5")
    assert RenderLimits.configured().max_chars == 50 and RenderLimits.configured().seconds == 0.5
    with pytest.raises(TemplateError, match="at most 50 are allowed"):
        PromptTemplate(user="{{ 'x' * 60 }}").render({})


def test_a_huge_literal_is_a_template_error_not_a_value_error() -> None:
    with pytest.raises(TemplateError, match="could not be read"):
        PromptTemplate(user="{{ " + "1" * 5000 + " }}").validate()


def test_ordinary_templates_render_as_before() -> None:
    template = PromptTemplate(
        system="Hi {{ name|upper }}",
        user="{% for x in items %}{{ loop.index }}. {{ x ~ '!' }} {{ '%.2f'|format(p) }} {{ 2**10 }} "
        "{{ 'ab' * 3 }} {{ '{:>4}'.format(n) }} {{ items|join(', ') }}\n{% endfor %}",
    )
    messages = template.render({"name": "bo", "items": ["a", "b"], "p": 3.14159, "n": 7})
    assert messages == [
        {"role": "system", "content": "Hi BO"},
        {
            "role": "user",
            "content": "1. a! 3.14 1024 ababab    7 a, b\n2. b! 3.14 1024 ababab    7 a, b\n",
        },
    ]


def test_saving_a_bomb_is_a_template_error_and_writes_nothing(engine: Engine) -> None:
    """A save renders the version with its sample values (as Draft does): a bomb is refused as a
    template error, never a ValueError from deep inside Jinja."""
    with session_scope(engine) as session:
        project = project_records.create_project(session, actor="t", name="P")
        prompt = versions.create_prompt(session, project_id=project.id, name="Q", actor="t")  # type: ignore[arg-type]
    for bomb in ("{{ 10**100000 }}", "{{ 'a' * 100000000 }}"):
        with pytest.raises(TemplateError), session_scope(engine) as session:
            versions.save_version(
                session,
                prompt_id=prompt.id,
                system_template="",
                user_template=bomb,
                author="t",
                sample_variables={"customer": "Ann"},
            )  # type: ignore[arg-type]
    assert versions.list_versions(engine, prompt.id) == []  # type: ignore[arg-type]
