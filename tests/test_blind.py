"""Blind mode: a per-row shuffle that is stable for a session, and names revealed once rated."""

from __future__ import annotations

from workbench.judging import blind


def test_the_shuffle_is_a_stable_permutation_per_seed_and_row() -> None:
    items = ["m1", "m2", "m3", "m4"]
    first = blind.shuffled("seed", 7, items)
    assert sorted(first) == items
    assert blind.shuffled("seed", 7, items) == first  # a rerun keeps the order
    rows = {tuple(blind.shuffled("seed", row, items)) for row in range(40)}
    assert len(rows) > 5, "rows must not all share one order"
    sessions = {tuple(blind.shuffled(f"s{n}", 7, items)) for n in range(40)}
    assert len(sessions) > 5, "another session must get another order"


def test_every_model_leads_some_rows() -> None:
    firsts = {blind.shuffled("seed", row, ["a", "b", "c"])[0] for row in range(60)}
    assert firsts == {"a", "b", "c"}


def test_a_row_is_hidden_until_every_answer_in_it_is_rated() -> None:
    outputs = [(11, "OpenAI · gpt-4o"), (12, "Anthropic · claude"), (13, "Local · fake-large")]
    hidden = blind.blind_row("seed", 3, outputs, rated={11, 12})
    assert [c.shown for c in hidden] == ["Answer A", "Answer B", "Answer C"]
    assert not any(c.revealed for c in hidden)
    shown = blind.blind_row("seed", 3, outputs, rated={11, 12, 13})
    assert [c.output_id for c in shown] == [c.output_id for c in hidden], "revealing keeps the order"
    assert [c.shown for c in shown] == [dict(outputs)[c.output_id] for c in shown]


def test_the_row_order_does_not_depend_on_the_input_order() -> None:
    outputs = [(1, "x"), (2, "y"), (3, "z")]
    a = [c.output_id for c in blind.blind_row("s", "row", outputs, rated=set())]
    b = [c.output_id for c in blind.blind_row("s", "row", list(reversed(outputs)), rated=set())]
    assert a == b


def test_hidden_names_and_fresh_seeds() -> None:
    assert blind.hidden_name(0) == "Answer A" and blind.hidden_name(25) == "Answer Z"
    assert blind.hidden_name(26) == "Answer 27"
    assert blind.new_seed() != blind.new_seed()
