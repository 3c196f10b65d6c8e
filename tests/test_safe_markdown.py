"""The Markdown sanitiser: formatting stays, nothing that could fetch or link survives."""

from __future__ import annotations

import pytest

from workbench.ui.shell.safe_markdown import markdown_table, safe_markdown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("![x](http://h/leak?a=1)", "!\\[x\\](http\\://h/leak?a=1)"),
        ("![a][r]\n\n[r]: http://h/r.png", "!\\[a\\]\\[r\\]\n\n\\[r\\]: http\\://h/r.png"),
        ('<img src="http://h/i.png">', '\\<img src="http\\://h/i.png">'),
        ("<http://h/auto>", "\\<http\\://h/auto>"),
        ("see www.example.com", "see www\\.example.com"),
        ("costs $5", "costs \\$5"),
        ("\\[x\\](http://evil)", "\\\\\\[x\\\\\\](http\\://evil)"),  # no backslash undoes an escape
    ],
)
def test_images_links_html_and_addresses_are_neutralised(text: str, shown: str) -> None:
    assert safe_markdown(text) == shown


def test_formatting_and_code_are_kept() -> None:
    text = "**Bold**, _it_, a list:\n- one\n- two\n\n`x[0]` and\n```python\nx = [1](2)\n```\nafter"
    assert safe_markdown(text) == text


def test_a_fence_left_open_keeps_the_rest_as_code() -> None:
    assert safe_markdown("a [b]\n~~~\n[c](d)") == "a \\[b\\]\n~~~\n[c](d)"


def test_a_markdown_table_keeps_each_value_literal_in_its_cell() -> None:
    rows = [
        {"Prompt": "Refunds | returns", "What it does": "Line one\nline two ![x](http://h/leak) *bold*"},
        {"Prompt": "```js ![x](http://h/leak)", "What it does": "`x\\| ![i](http://h/leak) `"},
        {"Prompt": "Long", "What it does": "word " * 50},
    ]
    table = markdown_table(rows, longest_cell=60).split("\n")
    assert table[0] == "| Prompt | What it does |"
    assert table[1] == "| --- | --- |"
    assert (
        table[2] == "| Refunds \\| returns | Line one line two \\!\\[x\\]\\(http\\://h/leak\\) \\*bold\\* |"
    )
    # an opening fence or a code span is inline text in a cell: escaped like the rest, and a
    # backslash before a pipe cannot pair with the pipe's escape to end the cell
    assert table[3] == (
        "| \\`\\`\\`js \\!\\[x\\]\\(http\\://h/leak\\) | \\`x\\\\\\| \\!\\[i\\]\\(http\\://h/leak\\) \\` |"
    )
    assert len(table) == 5 and table[4].endswith("word… |") and len(table[4]) < 80
    assert markdown_table([]) == ""
