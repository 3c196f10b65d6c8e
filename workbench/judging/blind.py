"""Blind rating: hide which model wrote an answer, and shuffle the columns, until it is rated.

People rate a famous model's answer higher because of the name, and the left column higher
because it is read first. In blind mode each row's answers get neutral names ("Answer A",
"Answer B", ...) in an order shuffled for that row. The shuffle is a pure function of a
per-session seed and the row, so it is stable across Streamlit reruns (the UI keeps the seed in
session state) yet differs between rows and between raters. Once the rater has rated every
answer in a row, the row is revealed: the true model names are shown, in the same order.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def new_seed() -> str:
    """A fresh per-session seed (kept by the UI in session state)."""
    return secrets.token_hex(8)


def _rng(seed: str, row_key: object) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x1f{row_key}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def shuffled(seed: str, row_key: object, items: Sequence[T]) -> list[T]:
    """``items`` in an order that depends only on ``seed`` and ``row_key``."""
    order = list(items)
    _rng(seed, row_key).shuffle(order)
    return order


def hidden_name(position: int) -> str:
    """ "Answer A", "Answer B", ... "Answer Z", "Answer 27", ..."""
    letter = string.ascii_uppercase[position] if position < 26 else str(position + 1)
    return f"Answer {letter}"


@dataclass(frozen=True)
class BlindCell:
    """One answer in a blind row: what to show now, and the truth behind it."""

    output_id: int
    position: int
    hidden: str  # "Answer A"
    model: str  # the true model label
    revealed: bool

    @property
    def shown(self) -> str:
        return self.model if self.revealed else self.hidden


def blind_row(
    seed: str,
    row_key: object,
    outputs: Sequence[tuple[int, str]],
    rated: set[int] | frozenset[int],
) -> list[BlindCell]:
    """Cells for one row of ``(output_id, model_label)``, shuffled, revealed once all are rated."""
    revealed = bool(outputs) and all(output_id in rated for output_id, _ in outputs)
    order = shuffled(seed, row_key, sorted(outputs))
    return [
        BlindCell(output_id=output_id, position=i, hidden=hidden_name(i), model=model, revealed=revealed)
        for i, (output_id, model) in enumerate(order)
    ]
