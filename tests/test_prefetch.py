"""prefetch: a background producer that keeps order, reports errors and stops when asked."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from seedctl.engine.apply.prefetch import prefetch


def test_items_arrive_in_order_and_the_switch_interval_is_restored() -> None:
    before = sys.getswitchinterval()
    assert list(prefetch(range(1000), depth=3)) == list(range(1000))
    assert sys.getswitchinterval() == before


def test_a_producer_error_is_raised_at_its_item() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("line 3 is torn")

    seen = []
    with pytest.raises(ValueError, match="line 3 is torn"):
        for item in prefetch(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_leaving_early_stops_the_producer_and_closes_its_source() -> None:
    closed = threading.Event()
    produced = []

    def source() -> Iterator[int]:
        try:
            for i in range(10_000):
                produced.append(i)
                yield i
        finally:
            closed.set()

    items = prefetch(source(), depth=2)
    for item in items:
        if item == 5:
            break
    items.close()  # what a for loop's exception or a garbage collection does
    assert closed.wait(5)
    assert len(produced) < 20  # bounded read-ahead, not the whole source
    assert not [t for t in threading.enumerate() if t.name == "seedctl-prefetch"]


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(prefetch([1], depth=0))
