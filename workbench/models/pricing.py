"""Prices per million tokens and the cost of one call.

Defaults cover common models so a cost shows up before anyone edits the price table; the
editable prices live on ``ModelEntry`` rows, and these are only the starting values.
"""

from __future__ import annotations

import math
from decimal import Decimal

# model id -> (USD per million input tokens, USD per million output tokens)
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "o4-mini": (1.10, 4.40),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "echo": (0.0, 0.0),
    # The local fake server's models carry make-believe prices so cost columns are exercised.
    "fake-large": (3.00, 15.00),
    "fake-small": (0.25, 1.25),
    "fake-lazy": (0.10, 0.40),
}


def default_price(model: str) -> tuple[float, float]:
    """Known price for ``model``, matching dated snapshots ("gpt-4o-2024-08-06") by prefix."""
    if model in DEFAULT_PRICES:
        return DEFAULT_PRICES[model]
    best = max((m for m in DEFAULT_PRICES if model.startswith(m)), key=len, default=None)
    return DEFAULT_PRICES[best] if best else (0.0, 0.0)


def cost_usd(
    tokens_in: int | None, tokens_out: int | None, price_in: float, price_out: float
) -> float | None:
    if tokens_in is None and tokens_out is None:
        return None
    return ((tokens_in or 0) * price_in + (tokens_out or 0) * price_out) / 1_000_000


def rounded(value: float) -> Decimal:
    """An amount as a person reads it: cents from a cent up, two significant digits below."""
    if value == 0:
        return Decimal(0)
    if value >= 0.01:
        return Decimal(f"{value:.2f}")
    return Decimal(f"{value:.{max(2, 1 - math.floor(math.log10(value)))}f}")


def money(value: float | Decimal | None) -> str:
    """Dollars with two significant digits below a cent ($0.00024), cents above ($1.25)."""
    if value is None:
        return "cost n/a"
    amount = value if isinstance(value, Decimal) else rounded(value)
    return "$0" if amount == 0 else f"${amount:f}"
