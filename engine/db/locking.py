"""One session-level advisory lock per tenant, so concurrent runs never interleave.

Session level, not transaction level: the lock spans the whole run across many
batch transactions, and the server drops it the moment the session ends, so a
run killed with SIGKILL never leaves a stuck lock behind.
"""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
import structlog
from seedctl.ledger import LockBusyError
from seedctl.ledger.version import TENANT_LOCK_CLASS

__all__ = ["LOCK_CLASS", "acquire_tenant_lock"]

LOCK_CLASS = TENANT_LOCK_CLASS  # first half of the two-int advisory key: "this is seedctl"
log = structlog.get_logger("seedctl.lock")


def _holder(conn: sa.Connection, tenant: str) -> str:
    row = conn.execute(
        sa.text(
            "SELECT a.pid, a.application_name, a.client_addr::text, a.backend_start "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.classid = :c "
            "AND l.objid = (hashtext(:t)::bigint & 4294967295)::oid AND l.granted LIMIT 1"
        ),
        {"c": LOCK_CLASS, "t": tenant},
    ).first()
    if row is None:
        return "another session"
    application = row[1] or "unnamed"
    return (
        f"session pid {row[0]}, application {application!r}, connected {row[3]:%Y-%m-%d %H:%M:%S}"
    )


def acquire_tenant_lock(
    conn: sa.Connection, tenant: str, *, wait: bool, timeout_s: float | None = None
) -> None:
    """Take ``tenant``'s lock on this session; wait for it, or fail at once if ``wait`` is off.

    ``timeout_s`` bounds the wait (then :class:`LockBusyError`). A wait is announced as a
    warning naming the holder, so a person sees why nothing happens. The caller's
    connection must stay open for as long as the lock should hold.
    """
    params = {"c": LOCK_CLASS, "t": tenant}
    got = conn.execute(
        sa.text("SELECT pg_try_advisory_lock(:c, hashtext(:t))"), params
    ).scalar_one()
    if got:
        conn.commit()
        return
    holder = _holder(conn, tenant)
    conn.rollback()
    if not wait:
        raise LockBusyError(
            f"tenant {tenant!r} is locked by another session ({holder}); "
            "wait for it, or run without --no-wait to queue behind it"
        )
    log.warning(
        "waiting_for_tenant_lock",
        tenant=tenant,
        holder=holder,
        timeout_s=timeout_s,
        message=f"waiting for tenant {tenant!r}: another run holds its lock ({holder})",
    )
    # Queue behind the other run as long as allowed; --lock-timeout is for row locks.
    ms = 0 if timeout_s is None else max(1, int(timeout_s * 1000))
    conn.execute(sa.text(f"SET LOCAL lock_timeout = {ms}"))
    try:
        conn.execute(sa.text("SELECT pg_advisory_lock(:c, hashtext(:t))"), params)
    except sa.exc.OperationalError as e:
        if not isinstance(e.orig, psycopg.errors.LockNotAvailable):
            raise
        conn.rollback()
        raise LockBusyError(
            f"tenant {tenant!r} is still locked by another session ({holder}) after "
            f"--wait-timeout {timeout_s:g}s; nothing was written. Wait for that run, or "
            "raise --wait-timeout"
        ) from e
    conn.commit()
