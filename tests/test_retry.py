"""Retry of transient errors, with the errors produced by a real server, not constructed."""

from __future__ import annotations

import threading

import psycopg
import pytest
from seedctl.engine.db import RetryPolicy, is_transient, translate_driver_error, with_retry
from seedctl.ledger import ContentionError, DatabaseUnavailableError


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


def test_a_failing_reconnect_is_one_more_attempt_inside_the_window() -> None:
    """on_retry failing transiently (a real refused connection: the server still down) is
    retried inside the window, not raised; the operation runs again once it succeeds."""
    with pytest.raises(psycopg.OperationalError) as down:
        psycopg.connect("host=127.0.0.1 port=1 connect_timeout=5")
    assert is_transient(down.value)
    calls: list[str] = []

    def operation() -> str:
        calls.append("op")
        if len(calls) == 1:
            raise down.value
        return "done"

    def reconnect(_error: BaseException) -> None:
        calls.append("reconnect")
        if calls.count("reconnect") < 3:
            raise down.value

    policy = RetryPolicy(base_delay=0, window=60)
    pauses: list[float] = []
    result = with_retry(operation, policy=policy, what="t", on_retry=reconnect, sleep=pauses.append)
    assert result == "done"
    assert calls == ["op", "reconnect", "reconnect", "reconnect", "op"]
    assert len(pauses) == 3


def test_the_window_bounds_the_retries(database_url: str) -> None:
    """With no attempt limit, a transient error is raised once the window has passed."""
    error = _deadlock(database_url)
    now = [0.0]

    def operation() -> None:
        now[0] += 1.0
        raise error

    with pytest.raises(psycopg.errors.DeadlockDetected):
        with_retry(
            operation,
            policy=RetryPolicy(base_delay=0, window=5),
            what="t",
            sleep=lambda _: None,
            clock=lambda: now[0],
        )
    assert now[0] == 6  # first failure at 1, the window ends at 6


def test_exhausted_contention_is_exit_6_and_a_lost_server_exit_4(database_url: str) -> None:
    """Real deadlock and serialization errors translate to ContentionError, a lost
    connection to DatabaseUnavailableError, each naming the step and the window."""
    for error in (_deadlock(database_url), _serialization_failure(database_url)):
        translated = translate_driver_error(error, doing="apply: batch users", retry_window=3)
        assert isinstance(translated, ContentionError)
        assert translated.exit_code == 6
        assert str(translated).startswith("apply: batch users: ")
        assert "for 3s (--retry-for), so seedctl gave up" in str(translated)
    lost = translate_driver_error(
        psycopg.OperationalError("server closed the connection unexpectedly"),
        doing="revert delete",
        retry_window=30,
    )
    assert isinstance(lost, DatabaseUnavailableError)
    assert lost.exit_code == 4
    assert str(lost).startswith(
        "revert delete: lost the connection to the server and could not get it back for 30s"
    )
