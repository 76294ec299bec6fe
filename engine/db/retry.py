"""Retry transient PostgreSQL failures with bounded exponential backoff and full jitter.

Transient means: deadlock (40P01), serialization failure (40001), lock not
available or lock timeout (55P03), the server going away (admin shutdown 57P01,
crash shutdown 57P02, cannot connect now 57P03) and any lost connection (class
08). Anything else is a real error and propagates at once. The caller supplies
``on_retry`` to repair state (e.g. reconnect and retake the lock) before the next
attempt; the operation itself must be idempotent, which every batch is because
it skips commands the ledger already holds.
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

__all__ = ["RetryPolicy", "is_transient", "with_retry"]

T = TypeVar("T")
log = structlog.get_logger("seedctl.retry")

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03", "57P01", "57P02", "57P03"})


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, and the backoff between them (seconds)."""

    attempts: int = 6
    base_delay: float = 0.1
    max_delay: float = 5.0

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
) -> T:
    """Run ``operation``; on a transient error wait, call ``on_retry`` and try again."""
    for attempt in range(policy.attempts):
        try:
            return operation()
        except (sa.exc.DBAPIError, psycopg.Error) as e:
            if not is_transient(e) or attempt == policy.attempts - 1:
                raise
            pause = policy.delay(attempt)
            driver = _driver_error(e)
            log.warning(
                "transient_error_retry",
                what=what,
                attempt=attempt + 1,
                sqlstate=getattr(driver, "sqlstate", None),
                error=" ".join(str(driver).split())[:200],
                sleep_s=round(pause, 3),
            )
            sleep(pause)
            if on_retry is not None:
                on_retry(e)
    raise AssertionError("unreachable: the last attempt either returns or raises")
