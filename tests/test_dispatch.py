"""The dispatcher: which batches may be written at once, and how errors come back."""

from __future__ import annotations

import threading
import time

import pytest
from seedctl.engine.apply.dispatch import Dispatcher
from seedctl.engine.pending import Batch, PendingCommand
from seedctl.ledger import Command


def batch(table: str, *ids: str) -> Batch:
    made = Batch(entity=table, table=table, columns=("id",), conflict=("id",), insert_only=())
    for seq, row_id in enumerate(ids):
        command = Command(
            op="upsert",
            entity=table,
            table=table,
            id=row_id,
            key=row_id,
            values={"id": row_id},
            conflict=("id",),
        )
        made.items.append(PendingCommand(seq, f"h{row_id}", command))
    return made


class Recorder:
    """A write function that records which batches ran at the same time."""

    def __init__(self, hold_s: float = 0.05) -> None:
        self.hold_s = hold_s
        self.lock = threading.Lock()
        self.running: set[str] = set()
        self.overlaps: list[tuple[str, ...]] = []
        self.done: list[str] = []
        self.done_threads: set[str] = set()

    def write(self, session: str, b: Batch, payload: str) -> str:
        with self.lock:
            if self.running:
                self.overlaps.append(tuple(sorted({*self.running, payload})))
            self.running.add(payload)
        time.sleep(self.hold_s)
        with self.lock:
            self.running.discard(payload)
        return payload

    def finished(self, b: Batch, result: str) -> None:
        self.done.append(result)
        self.done_threads.add(threading.current_thread().name)


def run(batches: list[tuple[Batch, str]], recorder: Recorder, **kw: object) -> None:
    dispatcher: Dispatcher[str, str, str] = Dispatcher(
        ["s1", "s2"],
        recorder.write,
        recorder.finished,
        **kw,  # type: ignore[arg-type]
    )
    try:
        for b, name in batches:
            dispatcher.submit(b, name)
        dispatcher.drain()
    finally:
        dispatcher.close()


def test_batches_of_one_table_with_disjoint_rows_run_two_at_a_time() -> None:
    recorder = Recorder()
    run(
        [(batch("t", "a"), "1"), (batch("t", "b"), "2"), (batch("t", "c"), "3")],
        recorder,
        self_referencing=(),
    )
    assert recorder.overlaps  # at least one pair ran together
    assert sorted(recorder.done) == ["1", "2", "3"]
    assert recorder.done_threads == {threading.current_thread().name}


def test_another_table_waits_for_every_batch_in_flight() -> None:
    recorder = Recorder()
    run(
        [(batch("parent", "a"), "p1"), (batch("parent", "b"), "p2"), (batch("child", "c"), "c1")],
        recorder,
        self_referencing=(),
    )
    assert all("c1" not in pair for pair in recorder.overlaps)


def test_the_same_row_twice_or_a_self_referencing_table_runs_one_at_a_time() -> None:
    recorder = Recorder()
    run([(batch("t", "a", "b"), "1"), (batch("t", "b"), "2")], recorder, self_referencing=())
    run(
        [(batch("people", "a"), "3"), (batch("people", "b"), "4")],
        recorder,
        self_referencing={"people"},
    )
    assert recorder.overlaps == []
    assert recorder.done == ["1", "2", "3", "4"]


def test_the_first_error_is_raised_after_the_batches_in_flight_finish() -> None:
    recorder = Recorder(hold_s=0.2)

    def write(session: str, b: Batch, payload: str) -> str:
        if payload == "bad":
            raise RuntimeError("batch refused")
        return recorder.write(session, b, payload)

    dispatcher: Dispatcher[str, str, str] = Dispatcher(
        ["s1", "s2"], write, recorder.finished, self_referencing=()
    )
    with pytest.raises(RuntimeError, match="batch refused"):
        try:
            dispatcher.submit(batch("t", "a"), "slow")
            dispatcher.submit(batch("t", "b"), "bad")
            dispatcher.submit(batch("t", "c"), "never")
            dispatcher.drain()
        finally:
            dispatcher.close()
    assert recorder.done == ["slow"]  # committed beside the failure, so counted


def test_at_least_one_session() -> None:
    with pytest.raises(ValueError, match="session"):
        Dispatcher([], lambda s, b, p: p, lambda b, r: None, self_referencing=())
