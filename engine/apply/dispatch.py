"""Writes batches on a few connections at once, only where that cannot change the result.

One connection keeps one server process busy, one core. Each batch is its own
transaction with its own ledger rows, so two batches may commit in either order
as long as neither can see or block the other's rows. That holds for consecutive
batches of one table that

- touch disjoint row ids (a later command for the same row must land after the
  earlier one, so an appended log's update never loses to the insert before it), and
- belong to a table without a foreign key to itself (a manager must be committed
  before the people who report to them), and
- are not deletes (children must be gone before their parents).

Every other batch waits until all batches in flight have committed: a table's rows
are all in before the next table's batches start, so log order, which puts parents
before children, still orders every write that depends on another. Revert's
newest-first order (``applied_at``, ``seq``) keeps that order too.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from seedctl.engine.pending import Batch

__all__ = ["Dispatcher"]

S = TypeVar("S")
P = TypeVar("P")
R = TypeVar("R")


@dataclass(frozen=True)
class _InFlight(Generic[R]):
    future: Future[R]
    batch: Batch
    ids: frozenset[str]


class Dispatcher(Generic[S, P, R]):
    """Runs ``write(session, batch, payload)`` on up to ``len(sessions)`` threads, each with
    a session of its own; ``done(batch, result)`` runs in the caller's thread.

    The first error stops further submissions: the batches in flight finish (each
    commits or rolls back whole), then the error is raised from :meth:`submit` or
    :meth:`drain`.
    """

    def __init__(
        self,
        sessions: Sequence[S],
        write: Callable[[S, Batch, P], R],
        done: Callable[[Batch, R], None],
        *,
        self_referencing: Collection[str],
    ) -> None:
        if not sessions:
            raise ValueError("need at least one session")
        self._write = write
        self._done = done
        self._self_referencing = frozenset(self_referencing)
        self._free: queue.SimpleQueue[S] = queue.SimpleQueue()
        for session in sessions:
            self._free.put(session)
        self._capacity = len(sessions)
        self._executor = ThreadPoolExecutor(self._capacity, thread_name_prefix="seedctl-writer")
        self._in_flight: list[_InFlight[R]] = []

    def submit(self, batch: Batch, payload: P) -> None:
        """Start ``batch`` as soon as it may run beside the batches in flight."""
        ids = frozenset(item.command.id for item in batch.items)
        if not self._may_join(batch, ids):
            self._collect(everything=True)
        while len(self._in_flight) >= self._capacity:
            self._collect(everything=False)
        future = self._executor.submit(self._run, batch, payload)
        self._in_flight.append(_InFlight(future, batch, ids))

    def drain(self) -> None:
        """Wait for every batch in flight and stop the threads; raise the first error."""
        self._collect(everything=True)
        self.close()

    def close(self) -> None:
        """Wait for the batches in flight, uncounted, and stop the threads (after an error
        in the caller, say). Idempotent."""
        wait([f.future for f in self._in_flight])
        self._in_flight = []
        self._executor.shutdown(wait=True)

    def _may_join(self, batch: Batch, ids: frozenset[str]) -> bool:
        if not self._in_flight:
            return True
        return (batch.op != "delete" and batch.table not in self._self_referencing) and all(
            f.batch.table == batch.table and f.batch.op != "delete" and f.ids.isdisjoint(ids)
            for f in self._in_flight
        )

    def _run(self, batch: Batch, payload: P) -> R:
        session = self._free.get()
        try:
            return self._write(session, batch, payload)
        finally:
            self._free.put(session)

    def _collect(self, *, everything: bool) -> None:
        if not self._in_flight:
            return
        futures = [f.future for f in self._in_flight]
        finished, _ = wait(futures, return_when="ALL_COMPLETED" if everything else FIRST_COMPLETED)
        error: BaseException | None = None
        remaining = []
        for flight in self._in_flight:
            if flight.future not in finished:
                remaining.append(flight)
                continue
            failure = flight.future.exception()
            if failure is not None:
                error = error or failure
            else:
                self._done(flight.batch, flight.future.result())
        self._in_flight = remaining
        if error is not None:
            # The others commit or roll back on their own; count what committed.
            wait([f.future for f in remaining])
            for flight in remaining:
                if flight.future.exception() is None:
                    self._done(flight.batch, flight.future.result())
            self.close()
            raise error
