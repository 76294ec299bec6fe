"""Retry transient PostgreSQL failures with bounded exponential backoff and full jitter.

Transient means: deadlock (40P01), serialization failure (40001), lock not
available or lock timeout (55P03), the server going away (admin shutdown 57P01,
crash shutdown 57P02, cannot connect now 57P03) and any lost connection (class
08). Anything else is a real error and propagates at once. The caller supplies
``on_retry`` to repair state (e.g. reconnect and retake the lock) before the next
attempt; the operation itself must be idempotent, which every batch is because
it skips commands the ledger already holds.

Retries are bounded by time, not only by count: a server restart takes seconds,
and a fast or immediate restart must look like a pause, not a failure. The window
(``--retry-for``) starts at the first failure of one operation. A repair that
fails with a transient error (the server is still down) is one more failed
attempt inside the window, never an escape.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import psycopg
import sqlalchemy as sa
import structlog

__all__ = ["DEFAULT_RETRY_WINDOW", "RetryPolicy", "is_transient", "with_retry"]

T = TypeVar("T")
log = structlog.get_logger("seedctl.retry")

DEFAULT_RETRY_WINDOW = 30.0
"""Seconds one operation keeps retrying: outlasts a restart of a busy server."""

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57P01", "57P02", "57P03"})


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry, and the backoff between attempts (seconds).

    ``window`` bounds the time from an operation's first failure to giving up;
    ``attempts``, when set, bounds the number of tries as well.
    """

    attempts: int | None = None
    base_delay: float = 0.1
    max_delay: float = 2.0
    window: float = DEFAULT_RETRY_WINDOW

    def delay(self, attempt: int) -> float:
        # Full jitter (AWS architecture blog): spreads competing retriers apart.
        # The jitter never reaches a hash, so the global PRNG is fine here.
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(0, ceiling)  # noqa: S311


def _driver_error(error: BaseException) -> BaseException:
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def is_transient(error: BaseException) -> bool:
    """Whether retrying the same idempotent work may succeed."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    error = _driver_error(error)
    if not isinstance(error, psycopg.Error):
        return False
    sqlstate = error.sqlstate or ""
    if sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08"):
        return True
    # A dropped socket surfaces as OperationalError with no SQLSTATE at all.
    return isinstance(error, psycopg.OperationalError) and not sqlstate


def with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    what: str,
    on_retry: Callable[[BaseException], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``operation``; on a transient error wait, call ``on_retry`` and try again.

    Raises the last error once it is not transient, the attempts are used up or
    ``policy.window`` seconds have passed since the first failure.
    """
    attempt = 0
    deadline: float | None = None
    failed: BaseException | None = None
    while True:
        try:
            if failed is not None and on_retry is not None:
                # Inside the try: a reconnect to a server still restarting is one
                # more transient failure, not the end of the run.
                on_retry(failed)
            return operation()
        except (sa.exc.DBAPIError, psycopg.Error) as e:
            attempt += 1
            now = clock()
            if deadline is None:
                deadline = now + policy.window
            remaining = deadline - now
            out_of_attempts = policy.attempts is not None and attempt >= policy.attempts
            if not is_transient(e) or out_of_attempts or remaining <= 0:
                raise
            pause = min(policy.delay(attempt - 1), remaining)
            driver = _driver_error(e)
            log.warning(
                "transient_error_retry",
                what=what,
                attempt=attempt,
                sqlstate=getattr(driver, "sqlstate", None),
                error=" ".join(str(driver).split())[:200],
                sleep_s=round(pause, 3),
            )
            sleep(pause)
            failed = e
