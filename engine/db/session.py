"""A database session for one seedctl run: connection, tenant lock and reconnects.

Owns the one connection a run writes through. After a lost connection it opens a
new one and retakes the tenant lock before the caller retries, because the lock
went away with the old session. :meth:`RunSession.retrying` is how a run does any
step that talks to the server: a restart in the middle of it is retried for the
policy's window, and giving up is one seedctl error, never a driver traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg
import sqlalchemy as sa
from seedctl.engine.db.errors import translate_driver_error
from seedctl.engine.db.locking import acquire_tenant_lock
from seedctl.engine.db.retry import RetryPolicy, with_retry

__all__ = ["SIBLING_LOCK_TIMEOUT_MS", "RunSession"]

T = TypeVar("T")

SIBLING_LOCK_TIMEOUT_MS = 2000
"""A writer beside the run's own session gives up a row lock wait after this long
(unless ``--lock-timeout`` says otherwise) and is retried: the run's session waits
for it in the client, where PostgreSQL's deadlock detector cannot see the wait, so
a session holding one of our rows while it queues for the tenant lock would
otherwise hang the run for ever."""


class RunSession:
    """One SQLAlchemy connection plus the tenant lock, re-established on demand."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        tenant: str,
        application_name: str,
        lock_timeout_ms: int | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.tenant = tenant
        self.application_name = application_name
        self.lock_timeout_ms = lock_timeout_ms
        self.policy = policy or RetryPolicy()
        self.staged: set[str] = set()
        self._locked = False
        self.conn = self._open()

    def _open(self) -> sa.Connection:
        conn = self.engine.connect()
        # Both values are ours (a fixed name, an int), never user text.
        conn.exec_driver_sql(f"SET application_name = '{self.application_name}'")
        if self.lock_timeout_ms is not None:
            conn.exec_driver_sql(f"SET lock_timeout = {int(self.lock_timeout_ms)}")
        conn.commit()
        return conn

    @property
    def raw(self) -> psycopg.Connection[tuple[object, ...]]:
        """The psycopg connection under SQLAlchemy's, for COPY."""
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        return driver

    def sibling(self) -> RunSession:
        """Another connection for the same run, without the lock (the run holds it here).

        Its row lock waits are bounded (:data:`SIBLING_LOCK_TIMEOUT_MS`), so no wait of
        it can outlast the retry window unseen.
        """
        return RunSession(
            self.engine,
            tenant=self.tenant,
            application_name=self.application_name,
            lock_timeout_ms=self.lock_timeout_ms or SIBLING_LOCK_TIMEOUT_MS,
            policy=self.policy,
        )

    def lock(self, *, wait: bool, timeout_s: float | None = None) -> None:
        """Take the tenant lock on this session (retried across a restart); ``timeout_s``
        bounds a wait behind another run."""

        def take() -> None:
            acquire_tenant_lock(self.conn, self.tenant, wait=wait, timeout_s=timeout_s)

        self.retrying(take, what="tenant lock")
        self._locked = True

    def retrying(self, step: Callable[[], T], *, what: str) -> T:
        """Run ``step`` (idempotent), reconnecting and retrying transient failures for the
        policy's window; a driver error that remains is raised as a seedctl error."""
        try:
            return with_retry(step, policy=self.policy, what=what, on_retry=self.reconnect)
        except (sa.exc.DBAPIError, psycopg.Error) as e:
            translated = translate_driver_error(e, doing=what, retry_window=self.policy.window)
            if translated is None:
                raise
            raise translated from e

    def in_transaction(self, step: Callable[[sa.Connection], T], *, what: str) -> T:
        """:meth:`retrying` of ``step(conn)`` in one transaction of the run's connection."""

        def once() -> T:
            with self.transaction() as conn:
                return step(conn)

        return self.retrying(once, what=what)

    def reconnect(self, _error: BaseException | None = None) -> None:
        """Drop the (possibly dead) connection, open a new one, retake the lock."""
        # It is probably gone already; that is why we are here.
        with contextlib.suppress(sa.exc.SQLAlchemyError, psycopg.Error):
            self.conn.invalidate()
            self.conn.close()
        self.staged.clear()  # temp tables died with the old session
        self.conn = self._open()
        if self._locked:
            acquire_tenant_lock(self.conn, self.tenant, wait=True)

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A transaction on the run's connection; commits on success, rolls back on error."""
        if self.conn.in_transaction():
            self.conn.rollback()
        with self.conn.begin():
            yield self.conn

    def close(self) -> None:
        with contextlib.suppress(sa.exc.SQLAlchemyError, psycopg.Error):
            self.conn.close()
