"""Template parsing and rendering: variables found in order, errors with line and plain words."""

from __future__ import annotations

import pytest

from workbench.errors import TemplateError
from workbench.prompts.templates import PromptTemplate, missing_variables


def test_variables_in_order_of_first_appearance() -> None:
    t = PromptTemplate(
        system="You help {{ company }}.", user="Order {{ order_id }} for {{ company }} on {{ date }}"
    )
    assert t.variables() == ["company", "order_id", "date"]


def test_render_builds_chat_messages_and_skips_empty_system() -> None:
    assert PromptTemplate(user="Hi {{ n }}").render({"n": "Bo"}) == [{"role": "user", "content": "Hi Bo"}]


def test_values_are_never_evaluated_as_templates() -> None:
    out = PromptTemplate(user="{{ v }}").render({"v": "{{ 7*7 }} {% if 1 %}x{% endif %}"})
    assert out[0]["content"] == "{{ 7*7 }} {% if 1 %}x{% endif %}"


@pytest.mark.parametrize(
    ("user", "line", "words"),
    [
        ("Hello {{ name }", 1, "Unbalanced braces"),
        ("a\nb\nHello {{ name ", 3, "not closed"),
        ("x\n{{ name | frobnicate }}", 2, "Unknown filter 'frobnicate'"),
        ("{{ first name }}", 1, "one variable name"),
    ],
)
def test_syntax_errors_name_line_and_fix(user: str, line: int, words: str) -> None:
    with pytest.raises(TemplateError) as info:
        PromptTemplate(user=user).validate()
    assert info.value.line == line and words in info.value.message and info.value.source == "user"


def test_undefined_variable_names_it_with_line() -> None:
    with pytest.raises(TemplateError) as info:
        PromptTemplate(system="ok\n\n{{ missing }}", user="").render({})
    assert (
        info.value.line == 3
        and "'missing' has no value" in str(info.value)
        and "System message, line 3:" in str(info.value)
    )


def test_sandbox_blocks_python_internals() -> None:
    with pytest.raises(TemplateError, match="Blocked for safety"):
        PromptTemplate(user="{{ ''.__class__.__mro__ }}").render({})
    with pytest.raises(TemplateError, match="Blocked for safety"):
        PromptTemplate(user="{{ v.__class__.__init__.__globals__ }}").render({"v": "x"})


def test_missing_variables_counts_blanks() -> None:
    t = PromptTemplate(user="{{ a }} {{ b }} {{ c }}")
    assert missing_variables(t, {"a": "1", "b": ""}) == ["b", "c"]
