"""Revert: undo what the ledger says this tenant's seed wrote, and nothing else.

Rows a reverted run inserted are deleted by id, newest first (children before
parents). Rows that existed before it and that it updated get their before-image
back; rows it deleted (a later generation no longer made them) are inserted again
from it, parents first. Each page of rows and its ledger rows change in one transaction, so a
killed revert resumes where it stopped: what is left in the ledger is exactly
what is left to undo. Only rows the ledger recorded are touched; there is no
``DELETE ... WHERE tenant = ...``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
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
)
from seedctl.engine.pending import changed_rows
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import (
    Dependent,
    Doomed,
    TableSpec,
    Target,
    app_owned_columns,
    find_dependents,
    qualified,
    read_target,
    refuse_dependents,
    row_match,
    triggers_on,
)
from seedctl.ledger import (
    ConfigError,
    DriftError,
    LogReader,
    SeedctlError,
    UnknownNameError,
    store,
)

__all__ = ["RevertObserver", "RevertProgress", "RevertResult", "revert"]

log = structlog.get_logger("seedctl.revert")
PAGE_ROWS = 1000


def _entry_of_row(alias: str, condition: str, of: str = "a") -> str:
    """``EXISTS`` condition text: an entry ``alias`` of the reverted runs for the same row as
    entry ``of``, matching ``condition``. The pages below ask it of each row's history."""
    return (
        f"EXISTS (SELECT 1 FROM seedctl.applied {alias} WHERE {alias}.tenant = {of}.tenant"
        f" AND {alias}.table_name = {of}.table_name AND {alias}.row_id = {of}.row_id"
        f" AND {alias}.run_id = ANY(%(runs)s) AND {condition})"
    )


_LATEST = "NOT " + _entry_of_row("n", "(n.applied_at, n.seq) > (a.applied_at, a.seq)")
"""Entry ``a`` is its row's latest of the reverted runs."""
_FIRST = "NOT " + _entry_of_row("p", "(p.applied_at, p.seq) < (a.applied_at, a.seq)")
"""Entry ``a`` is its row's first of the reverted runs."""


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
    dependents: list[Dependent] = field(default_factory=list)
    """Rows outside the ledger the revert deletes, changes (``--cascade``) or would trip over."""
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    """Nothing was written: ``deleted`` and ``restored`` say what a revert would do."""

    @property
    def cascaded(self) -> dict[str, int]:
        """Rows outside the ledger per table that the database deletes or changes with it."""
        out: dict[str, int] = {}
        for d in self.dependents:
            if not d.blocks:
                out[d.table] = out.get(d.table, 0) + d.rows
        return out


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
    """The tenant to revert and its scenario. Read-only.

    A tenant the ledger holds no apply run for is exit 2 whether ``--log`` or
    ``--tenant`` named it: the same situation gets the same code.
    """
    if log_path is not None:
        with LogReader(log_path) as reader:
            if tenant is not None and tenant != reader.header.tenant:
                raise ConfigError(
                    f"--tenant {tenant!r} contradicts the log, which seeds tenant "
                    f"{reader.header.tenant!r}; give one or the other"
                )
            tenant, from_log = reader.header.tenant, reader.header.scenario
    else:
        from_log = None
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
    if from_log is not None and tenant is not None:
        return tenant, from_log
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
    """Runs to revert, and whether this resumes an interrupted revert.

    An interrupted revert resumes with its runs plus every apply run since the oldest
    of them: an apply after a half-done revert may have written rows that point at
    rows still to be reverted, so they go together, children first. ``runs`` counts
    applies as a user means them: an interrupted or failed apply and the runs that
    resumed the same log are one.
    """
    r = store.runs
    live = (
        sa.select(r.c.run_id, r.c.status, r.c.log_digest, r.c.started_at)
        .where(
            r.c.tenant == tenant,
            r.c.kind == "apply",
            r.c.status != "reverted",
            sa.exists().where(store.applied.c.run_id == r.c.run_id),
        )
        .order_by(r.c.started_at.desc())
    )
    candidates = list(conn.execute(live))
    reverting = [c for c in candidates if c.status == "reverting"]
    if reverting:
        since = min(c.started_at for c in reverting)
        return [c.run_id for c in candidates if c.started_at >= since], True
    if runs is None:
        return [c.run_id for c in candidates], False
    chosen: list[uuid.UUID] = []
    seeds = 0
    for newer, older in zip(candidates, [*candidates[1:], None], strict=True):
        chosen.append(newer.run_id)
        resumes = (
            older is not None
            and older.status in ("interrupted", "failed")
            and older.log_digest == newer.log_digest
        )
        if not resumes:
            seeds += 1
            if seeds == runs:
                break
    return chosen, False


def _in_scope(tenant: str, run_ids: Sequence[uuid.UUID]) -> sa.ColumnElement[bool]:
    a = store.applied
    return sa.and_(a.c.tenant == tenant, a.c.run_id.in_(run_ids))


def _tables_in_scope(
    conn: sa.Connection, target: Target, tenant: str, run_ids: Sequence[uuid.UUID]
) -> list[TableSpec]:
    names = conn.execute(
        sa.select(store.applied.c.table_name).where(_in_scope(tenant, run_ids)).distinct()
    ).scalars()
    specs = []
    for name in names:
        spec = target.tables.get(name)
        if spec is None:  # the ledger names a table the scenario does not: never touch it
            raise UnknownNameError(
                f"seedctl.applied names table {name!r}, not in the target schema"
            )
        specs.append(spec)
    return specs


def _drift(
    conn: sa.Connection,
    specs: Sequence[TableSpec],
    tenant: str,
    run_ids: Sequence[uuid.UUID],
    ignored: Mapping[str, tuple[str, ...]],
) -> list[str]:
    """Rows changed or deleted by someone since the seed last wrote them; changes to the
    ``ignored`` (app-owned) columns do not count. Read-only."""
    found: list[str] = []
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        for spec in specs:
            rows = changed_rows(
                cur,
                spec,
                tenant=tenant,
                ignored=ignored.get(spec.name, ()),
                run_ids=run_ids,
                limit=20,
            )
            found += [f"{spec.name} {r}: {'deleted' if gone else 'changed'}" for r, gone in rows]
    return found


def revert(
    *,
    database_url: str | None = None,
    log_path: Path | None = None,
    tenant: str | None = None,
    runs: int | None = None,
    force: bool = False,
    cascade: bool = False,
    dry_run: bool = False,
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
    ``force``; and if rows outside the ledger would be deleted or changed through
    foreign keys (cascades), unless ``cascade``, or would make a delete fail, always
    (:class:`DependentRowsError`). Resumes an interrupted revert of the same tenant
    first. ``dry_run``: read-only, the result says what a revert would do.
    ``wait_timeout_s`` bounds the wait for another run's tenant lock.
    """
    if runs is not None and runs < 1:
        raise ConfigError("--runs must be at least 1")
    started = time.monotonic()
    observer = observer or RevertObserver()
    policy = retry or RetryPolicy()
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine:
        probe = RunSession(
            engine, tenant=tenant or "", application_name="seedctl revert", policy=policy
        )
        try:

            def find_tenant(conn: sa.Connection) -> tuple[str, str]:
                if not store.ledger_exists(conn):
                    raise ConfigError(
                        f"{describe(database.url)} has no seedctl ledger: nothing to revert"
                    )
                return _tenant_and_scenario(conn, log_path, tenant)

            tenant, scenario_name = probe.in_transaction(find_tenant, what="revert: the ledger")
        finally:
            probe.close()
        scenario = get_scenario(scenario_name)
        session = RunSession(
            engine, tenant=tenant, application_name="seedctl revert", policy=policy
        )
        try:
            if not dry_run:
                session.in_transaction(
                    lambda conn: guard_production(
                        conn, allow_production=allow_production, action="revert"
                    ),
                    what="revert: production check",
                )
                session.lock(wait=wait, timeout_s=wait_timeout_s)

                def earlier_runs(conn: sa.Connection) -> None:
                    store.mark_interrupted(conn, tenant)
                    store.analyze_if_stale(conn)

                session.in_transaction(earlier_runs, what="revert: earlier runs")

            def survey(conn: sa.Connection) -> _Survey:
                if dry_run:
                    conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                run_ids, resuming = _target_runs(conn, tenant, runs)
                specs = _tables_in_scope(conn, read_target(conn, scenario), tenant, run_ids)
                owned = app_owned_columns(scenario)
                drift = _drift(conn, specs, tenant, run_ids, owned) if run_ids else []
                raw = conn.connection.driver_connection
                assert raw is not None
                with raw.cursor() as cur:
                    dependents = (
                        find_dependents(cur, specs, Doomed.reverting(tenant, run_ids))
                        if run_ids
                        else []
                    )
                    triggers = triggers_on(cur, specs)
                planned = _planned(conn, tenant, run_ids) if dry_run else None
                total = conn.execute(
                    sa.select(
                        sa.func.count(
                            sa.distinct(
                                sa.tuple_(store.applied.c.table_name, store.applied.c.row_id)
                            )
                        )
                    ).where(_in_scope(tenant, run_ids))
                ).scalar_one()
                return _Survey(
                    run_ids, resuming, specs, drift, dependents, triggers, planned, int(total)
                )

            found = session.in_transaction(survey, what="revert: reading the ledger")
            run_ids, resuming, specs, drift = (
                found.run_ids,
                found.resuming,
                found.specs,
                found.drift,
            )
            dependents, triggers, planned, total = (
                found.dependents,
                found.triggers,
                found.planned,
                found.total,
            )
            result = RevertResult(
                tenant=tenant,
                database=describe(database.url),
                run_id=None,
                reverted_runs=[str(r) for r in run_ids],
            )
            result.dependents = dependents
            result.warnings = [
                f"trigger {name} fires on every row revert deletes or restores" for name in triggers
            ]
            for warning in result.warnings:
                log.warning("revert_trigger", detail=warning)
            if planned is not None:
                result.dry_run = True
                result.deleted, result.restored = planned
                result.drift_ignored = drift
                result.elapsed_s = time.monotonic() - started
                return result
            refuse_dependents(dependents, cascade=cascade, action="revert")
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

            def begin(conn: sa.Connection) -> uuid.UUID:
                run = store.start_run(
                    conn,
                    tenant=tenant,
                    kind="revert",
                    version=version,
                    scenario=scenario_name,
                    params={"runs": [str(r) for r in run_ids], "force": force, "cascade": cascade},
                )
                conn.execute(
                    store.runs.update()
                    .where(store.runs.c.run_id.in_(run_ids))
                    .values(status="reverting")
                )
                return run

            revert_run = session.in_transaction(begin, what="revert: recording the run")
            result.run_id = str(revert_run)
            observer.started(total)
            try:
                _undo_all(
                    session,
                    specs=specs,
                    order=list(scenario.entity_tables.values()),
                    tenant=tenant,
                    run_ids=run_ids,
                    result=result,
                    observer=observer,
                    page_rows=page_rows,
                )
            except BaseException as e:
                # Ctrl-C, like kill -9, leaves a revert that the next revert resumes.
                status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
                _mark_failed(session, revert_run, result, status=status)
                raise
            finally:
                observer.finished()

            def end(conn: sa.Connection) -> None:
                conn.execute(
                    store.runs.update()
                    .where(store.runs.c.run_id.in_(run_ids))
                    .values(status="reverted")
                )
                store.finish_run(conn, revert_run, status="succeeded", counts=_counts(result))

            session.in_transaction(end, what="revert: recording the run's end")
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
    return {"deleted": result.deleted, "restored": result.restored, "cascaded": result.cascaded}


def _mark_failed(
    session: RunSession, run_id: uuid.UUID, result: RevertResult, *, status: str = "failed"
) -> None:
    """Mark the revert run failed, once: the run is failing, often because the server is gone.

    If that fails too, the next apply or revert marks it interrupted once it holds the lock.
    """
    try:
        with session.transaction() as conn:
            store.finish_run(conn, run_id, status=status, counts=_counts(result))
    except (sa.exc.SQLAlchemyError, psycopg.Error, SeedctlError):
        log.warning("could_not_mark_run_failed", run_id=str(run_id))


@dataclass
class _Survey:
    """What revert reads before it decides: runs, tables, drift, dependents, the plan."""

    run_ids: list[uuid.UUID]
    resuming: bool
    specs: list[TableSpec]
    drift: list[str]
    dependents: list[Dependent]
    triggers: list[str]
    planned: tuple[dict[str, int], dict[str, int]] | None
    total: int


def _planned(
    conn: sa.Connection, tenant: str, run_ids: Sequence[uuid.UUID]
) -> tuple[dict[str, int], dict[str, int]]:
    """Rows per table a revert would delete and restore (or insert again). Read-only.

    By each row's first entry of the runs: inserted, the row goes; with a before-image,
    the row gets it back; a delete that found nothing, the row goes if a later entry
    put it there.
    """
    rows = conn.execute(
        sa.text(
            "SELECT table_name, first_outcome, had_image, bool_or(outcome = 'inserted') "
            "FROM (SELECT table_name, row_id, outcome, "
            "first_value(outcome) OVER w AS first_outcome, "
            "first_value(before IS NOT NULL) OVER w AS had_image "
            "FROM seedctl.applied WHERE tenant = :tenant AND run_id = ANY(:runs) "
            "WINDOW w AS (PARTITION BY table_name, row_id ORDER BY applied_at, seq)) e "
            "GROUP BY table_name, row_id, first_outcome, had_image"
        ),
        {"tenant": tenant, "runs": list(run_ids)},
    ).all()
    deleted: dict[str, int] = {}
    restored: dict[str, int] = {}
    for table, first, had_image, inserted in rows:
        if first != "inserted" and had_image:
            bucket = restored
        elif inserted:
            bucket = deleted
        else:
            continue
        bucket[str(table)] = bucket.get(str(table), 0) + 1
    return deleted, restored


def _undo_all(
    session: RunSession,
    *,
    specs: Sequence[TableSpec],
    order: Sequence[str],
    tenant: str,
    run_ids: Sequence[uuid.UUID],
    result: RevertResult,
    observer: RevertProgress,
    page_rows: int,
) -> None:
    by_name = {s.name: s for s in specs}
    params = {"tenant": tenant, "runs": list(run_ids), "limit": page_rows, "order": list(order)}

    def repeat(page: Callable[[], int], what: str) -> None:
        while True:
            done = session.retrying(page, what=what)
            if not done:
                return
            log.debug("revert_page", what=what, rows=done)
            observer.advanced(done)

    # Re-inserts and restores first: a before-image only names rows that existed before
    # the reverted runs, so it never points at a row the deletes below remove. Rows the
    # runs deleted come back parents first (the deletes went children first). A row the
    # runs deleted and made again (under a new serial key, say) is first deleted again,
    # children first, and then comes back with the others.
    repeat(lambda: _unmake_page(session, by_name, params), "revert re-made rows")
    repeat(lambda: _reinsert_page(session, by_name, params, result), "revert re-insert")
    repeat(lambda: _restore_page(session, by_name, params, result), "revert restore")
    repeat(lambda: _delete_page(session, by_name, params, result), "revert delete")

    def sweep() -> int:
        # What is left: deletes that found nothing to remove. No row to touch.
        with session.transaction(), session.raw.cursor() as cur:
            cur.execute(
                "DELETE FROM seedctl.applied WHERE tenant = %(tenant)s AND run_id = ANY(%(runs)s)",
                params,
            )
            return 0

    session.retrying(sweep, what="revert: the last ledger rows")


def _unmake_page(
    session: RunSession, by_name: dict[str, TableSpec], params: dict[str, object]
) -> int:
    """Rows the reverted runs deleted and then made again: delete them (newest first, so
    children go first) and mark their latest entry deleted, in one transaction, so the
    re-insert below puts the image from before the runs back, key and all."""
    with session.transaction():
        raw = session.raw
        with raw.cursor() as cur:
            cur.execute(
                "SELECT a.table_name, a.row_id, a.command_hash FROM seedctl.applied a"
                " WHERE a.tenant = %(tenant)s AND a.run_id = ANY(%(runs)s)"
                " AND a.outcome <> 'deleted' AND "
                + _LATEST
                + " AND "
                # ... that a delete of the runs removed before ...
                + _entry_of_row(
                    "d",
                    "d.outcome = 'deleted' AND d.before IS NOT NULL"
                    " AND (d.applied_at, d.seq) < (a.applied_at, a.seq)",
                )
                # ... and that existed before the runs: its first entry of them has an image.
                + " AND "
                + _entry_of_row(
                    "f",
                    "f.outcome <> 'inserted' AND f.before IS NOT NULL AND NOT "
                    + _entry_of_row("g", "(g.applied_at, g.seq) < (f.applied_at, f.seq)", of="f"),
                )
                + " ORDER BY a.applied_at DESC, a.seq DESC LIMIT %(limit)s",
                params,
            )
            found = cur.fetchall()
            if not found:
                return 0
            for table, hashes in _runs_in_order([(str(t), h) for t, _, h in found]):
                spec = _spec(by_name, table)
                cur.execute(
                    sql.SQL(
                        "DELETE FROM {target} AS t USING seedctl.applied a"
                        " WHERE a.tenant = %(tenant)s AND a.command_hash = ANY(%(hashes)s)"
                        " AND {match}"
                    ).format(target=qualified(spec), match=row_match(spec, "t", "a")),
                    {**params, "hashes": hashes},
                )
                cur.execute(
                    "UPDATE seedctl.applied SET outcome = 'deleted', after = NULL"
                    " WHERE tenant = %(tenant)s AND command_hash = ANY(%(hashes)s)",
                    {**params, "hashes": hashes},
                )
            return len(found)


def _reinsert_page(
    session: RunSession,
    by_name: dict[str, TableSpec],
    params: dict[str, object],
    result: RevertResult,
) -> int:
    """Rows a reverted run deleted last: insert the image from before the runs, if they
    existed then, and drop their entries. Parents first: tables in the scenario's order,
    rows in the order the seed first made them (a manager before the people reporting)."""
    with session.transaction():
        raw = session.raw
        with raw.cursor() as cur:
            cur.execute(
                "SELECT table_name, row_id FROM seedctl.applied a"
                " WHERE tenant = %(tenant)s AND run_id = ANY(%(runs)s) AND outcome = 'deleted'"
                " AND " + _LATEST + " ORDER BY array_position(%(order)s::text[], table_name),"
                # The row's first entry of all: the order the seed first made the rows in.
                " (SELECT (f.applied_at, f.seq) FROM seedctl.applied f WHERE f.tenant = a.tenant"
                "   AND f.table_name = a.table_name AND f.row_id = a.row_id"
                "   ORDER BY f.applied_at, f.seq LIMIT 1)"
                " LIMIT %(limit)s",
                params,
            )
            rows = [(str(table), row_id) for table, row_id in cur.fetchall()]
            if not rows:
                return 0
            for table, ids in _runs_in_order(rows):
                spec = _spec(by_name, table)
                # The key too, identity or not: the row comes back as the ledger knew it.
                columns = sorted(
                    c
                    for c in spec.columns
                    if c in spec.primary_key or not spec.column_info[c].generated
                )
                names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
                values = sql.SQL(", ").join(
                    sql.SQL("r.{}").format(sql.Identifier(c)) for c in columns
                )
                cur.execute(
                    sql.SQL(
                        "INSERT INTO {target} ({names}) OVERRIDING SYSTEM VALUE"
                        " SELECT {values} FROM ("
                        " SELECT DISTINCT ON (a.row_id)"
                        " (jsonb_populate_record(NULL::{target}, a.before)).*,"
                        " a.outcome AS seedctl_first_outcome, a.before IS NULL AS seedctl_no_image"
                        " FROM seedctl.applied a"
                        " WHERE a.tenant = %(tenant)s AND a.run_id = ANY(%(runs)s)"
                        " AND a.table_name = %(table)s AND a.row_id = ANY(%(ids)s)"
                        " ORDER BY a.row_id, a.applied_at, a.seq) r"
                        " WHERE r.seedctl_first_outcome <> 'inserted' AND NOT r.seedctl_no_image"
                        " ON CONFLICT DO NOTHING"
                    ).format(target=qualified(spec), names=names, values=values),
                    {**params, "table": table, "ids": ids},
                )
                result.restored[table] = result.restored.get(table, 0) + cur.rowcount
                _drop_entries(cur, params, table, ids)
            return len(rows)


def _restore_page(
    session: RunSession,
    by_name: dict[str, TableSpec],
    params: dict[str, object],
    result: RevertResult,
) -> int:
    """Rows that existed before the reverted runs (their first entry has a before-image)
    and are there now: put the before-image back."""
    with session.transaction():
        raw = session.raw
        with raw.cursor() as cur:
            cur.execute(
                "SELECT table_name, row_id FROM seedctl.applied a"
                " WHERE tenant = %(tenant)s AND run_id = ANY(%(runs)s) AND outcome <> 'inserted'"
                " AND before IS NOT NULL AND "
                + _FIRST
                + " ORDER BY applied_at, seq LIMIT %(limit)s",
                params,
            )
            rows = [(str(table), row_id) for table, row_id in cur.fetchall()]
            if not rows:
                return 0
            for table, ids in _group(rows).items():
                spec = _spec(by_name, table)
                key = set(spec.primary_key)
                columns = sorted(c for c in spec.columns - key if not spec.column_info[c].generated)
                assign = sql.SQL(", ").join(
                    sql.SQL("{c} = r.{c}").format(c=sql.Identifier(c)) for c in columns
                )
                same_row = sql.SQL(" AND ").join(
                    sql.SQL("t.{c} = r.{c}").format(c=sql.Identifier(c)) for c in spec.primary_key
                )
                cur.execute(
                    sql.SQL(
                        "UPDATE {target} AS t SET {assign} FROM ("
                        " SELECT DISTINCT ON (a.row_id)"
                        " (jsonb_populate_record(NULL::{target}, a.before)).*"
                        " FROM seedctl.applied a"
                        " WHERE a.tenant = %(tenant)s AND a.run_id = ANY(%(runs)s)"
                        " AND a.table_name = %(table)s AND a.row_id = ANY(%(ids)s)"
                        " ORDER BY a.row_id, a.applied_at, a.seq) r WHERE {same_row}"
                    ).format(target=qualified(spec), assign=assign, same_row=same_row),
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
                    sql.SQL(
                        "DELETE FROM {target} AS t USING ("
                        " SELECT DISTINCT row_id, row_key FROM seedctl.applied"
                        " WHERE tenant = %(tenant)s AND run_id = ANY(%(runs)s)"
                        " AND table_name = %(table)s AND row_id = ANY(%(ids)s)) AS a"
                        " WHERE {match}"
                    ).format(target=qualified(spec), match=row_match(spec, "t", "a")),
                    {**params, "table": table, "ids": ids},
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
