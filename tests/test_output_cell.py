"""How a cell words its figures: money, time, tokens and the finish reason."""

from __future__ import annotations

from workbench.runs.outputs import CellView
from workbench.ui.compare.output_cell import cost_shown, figures, money, params_line, total_shown
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


def test_a_models_total_is_the_sum_of_the_costs_its_cells_show() -> None:
    """Three answers of $0.000397 each show $0.00040; their total shows $0.00120, not $0.00119.
    A reused answer shows (and adds) no new cost; a failed call shows none."""
    views = [
        CellView(
            key=f"1/{i}/0",
            row_index=i,
            column=0,
            title="m",
            status="ok",
            latency_ms=900,
            tokens_out=30,
            cost_usd=0.000397,
        )
        for i in range(3)
    ]
    reused = CellView(key="1/3/0", row_index=3, column=0, title="m", status="ok", latency_ms=5,
                      tokens_out=30, cost_usd=0.000397, cache_hit=True)  # fmt: skip
    failed = CellView(key="1/4/0", row_index=4, column=0, title="m", status="error", cost_usd=0.0001)
    assert [money(cost_shown(v)) for v in views] == ["$0.00040"] * 3
    assert "$0 new cost (reused)" in figures(reused)
    assert cost_shown(failed) is None
    assert total_shown([*views, reused, failed]) == "$0.00120"
    assert total_shown([failed]) == "—"
