"""Run a producer a few items ahead in a background thread.

Apply alternates between the client (reading the log, planning batches, encoding
rows) and the server (writing them). psycopg waits for the server without the
GIL, so a thread that prepares the next batches meanwhile overlaps the two and
uses the second core. The queue is bounded: memory stays a few batches deep.

While the producer runs, the interpreter's switch interval is cut from 5 ms to
0.5 ms: otherwise, each time the server answers, the consumer waits up to 5 ms for
the busy producer to hand back the GIL, several times per batch (measured: the
COPY step took 40 % longer).
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")

SWITCH_INTERVAL_S = 0.0005

_END = object()


class _Raised:
    """An exception from the producer, to be raised again in the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], *, depth: int = 4) -> Iterator[T]:
    """Yield ``items`` in order, produced by a background thread up to ``depth`` ahead.

    An exception in the producer is raised here, at the item where it happened.
    Leaving the loop early (break, exception, close) stops the producer.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        source = iter(items)
        try:
            for item in source:
                if stop.is_set():
                    return
                buffer.put(item)
            buffer.put(_END)
        except BaseException as error:  # handed to the consumer, who decides
            buffer.put(_Raised(error))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="seedctl-prefetch", daemon=True)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, SWITCH_INTERVAL_S))
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while worker.is_alive():
            # Unblock a producer waiting on a full queue so that it sees the stop.
            with contextlib.suppress(queue.Empty):
                buffer.get(timeout=0.05)
        worker.join()
        sys.setswitchinterval(switch_interval)
