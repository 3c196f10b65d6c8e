"""Export plumbing: reading ahead on a worker thread hands over every item in order, passes
errors on, and stops its worker (which releases what it holds) when the reader stops early."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from workbench.exports.files import read_ahead


def test_items_arrive_in_order_from_another_thread() -> None:
    made_on: set[str] = set()

    def produce() -> Iterator[int]:
        for n in range(50):
            made_on.add(threading.current_thread().name)
            yield n

    assert list(read_ahead(produce, depth=2)) == list(range(50))
    assert made_on == {"export-read-ahead"}


def test_an_error_while_reading_reaches_the_reader() -> None:
    def produce() -> Iterator[int]:
        yield 1
        raise ValueError("the database went away")

    items = read_ahead(produce)
    assert next(items) == 1
    with pytest.raises(ValueError, match="went away"):
        next(items)


def test_stopping_early_stops_the_worker_and_releases_what_it_holds() -> None:
    released = threading.Event()

    def produce() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            released.set()

    items = read_ahead(produce, depth=1)
    assert [next(items), next(items)] == [0, 1]
    items.close()  # what a failed write or a closed download does
    assert released.is_set()
    assert not any(t.name == "export-read-ahead" for t in threading.enumerate())
