"""Read-only questions about the ledger: ``status`` (runs, applied and pending) and
``audit`` (which commands wrote a row, when, with what before and after)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from seedctl.engine.db import LOCK_CLASS, connect_engine, describe, resolve_database
from seedctl.engine.pending import scan_log
from seedctl.ledger import store

__all__ = ["AuditEntry", "RunInfo", "StatusReport", "audit", "status"]


@dataclass
class RunInfo:
    """One row of ``seedctl.runs``."""

    run_id: str
    tenant: str
    kind: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    log_digest: str | None
    db_user: str
    os_user: str | None
    host: str | None
    seedctl_version: str
    counts: dict[str, Any] | None
    alive: bool | None = None
    """For a run still marked ``running``: whether a session holds its tenant's lock now
    (True: it is working; False: its process died, and the next apply or revert marks
    it ``interrupted``). None for finished runs."""


@dataclass
class StatusReport:
    """Runs newest first, applied commands per entity, and pending ones if a log was given."""

    database: str
    environment: str | None
    tenants: list[str]
    runs: list[RunInfo] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] | None = None
    log_digest: str | None = None


def _runs(conn: sa.Connection, tenant: str | None, limit: int) -> list[RunInfo]:
    query = sa.select(store.runs).order_by(store.runs.c.started_at.desc()).limit(limit)
    if tenant:
        query = query.where(store.runs.c.tenant == tenant)
    return [
        RunInfo(
            run_id=str(r.run_id),
            tenant=r.tenant,
            kind=r.kind,
            status=r.status,
            started_at=r.started_at,
            finished_at=r.finished_at,
            log_digest=r.log_digest,
            db_user=r.db_user,
            os_user=r.os_user,
            host=r.host,
            seedctl_version=r.seedctl_version,
            counts=r.counts,
        )
        for r in conn.execute(query)
    ]


def _lock_held(conn: sa.Connection, tenant: str) -> bool:
    """Whether any session holds ``tenant``'s advisory lock now. Read-only."""
    return bool(
        conn.execute(
            sa.text(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                "AND classid = :c AND objid = (hashtext(:t)::bigint & 4294967295)::oid "
                "AND granted)"
            ),
            {"c": LOCK_CLASS, "t": tenant},
        ).scalar_one()
    )


def status(
    *,
    database_url: str | None = None,
    log_path: Path | None = None,
    tenant: str | None = None,
    limit: int = 10,
) -> StatusReport:
    """What the ledger holds; with a log, how much of it is pending. Read-only."""
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine, engine.connect() as conn:
        if log_path is not None:
            with_log = scan_log(log_path)
            tenant = tenant or with_log.header.tenant
        report = StatusReport(
            database=describe(database.url), environment=store.get_environment(conn), tenants=[]
        )
        if not store.ledger_exists(conn):
            if log_path is not None:
                report.pending = dict(with_log.commands)
                report.log_digest = with_log.digest
            return report
        report.tenants = list(
            conn.execute(
                sa.select(store.runs.c.tenant).distinct().order_by(store.runs.c.tenant)
            ).scalars()
        )
        report.runs = _runs(conn, tenant, limit)
        for run in report.runs:
            if run.status in {"running", "reverting"}:
                run.alive = _lock_held(conn, run.tenant)
        query = sa.select(store.applied.c.entity, sa.func.count()).group_by(store.applied.c.entity)
        if tenant:
            query = query.where(store.applied.c.tenant == tenant)
        report.applied = {e: int(n) for e, n in conn.execute(query)}
        if log_path is not None:
            scan = scan_log(log_path, store.applied_hashes(conn, tenant or ""))
            report.pending = scan.pending
            report.log_digest = scan.digest
        return report


@dataclass
class AuditEntry:
    """One command that wrote (or confirmed) one row."""

    tenant: str
    entity: str
    table: str
    row_id: str
    """The command id: the UUIDv5 of the row's natural key."""
    row_key: dict[str, Any] | None
    """The row's primary key where it is not ``row_id`` (a serial or composite key)."""
    command_hash: str
    seq: int
    run_id: str
    run_kind: str
    run_status: str
    applied_at: dt.datetime
    outcome: str
    before: dict[str, Any] | None
    after: dict[str, Any]


def audit(
    *,
    database_url: str | None = None,
    tenant: str | None = None,
    entity: str | None = None,
    row_id: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Ledger entries, newest first, filtered by tenant, entity and row id. Read-only."""
    database = resolve_database(database_url)
    a, r = store.applied, store.runs
    query = (
        sa.select(a, r.c.kind, r.c.status)
        .join(r, r.c.run_id == a.c.run_id)
        .order_by(a.c.applied_at.desc(), a.c.seq.desc())
        .limit(limit)
    )
    if tenant:
        query = query.where(a.c.tenant == tenant)
    if entity:
        query = query.where(a.c.entity == entity)
    if row_id:
        query = query.where(a.c.row_id == row_id)
    with connect_engine(database.url) as engine, engine.connect() as conn:
        if not store.ledger_exists(conn):
            return []
        return [
            AuditEntry(
                tenant=row.tenant,
                entity=row.entity,
                table=row.table_name,
                row_id=str(row.row_id),
                row_key=row.row_key,
                command_hash=row.command_hash,
                seq=row.seq,
                run_id=str(row.run_id),
                run_kind=row.kind,
                run_status=row.status,
                applied_at=row.applied_at,
                outcome=row.outcome,
                before=row.before,
                after=row.after,
            )
            for row in conn.execute(query)
        ]
