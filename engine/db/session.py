"""A database session for one seedctl run: connection, tenant lock and reconnects.

Owns the one connection a run writes through. After a lost connection it opens a
new one and retakes the tenant lock before the caller retries, because the lock
went away with the old session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa
from seedctl.engine.db.locking import acquire_tenant_lock

__all__ = ["RunSession"]


class RunSession:
    """One SQLAlchemy connection plus the tenant lock, re-established on demand."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        tenant: str,
        application_name: str,
        lock_timeout_ms: int | None = None,
    ) -> None:
        self.engine = engine
        self.tenant = tenant
        self.application_name = application_name
        self.lock_timeout_ms = lock_timeout_ms
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
        """Another connection for the same run, without the lock (the run holds it here)."""
        return RunSession(
            self.engine,
            tenant=self.tenant,
            application_name=self.application_name,
            lock_timeout_ms=self.lock_timeout_ms,
        )

    def lock(self, *, wait: bool, timeout_s: float | None = None) -> None:
        acquire_tenant_lock(self.conn, self.tenant, wait=wait, timeout_s=timeout_s)
        self._locked = True

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
