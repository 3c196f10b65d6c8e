"""How a cell words its figures: money, time, tokens and the finish reason."""

from __future__ import annotations

from workbench.runs.outputs import CellView
from workbench.ui.compare.output_cell import figures, money, params_line
from workbench.ui.shell.safe_markdown import safe_markdown


def test_money_keeps_two_significant_digits_below_a_cent() -> None:
    assert [money(v) for v in (None, 0, 0.0000242, 0.00085, 0.0123, 1.254)] == [
        "cost n/a",
        "$0",
        "$0.000024",
        "$0.00085",
        "$0.01",
        "$1.25",
    ]


def test_figures_read_as_words() -> None:
    view = CellView(
        key="1/0/0",
        row_index=0,
        column=0,
        title="Fake · fake-large",
        status="ok",
        latency_ms=1234,
        ttft_ms=310,
        tokens_in=45,
        tokens_out=120,
        cost_usd=0.0004,
        finish_reason="length",
    )
    assert figures(view) == (
        "1.23 s · first token 0.31 s · tokens 45 in / 120 out · $0.00040 · finish: cut at max tokens"
    )
    running = CellView(key="k", row_index=0, column=0, title="t", status="running")
    assert figures(running) == ""


def test_params_and_dollar_signs() -> None:
    assert params_line({"temperature": 0.2, "max_tokens": 300, "system_override": "x"}) == (
        "temperature 0.2 · max 300 tokens · own system prompt"
    )
    assert safe_markdown("It costs $5 and $6") == "It costs \\$5 and \\$6"
