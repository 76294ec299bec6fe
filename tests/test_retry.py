"""Retry of transient errors, with the errors produced by a real server, not constructed."""

from __future__ import annotations

import threading

import psycopg
import pytest
from seedctl.engine.db import RetryPolicy, is_transient, with_retry


def _deadlock(url: str) -> psycopg.Error:
    """Make PostgreSQL detect a real deadlock between two sessions; return the victim's error."""
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute("CREATE TABLE pair (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO pair VALUES (1, 0), (2, 0)")
    first, second = psycopg.connect(url), psycopg.connect(url)
    errors: list[psycopg.Error] = []
    barrier = threading.Barrier(2)

    def cross(conn: psycopg.Connection[tuple[object, ...]], a: int, b: int) -> None:
        try:
            conn.execute("SET deadlock_timeout = '50ms'")
            conn.execute("UPDATE pair SET n = n + 1 WHERE id = %s", (a,))
            barrier.wait()
            conn.execute("UPDATE pair SET n = n + 1 WHERE id = %s", (b,))
            conn.commit()
        except psycopg.Error as e:
            errors.append(e)
            conn.rollback()

    threads = [
        threading.Thread(target=cross, args=(first, 1, 2)),
        threading.Thread(target=cross, args=(second, 2, 1)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    first.close()
    second.close()
    assert len(errors) == 1
    return errors[0]


def _serialization_failure(url: str) -> psycopg.Error:
    """Two SERIALIZABLE transactions that read each other's writes: one must fail (40001)."""
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute("CREATE TABLE ledger_demo (k int PRIMARY KEY, v int)")
        setup.execute("INSERT INTO ledger_demo VALUES (1, 0), (2, 0)")
    a, b = psycopg.connect(url), psycopg.connect(url)
    for conn in (a, b):
        conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
    a.execute("SELECT sum(v) FROM ledger_demo")
    b.execute("SELECT sum(v) FROM ledger_demo")
    a.execute("UPDATE ledger_demo SET v = v + 1 WHERE k = 1")
    b.execute("UPDATE ledger_demo SET v = v + 1 WHERE k = 2")
    a.commit()
    with pytest.raises(psycopg.Error) as caught:
        b.commit()
    a.close()
    b.close()
    return caught.value


def test_a_real_deadlock_is_transient(database_url: str) -> None:
    """40P01 from a real deadlock counts as transient."""
    error = _deadlock(database_url)
    assert error.sqlstate == "40P01"
    assert is_transient(error)


def test_a_real_serialization_failure_is_transient(database_url: str) -> None:
    """40001 from real SERIALIZABLE transactions counts as transient."""
    error = _serialization_failure(database_url)
    assert error.sqlstate == "40001"
    assert is_transient(error)


def test_a_real_constraint_violation_is_not_transient(database_url: str) -> None:
    """A unique violation is a real error: no retry."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE once (id int PRIMARY KEY)")
        conn.execute("INSERT INTO once VALUES (1)")
        with pytest.raises(psycopg.errors.UniqueViolation) as caught:
            conn.execute("INSERT INTO once VALUES (1)")
    assert not is_transient(caught.value)


def test_with_retry_backs_off_and_succeeds_after_a_real_deadlock(database_url: str) -> None:
    """The operation is retried after the deadlock, with a bounded, growing pause."""
    error = _deadlock(database_url)
    pauses: list[float] = []
    attempts: list[int] = []

    def operation() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise error
        return "done"

    policy = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.04)
    assert with_retry(operation, policy=policy, what="test", sleep=pauses.append) == "done"
    assert len(attempts) == 3
    assert len(pauses) == 2
    assert all(0 <= p <= 0.04 for p in pauses)


def test_with_retry_gives_up_after_the_last_attempt(database_url: str) -> None:
    """A transient error that never clears is raised after policy.attempts tries."""
    error = _deadlock(database_url)
    attempts: list[int] = []

    def operation() -> None:
        attempts.append(1)
        raise error

    with pytest.raises(psycopg.errors.DeadlockDetected):
        with_retry(
            operation, policy=RetryPolicy(attempts=3, base_delay=0), what="t", sleep=lambda _: None
        )
    assert len(attempts) == 3
