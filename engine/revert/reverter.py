"""Revert: undo what the ledger says this tenant's seed wrote, and nothing else.

Rows a reverted run inserted are deleted by id, newest first (children before
parents). Rows that existed before it and that it updated get their before-image
back. Each page of rows and its ledger rows change in one transaction, so a
killed revert resumes where it stopped: what is left in the ledger is exactly
what is left to undo. Only rows the ledger recorded are touched; there is no
``DELETE ... WHERE tenant = ...``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import psycopg
import sqlalchemy as sa
import structlog
from psycopg import sql
from seedctl.engine.db import (
    RetryPolicy,
    RunSession,
    connect_engine,
    describe,
    guard_production,
    resolve_database,
    with_retry,
)
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import AllowList, TableSpec, qualified
from seedctl.ledger import ConfigError, DriftError, LogReader, UnknownNameError, store

__all__ = ["RevertObserver", "RevertProgress", "RevertResult", "revert"]

log = structlog.get_logger("seedctl.revert")
PAGE_ROWS = 1000


@dataclass
class RevertResult:
    """What a revert did, per table, for the summary and ``--json``."""

    tenant: str
    database: str
    run_id: str | None
    reverted_runs: list[str]
    deleted: dict[str, int] = field(default_factory=dict)
    restored: dict[str, int] = field(default_factory=dict)
    drift_ignored: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


class RevertProgress(Protocol):
    """What revert tells a UI as it goes; the engine never draws anything itself."""

    def started(self, total_rows: int) -> None: ...

    def advanced(self, rows: int) -> None: ...

    def finished(self) -> None: ...


class RevertObserver:
    """Progress hooks that do nothing: the default, and a base for partial observers."""

    def started(self, total_rows: int) -> None:
        """Called once with the number of rows to undo."""

    def advanced(self, rows: int) -> None:
        """Called after each committed page."""

    def finished(self) -> None:
        """Called at the end, success or not."""


def _tenant_and_scenario(
    conn: sa.Connection, log_path: Path | None, tenant: str | None
) -> tuple[str, str]:
    if log_path is not None:
        with LogReader(log_path) as reader:
            if tenant is not None and tenant != reader.header.tenant:
                raise ConfigError(
                    f"--tenant {tenant!r} contradicts the log, which seeds tenant "
                    f"{reader.header.tenant!r}; give one or the other"
                )
            return reader.header.tenant, reader.header.scenario
    rows = conn.execute(
        sa.select(store.runs.c.tenant, store.runs.c.scenario)
        .where(store.runs.c.kind == "apply")
        .distinct()
        .order_by(store.runs.c.tenant)
    ).all()
    if tenant is not None:
        rows = [r for r in rows if r.tenant == tenant]
        if not rows:
            raise ConfigError(f"the ledger has no apply run for tenant {tenant!r}")
    tenants = sorted({r.tenant for r in rows})
    if len(tenants) != 1:
        listed = ", ".join(tenants) or "none"
        raise ConfigError(
            f"say which tenant to revert (--tenant or --log); the ledger holds: {listed}"
        )
    scenarios = sorted({r.scenario for r in rows if r.scenario})
    if len(scenarios) != 1:
        raise ConfigError(
            f"tenant {tenants[0]!r} was seeded by several scenarios ({scenarios}); pass --log"
        )
    return tenants[0], scenarios[0]


def _target_runs(
    conn: sa.Connection, tenant: str, runs: int | None
) -> tuple[list[uuid.UUID], bool]:
    """Runs to revert, and whether this resumes an interrupted revert."""
    r = store.runs
    resuming = list(
        conn.execute(
            sa.select(r.c.run_id).where(r.c.tenant == tenant, r.c.status == "reverting")
        ).scalars()
    )
    if resuming:
        return resuming, True
    query = (
        sa.select(r.c.run_id)
        .where(
            r.c.tenant == tenant,
            r.c.kind == "apply",
            r.c.status != "reverted",
            sa.exists().where(store.applied.c.run_id == r.c.run_id),
        )
        .order_by(r.c.started_at.desc())
    )
    if runs is not None:
        query = query.limit(runs)
    return list(conn.execute(query).scalars()), False


def _in_scope(tenant: str, run_ids: Sequence[uuid.UUID]) -> sa.ColumnElement[bool]:
    a = store.applied
    return sa.and_(a.c.tenant == tenant, a.c.run_id.in_(run_ids))


def _tables_in_scope(
    conn: sa.Connection, allow: AllowList, tenant: str, run_ids: Sequence[uuid.UUID]
) -> list[TableSpec]:
    names = conn.execute(
        sa.select(store.applied.c.table_name).where(_in_scope(tenant, run_ids)).distinct()
    ).scalars()
    specs = []
    for name in names:
        spec = allow.tables.get(name)
        if spec is None:  # the ledger names a table the scenario does not: never touch it
            raise UnknownNameError(
                f"seedctl.applied names table {name!r}, not in the target schema"
            )
        specs.append(spec)
    return specs


def _drift(
    conn: sa.Connection, specs: Sequence[TableSpec], tenant: str, run_ids: Sequence[uuid.UUID]
) -> list[str]:
    """Rows changed or deleted by someone since the seed last wrote them. Read-only."""
    found: list[str] = []
    raw = conn.connection.driver_connection
    assert raw is not None
    for spec in specs:
        query = sql.SQL(
            "SELECT x.row_id::text, t.id IS NULL FROM ("
            " SELECT DISTINCT ON (row_id) row_id, after FROM seedctl.applied"
            " WHERE tenant = %(tenant)s AND table_name = %(table)s AND run_id = ANY(%(runs)s)"
            " ORDER BY row_id, applied_at DESC, seq DESC"
            ") x LEFT JOIN {target} t ON t.id = x.row_id"
            " WHERE t.id IS NULL OR to_jsonb(t) <> x.after LIMIT 20"
        ).format(target=qualified(spec))
        with raw.cursor() as cur:
            cur.execute(query, {"tenant": tenant, "table": spec.name, "runs": list(run_ids)})
            for row_id, missing in cur.fetchall():
                found.append(f"{spec.name} {row_id}: {'deleted' if missing else 'changed'}")
    return found


def revert(
    *,
    database_url: str | None = None,
    log_path: Path | None = None,
    tenant: str | None = None,
    runs: int | None = None,
    force: bool = False,
    allow_production: bool = False,
    wait: bool = True,
    observer: RevertProgress | None = None,
    retry: RetryPolicy | None = None,
    page_rows: int = PAGE_ROWS,
    version: str = "0",
    wait_timeout_s: float | None = None,
) -> RevertResult:
    """Undo the tenant's seed (or its latest ``runs`` apply runs). Writes target tables and ledger.

    Stops before writing if a seeded row drifted since the seed wrote it, unless
    ``force``. Resumes an interrupted revert of the same tenant first. ``wait_timeout_s``
    bounds the wait for another run's tenant lock.
    """
    if runs is not None and runs < 1:
        raise ConfigError("--runs must be at least 1")
    started = time.monotonic()
    observer = observer or RevertObserver()
    policy = retry or RetryPolicy()
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine:
        probe = engine.connect()
        try:
            if not store.ledger_exists(probe):
                raise ConfigError(
                    f"{describe(database.url)} has no seedctl ledger: nothing to revert"
                )
            tenant, scenario_name = _tenant_and_scenario(probe, log_path, tenant)
        finally:
            probe.close()
        scenario = get_scenario(scenario_name)
        allow = AllowList(scenario.metadata, scenario.entity_tables)
        session = RunSession(engine, tenant=tenant, application_name="seedctl revert")
        try:
            with session.transaction() as conn:
                guard_production(conn, allow_production=allow_production, action="revert")
            session.lock(wait=wait, timeout_s=wait_timeout_s)
            with session.transaction() as conn:
                store.mark_interrupted(conn, tenant)
            with session.transaction() as conn:
                run_ids, resuming = _target_runs(conn, tenant, runs)
                specs = _tables_in_scope(conn, allow, tenant, run_ids)
                drift = _drift(conn, specs, tenant, run_ids) if run_ids else []
                total = conn.execute(
                    sa.select(
                        sa.func.count(
                            sa.distinct(
                                sa.tuple_(store.applied.c.table_name, store.applied.c.row_id)
                            )
                        )
                    ).where(_in_scope(tenant, run_ids))
                ).scalar_one()
            result = RevertResult(
                tenant=tenant,
                database=describe(database.url),
                run_id=None,
                reverted_runs=[str(r) for r in run_ids],
            )
            if drift and not force:
                raise DriftError(
                    f"{'at least ' if len(drift) >= 20 else ''}{len(drift)} seeded "
                    f"row{'s were' if len(drift) > 1 else ' was'} changed or "
                    "deleted since the seed wrote them; nothing was reverted. Rows:\n  "
                    + "\n  ".join(drift)
                    + "\nPass --force to revert anyway (changed rows are deleted or restored too)."
                )
            result.drift_ignored = drift
            if not run_ids:
                result.elapsed_s = time.monotonic() - started
                return result
            if resuming:
                log.info("resuming_revert", tenant=tenant, runs=[str(r) for r in run_ids])
            with session.transaction() as conn:
                revert_run = store.start_run(
                    conn,
                    tenant=tenant,
                    kind="revert",
                    version=version,
                    scenario=scenario_name,
                    params={"runs": [str(r) for r in run_ids], "force": force},
                )
                conn.execute(
                    store.runs.update()
                    .where(store.runs.c.run_id.in_(run_ids))
                    .values(status="reverting")
                )
            result.run_id = str(revert_run)
            observer.started(int(total))
            try:
                _undo_all(
                    session,
                    specs=specs,
                    tenant=tenant,
                    run_ids=run_ids,
                    result=result,
                    observer=observer,
                    policy=policy,
                    page_rows=page_rows,
                )
            except BaseException as e:
                # Ctrl-C, like kill -9, leaves a revert that the next revert resumes.
                status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
                with session.transaction() as conn:
                    store.finish_run(conn, revert_run, status=status, counts=_counts(result))
                raise
            finally:
                observer.finished()
            with session.transaction() as conn:
                conn.execute(
                    store.runs.update()
                    .where(store.runs.c.run_id.in_(run_ids))
                    .values(status="reverted")
                )
                store.finish_run(conn, revert_run, status="succeeded", counts=_counts(result))
        finally:
            session.close()
    result.elapsed_s = time.monotonic() - started
    log.info(
        "revert_finished",
        tenant=tenant,
        deleted=sum(result.deleted.values()),
        restored=sum(result.restored.values()),
        elapsed_s=round(result.elapsed_s, 3),
    )
    return result


def _counts(result: RevertResult) -> dict[str, dict[str, int]]:
    return {"deleted": result.deleted, "restored": result.restored}


def _undo_all(
    session: RunSession,
    *,
    specs: Sequence[TableSpec],
    tenant: str,
    run_ids: Sequence[uuid.UUID],
    result: RevertResult,
    observer: RevertProgress,
    policy: RetryPolicy,
    page_rows: int,
) -> None:
    by_name = {s.name: s for s in specs}
    params = {"tenant": tenant, "runs": list(run_ids), "limit": page_rows}

    def repeat(page: Callable[[], int], what: str) -> None:
        while True:
            done = with_retry(page, policy=policy, what=what, on_retry=session.reconnect)
            if not done:
                return
            log.debug("revert_page", what=what, rows=done)
            observer.advanced(done)

    # Restores first: a before-image only names rows that existed before the reverted
    # runs, so restoring never points at a row the deletes below remove.
    repeat(lambda: _restore_page(session, by_name, params, result), "revert restore")
    repeat(lambda: _delete_page(session, by_name, params, result), "revert delete")


def _restore_page(
    session: RunSession,
    by_name: dict[str, TableSpec],
    params: dict[str, object],
    result: RevertResult,
) -> int:
    """Rows whose first reverted entry was an update: put the before-image back."""
    with session.transaction():
        raw = session.raw
        with raw.cursor() as cur:
            cur.execute(
                "SELECT table_name, row_id FROM seedctl.applied a"
                " WHERE tenant = %(tenant)s AND run_id = ANY(%(runs)s) AND outcome <> 'inserted'"
                " AND NOT EXISTS (SELECT 1 FROM seedctl.applied i WHERE i.tenant = a.tenant"
                "   AND i.table_name = a.table_name AND i.row_id = a.row_id"
                "   AND i.run_id = ANY(%(runs)s) AND i.outcome = 'inserted')"
                " ORDER BY applied_at, seq LIMIT %(limit)s",
                params,
            )
            rows = [(str(table), row_id) for table, row_id in cur.fetchall()]
            if not rows:
                return 0
            for table, ids in _group(rows).items():
                spec = _spec(by_name, table)
                columns = sorted(spec.columns - {"id"})
                assign = sql.SQL(", ").join(
                    sql.SQL("{c} = r.{c}").format(c=sql.Identifier(c)) for c in columns
                )
                cur.execute(
                    sql.SQL(
                        "UPDATE {target} AS t SET {assign} FROM ("
                        " SELECT DISTINCT ON (a.row_id)"
                        " (jsonb_populate_record(NULL::{target}, a.before)).*"
                        " FROM seedctl.applied a"
                        " WHERE a.tenant = %(tenant)s AND a.run_id = ANY(%(runs)s)"
                        " AND a.table_name = %(table)s AND a.row_id = ANY(%(ids)s)"
                        " ORDER BY a.row_id, a.applied_at, a.seq) r WHERE t.id = r.id"
                    ).format(target=qualified(spec), assign=assign),
                    {**params, "table": table, "ids": ids},
                )
                result.restored[table] = result.restored.get(table, 0) + cur.rowcount
                _drop_entries(cur, params, table, ids)
            return len(rows)


def _delete_page(
    session: RunSession,
    by_name: dict[str, TableSpec],
    params: dict[str, object],
    result: RevertResult,
) -> int:
    """Rows a reverted run inserted, newest first: delete them and all their entries."""
    with session.transaction():
        raw = session.raw
        with raw.cursor() as cur:
            cur.execute(
                "SELECT table_name, row_id FROM seedctl.applied"
                " WHERE tenant = %(tenant)s AND outcome = 'inserted' AND run_id = ANY(%(runs)s)"
                " ORDER BY applied_at DESC, seq DESC LIMIT %(limit)s",
                params,
            )
            rows = [(str(table), row_id) for table, row_id in cur.fetchall()]
            if not rows:
                return 0
            # Consecutive runs of one table, in order, so children go before parents.
            for table, ids in _runs_in_order(rows):
                spec = _spec(by_name, table)
                cur.execute(
                    sql.SQL("DELETE FROM {target} WHERE id = ANY(%(ids)s)").format(
                        target=qualified(spec)
                    ),
                    {"ids": ids},
                )
                result.deleted[table] = result.deleted.get(table, 0) + cur.rowcount
                _drop_entries(cur, params, table, ids)
            return len(rows)


def _drop_entries(
    cur: psycopg.Cursor[tuple[object, ...]],
    params: dict[str, object],
    table: str,
    ids: list[object],
) -> None:
    """Remove the reverted entries of these rows, in the same transaction as the rows."""
    cur.execute(
        "DELETE FROM seedctl.applied WHERE tenant = %(tenant)s AND run_id = ANY(%(runs)s)"
        " AND table_name = %(table)s AND row_id = ANY(%(ids)s)",
        {**params, "table": table, "ids": ids},
    )


def _spec(by_name: dict[str, TableSpec], table: str) -> TableSpec:
    try:
        return by_name[table]
    except KeyError:
        raise UnknownNameError(
            f"seedctl.applied names table {table!r}, not in the target schema"
        ) from None


def _group(rows: Sequence[tuple[str, object]]) -> dict[str, list[object]]:
    """Distinct row ids per table, in first-seen order (a page may list a row twice)."""
    grouped: dict[str, dict[object, None]] = {}
    for table, row_id in rows:
        grouped.setdefault(table, {})[row_id] = None
    return {table: list(ids) for table, ids in grouped.items()}


def _runs_in_order(rows: Sequence[tuple[str, object]]) -> list[tuple[str, list[object]]]:
    out: list[tuple[str, list[object]]] = []
    for table, row_id in rows:
        if out and out[-1][0] == table:
            out[-1][1].append(row_id)
        else:
            out.append((table, [row_id]))
    return out
