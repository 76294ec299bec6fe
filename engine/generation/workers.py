"""Encode a scenario's commands in worker processes; the parent chains them in order.

Building and encoding a command (its values, ids, draws, canonical JSON, SHA-256) is
most of what a log line costs, and it needs nothing from the lines before it: only
the hash chain does. So for a :class:`~seedctl.engine.scenarios.base.PartedScenario`, worker
``w`` of ``n`` encodes parts ``w``, ``w + n``, ... into
:class:`~seedctl.ledger.logencode.EncodedBatch` es and hands them over through shared
memory (:class:`_Channel`); the parent takes the parts back strictly in order, and
:func:`seedctl.ledger.logwrite.append_encoded` dedupes, chains and writes them. The log's
bytes are those of one process, whatever the worker count.

Workers are forked: they inherit the scenario (also one registered at run time) and
every import, and a part travels as its index alone.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing as mp
import os
import pickle
import queue as queue_module
import traceback
from collections.abc import Callable, Generator, Iterator, Sequence
from functools import partial
from multiprocessing.context import ForkContext
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Final, NamedTuple

from seedctl.engine.scenarios import (
    PartedScenario,
    Scenario,
    ScenarioParams,
    encodes_parts,
    has_parts,
)
from seedctl.ledger import Command, SeedctlError
from seedctl.ledger.logencode import EncodedBatch, encode_batches

__all__ = ["WorkerBatches", "encoded_in_workers", "encoded_parts", "worker_count"]

_SLOTS: Final = 48
"""How far a worker may run ahead, in batches (about 35 MB): roughly one part, so the
next part is ready when the parent finishes the current one, yet memory stays bounded."""
_SLOT_BYTES: Final = 2 << 20
"""Room for a batch: 1024 okr-demo lines take about 0.75 MB. A larger batch goes
through the queue itself, pickled."""
_POLL_S: Final = 1.0
_GC_YOUNG: Final = 50_000
_MIN_PARTS: Final = 4
"""Fewer parts than this (okr-demo below scale 17) are not worth starting processes for."""


class _Failure:
    """A worker's exception, sent in place of the rest of its part."""

    def __init__(self, error: BaseException) -> None:
        text = "".join(traceback.format_exception(error))
        try:
            pickle.dumps(error)
        except Exception:  # an unpicklable exception still reaches the parent, as text
            error = RuntimeError(f"{type(error).__name__}: {error}")
        error.add_note(f"in a generate worker process:\n{text}")
        self.error = error


class _InSlot(NamedTuple):
    """A batch left in slot ``slot`` of the channel's memory: its four parts' lengths."""

    slot: int
    lengths: tuple[int, int, int, int]


_Item = _InSlot | EncodedBatch | _Failure | None  # None ends a part


class _Channel:
    """One worker's batches to the parent: shared memory slots, and a queue naming them.

    A batch pickled through a queue's pipe cost the parent about as much as chaining
    it (three copies and a dozen reads a megabyte, and the worker a feeder thread's
    time); written into a shared slot it is read back with one copy, and the queue
    carries only the slot and the lengths. The worker fills the slots in turn and
    the parent empties them in the same order, so a semaphore counting the free
    ones is all the bookkeeping. Made before the fork; the worker inherits it.
    """

    def __init__(self, context: ForkContext) -> None:
        self.queue: Queue[_Item] = context.Queue(_SLOTS)
        self.memory = mmap.mmap(-1, _SLOTS * _SLOT_BYTES)  # shared with the forked worker
        self.free = context.Semaphore(_SLOTS)
        self.next_slot = 0  # the worker's

    def send(self, item: _Item, parent: int) -> None:
        """In the worker: hand ``item`` on, a batch through the next free slot; exit if
        the parent is gone (killed -9), rather than wait for ever for a slot."""
        if isinstance(item, EncodedBatch) and sum(map(len, item)) <= _SLOT_BYTES:
            while not self.free.acquire(timeout=_POLL_S):
                if os.getppid() != parent:
                    os._exit(1)
            at = self.next_slot * _SLOT_BYTES
            for part in item:
                self.memory[at : at + len(part)] = part
                at += len(part)
            digests, heads, tails, rows = map(len, item)
            item = _InSlot(self.next_slot, (digests, heads, tails, rows))
            self.next_slot = (self.next_slot + 1) % _SLOTS
        while True:
            try:
                self.queue.put(item, timeout=_POLL_S)
                return
            except queue_module.Full:
                if os.getppid() != parent:
                    os._exit(1)

    def receive(self, worker: BaseProcess) -> EncodedBatch | _Failure | None:
        """In the parent: the worker's next item; an error rather than a hang if it died
        without one."""
        item = self._next(worker)
        if not isinstance(item, _InSlot):
            return item
        start = at = item.slot * _SLOT_BYTES
        parts = []
        for length in item.lengths:
            parts.append(self.memory[at : at + length])
            at += length
        # Read once: drop the pages from this process's map (the worker's stay), so
        # the parent's resident memory does not grow by every slot it ever read.
        self.memory.madvise(mmap.MADV_DONTNEED, start, _SLOT_BYTES)
        self.free.release()
        return EncodedBatch(*parts)

    def _next(self, worker: BaseProcess) -> _Item:
        while True:
            try:
                return self.queue.get(timeout=_POLL_S)
            except queue_module.Empty:
                if not worker.is_alive():
                    try:
                        return self.queue.get(timeout=_POLL_S)  # sent just before it exited
                    except queue_module.Empty:
                        raise SeedctlError(
                            f"a generate worker process died (exit code {worker.exitcode}); "
                            "the log holds every line before its part"
                        ) from None

    def close(self) -> None:
        self.queue.close()
        self.memory.close()


def worker_count(scenario: Scenario, params: ScenarioParams) -> int:
    """Processes worth using for ``scenario`` at ``params``; 0 means encode in this process."""
    if not has_parts(scenario) or "fork" not in mp.get_all_start_methods():
        return 0
    parts = len(scenario.parts(params))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if parts < _MIN_PARTS or (cpus or 1) < 2:
        return 0
    return min(cpus or 1, parts)


def _work(
    scenario: PartedScenario,
    params: ScenarioParams,
    first: int,
    step: int,
    out: _Channel,
) -> None:
    """Worker body: encode every ``step``-th part from ``first``, each followed by None."""
    # The inherited heap is never garbage here: keep the collector off it. And collect
    # the young generation less often: a command's objects die young, by refcount.
    gc.freeze()
    gc.set_threshold(_GC_YOUNG, *gc.get_threshold()[1:])
    parent = os.getppid()
    try:
        parts = encoded_parts(scenario, params)
        for index in range(first, len(parts), step):
            for batch in parts[index]():
                out.send(batch, parent)
            out.send(None, parent)
    except Exception as e:  # handed to the parent, which raises it after the lines before it
        out.send(_Failure(e), parent)


def encoded_parts(
    scenario: PartedScenario, params: ScenarioParams
) -> Sequence[Callable[[], Iterator[EncodedBatch]]]:
    """The scenario's parts encoded for the log: by the scenario itself if it can."""
    if encodes_parts(scenario):
        return scenario.encoded_parts(params)
    return [partial(_encode_part, part) for part in scenario.parts(params)]


def _encode_part(part: Callable[[], Iterator[Command]]) -> Iterator[EncodedBatch]:
    return encode_batches(part())


class WorkerBatches(Iterator[EncodedBatch]):
    """A scenario's commands encoded by worker processes, in stream order.

    The processes start when this is made, not on the first ``next()``: an append
    reads the existing log first, and workers forked after that would inherit its
    history (hundreds of MB at a million rows) and could not start on their parts
    while it is read. Close
    it (``contextlib.closing``) to stop them, also if no batch was ever taken; it
    closes itself when exhausted.
    """

    def __init__(self, scenario: PartedScenario, params: ScenarioParams, workers: int) -> None:
        context = mp.get_context("fork")
        self._channels = [_Channel(context) for _ in range(workers)]
        self._processes = [
            context.Process(target=_work, args=(scenario, params, w, workers, channel), daemon=True)
            for w, channel in enumerate(self._channels)
        ]
        for process in self._processes:
            process.start()
        self._batches = self._collect(len(scenario.parts(params)))

    def __next__(self) -> EncodedBatch:
        return next(self._batches)

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        self._batches.close()
        self._stop()

    def _stop(self) -> None:
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()
        for channel in self._channels:
            channel.close()
        self._processes, self._channels = [], []

    def _collect(self, count: int) -> Generator[EncodedBatch, None, None]:
        try:
            for index in range(count):
                channel = self._channels[index % len(self._channels)]
                worker = self._processes[index % len(self._processes)]
                while (item := channel.receive(worker)) is not None:
                    if isinstance(item, _Failure):
                        raise item.error
                    yield item
        finally:
            self._stop()


def encoded_in_workers(
    scenario: PartedScenario, params: ScenarioParams, workers: int
) -> WorkerBatches:
    """The scenario's commands encoded by ``workers`` processes, started now."""
    return WorkerBatches(scenario, params, workers)
