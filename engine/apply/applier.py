"""Apply: bring the database up to the log, exactly once, resumably, with an audit trail.

pending = log - ledger, in log order, in batches of at most 1000 rows; each batch's
target rows and ledger rows commit in one transaction. The log is replayed as it was
written, generation after generation, so every row a command refers to is in before
it, and a row a later generation changes back gets a command (and a write) of its
own. Reruns find nothing pending; a killed run resumes at the first uncommitted
batch. A row a later generation no longer makes is deleted, if this tenant's seed
wrote it, with its image kept in the ledger for revert.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import psycopg
import sqlalchemy as sa
import structlog
from seedctl.engine.apply.batch_sql import stage_name
from seedctl.engine.apply.batch_writer import (
    NewRows,
    NewRowsEncoder,
    find_collisions,
    insert_new_batch,
    stage_batch,
    write_batch,
)
from seedctl.engine.apply.delete_batch import delete_batch
from seedctl.engine.apply.dispatch import Dispatcher
from seedctl.engine.apply.prefetch import prefetch
from seedctl.engine.apply.removal import Removal, survey_removal
from seedctl.engine.apply.result import ApplyResult, EntityTally
from seedctl.engine.apply.unchanged import nothing_to_do
from seedctl.engine.db import (
    RetryPolicy,
    RunSession,
    connect_engine,
    describe,
    guard_production,
    resolve_database,
    translate_write_error,
    with_retry,
)
from seedctl.engine.pending import (
    DRIFT_POLICIES,
    MAX_BATCH_ROWS,
    Batch,
    DriftedCommand,
    LogScan,
    PendingCommand,
    Resolved,
    drifted_commands,
    drifted_rows,
    plan_batches,
    resolve_references,
    scan_log,
    unresolved,
)
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import (
    TableSpec,
    Target,
    ValueChecks,
    app_owned_columns,
    check_target,
    ledger_key,
    primary_key,
    qualified,
    read_target,
    refuse_dependents,
)
from seedctl.ledger import (
    CollisionError,
    Command,
    ConfigError,
    DriftError,
    JsonScalar,
    SeedctlError,
    UnknownNameError,
    VerificationFailedError,
    store,
)
from seedctl.ledger.last_apply import LastApply, unchanged_last_apply
from seedctl.ledger.logfile import LogReader, file_sha256_soon

__all__ = ["ApplyObserver", "ApplyResult", "EntityTally", "apply_log"]

log = structlog.get_logger("seedctl.apply")

OUTCOMES = ("inserted", "updated", "unchanged", "skipped", "deleted", "absent")
DEFAULT_WRITERS = 2
MAX_DRIFT_SHOWN = 20
"""Connections writing at once: two use both cores of a small machine's server."""


class ApplyObserver(Protocol):
    """Progress hooks for a UI; the engine never draws anything itself."""

    def started(self, pending: Mapping[str, int]) -> None: ...

    def advanced(self, entity: str, rows: int) -> None: ...

    def finished(self) -> None: ...


def apply_log(
    log_path: Path,
    *,
    database_url: str | None = None,
    wait: bool = True,
    allow_production: bool = False,
    create_schema: bool | None = None,
    observer: ApplyObserver | None = None,
    retry: RetryPolicy | None = None,
    max_rows: int = MAX_BATCH_ROWS,
    lock_timeout_ms: int | None = None,
    version: str = "0",
    direct_copy: bool = True,
    writers: int = DEFAULT_WRITERS,
    log_sha256: Future[str] | None = None,
    on_drift: str = "fail",
    wait_timeout_s: float | None = None,
    on_warning: Callable[[str, str], None] | None = None,
    prune: bool = True,
    cascade: bool = False,
) -> ApplyResult:
    """Apply every pending command of ``log_path``. Writes target tables and the ledger.

    Nothing is written if the log fails verification, names anything outside the
    target schema, or a pending row collides with one seedctl did not write.
    ``create_schema`` defaults to on for the embedded database only. ``direct_copy``
    off sends every batch through the upsert statement (tests compare the two paths).
    ``writers`` connections write batches concurrently where that cannot change the
    result (see :mod:`seedctl.engine.apply.dispatch`). ``log_sha256``: the file's SHA-256 being
    computed already (:func:`seedctl.ledger.logfile.file_sha256_soon`). ``wait_timeout_s``
    bounds the wait for another run's tenant lock. ``on_warning(event, text)`` hears what a
    person should know before the first write (the tenant was last applied from a log
    with another seed or scale); it is logged as a warning either way. ``prune`` off
    leaves rows a later generation removed in place (their deletes stay pending);
    ``cascade`` lets those deletes take rows seedctl did not write along by foreign key.
    """
    if writers < 1:
        raise ConfigError(f"--writers must be at least 1, not {writers}")
    if on_drift not in DRIFT_POLICIES:
        raise ConfigError(
            f"--on-drift must be one of {', '.join(DRIFT_POLICIES)}, not {on_drift!r}"
        )
    started = time.monotonic()
    hashing = log_sha256 or file_sha256_soon(log_path)
    with LogReader(log_path) as reader:
        tenant, scenario_name = reader.header.tenant, reader.header.scenario
    database = resolve_database(database_url)
    policy = retry or RetryPolicy()
    with connect_engine(database.url) as engine:
        session = RunSession(
            engine,
            tenant=tenant,
            application_name="seedctl apply",
            lock_timeout_ms=lock_timeout_ms,
            policy=policy,
        )
        try:
            session.in_transaction(
                lambda conn: guard_production(
                    conn, allow_production=allow_production, action="apply"
                ),
                what="apply: production check",
            )
            session.lock(wait=wait, timeout_s=wait_timeout_s)
            # The CLI asked this before the database stack loaded; asked again here, under
            # the lock, for every other caller and every case it left to the full run.
            log_sha = hashing.result()
            unchanged = session.retrying(
                lambda: unchanged_last_apply(
                    session.raw, tenant, lambda: log_sha, allow_production=True
                ),
                what="apply: reading the last run",
            )
            if unchanged is not None:
                return _nothing_to_do(unchanged, log_path, tenant, describe(database.url), started)
            scenario = get_scenario(scenario_name)
            applied, present = session.in_transaction(
                lambda conn: (
                    store.applied_hashes(conn, tenant),
                    read_target(conn, scenario).tables,
                ),
                what="apply: reading the ledger and the catalog",
            )
            # Every line, every name and every pending value is checked before the first write.
            scan = scan_log(log_path, applied, checks=ValueChecks(present, scenario.entity_tables))
            scan.settle(applied)
            result = ApplyResult(
                tenant=tenant,
                scenario=scan.header.scenario,
                log_path=str(scan.path),
                log_digest=scan.digest,
                database=describe(database.url),
                run_id=None,
                elapsed_s=0.0,
            )
            for entity in scan.scenario.entity_tables:
                if scan.commands[entity]:
                    result.entities[entity] = EntityTally(
                        commands=scan.commands[entity],
                        already=scan.done[entity],
                        expected_rows=scan.rows[entity],
                        dropped=scan.dropped[entity],
                    )
            metadata = scan.scenario.metadata
            create = metadata is not None and (
                database.embedded if create_schema is None else create_schema
            )

            def prepare(conn: sa.Connection) -> Target:
                store.ensure_ledger(conn)
                store.mark_interrupted(conn, tenant)
                if create and metadata is not None:
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(hashtext('seedctl:target-ddl'))")
                    )
                    metadata.create_all(conn, checkfirst=True)
                return check_target(conn, scan.scenario, scan.shapes, scan.path)

            target = session.in_transaction(prepare, what="apply: ledger and target tables")
            if applied:
                session.in_transaction(
                    lambda conn: _warn_if_other_log(conn, scan, on_warning),
                    what="apply: the tenant's last run",
                )
            pending = scan.pending
            log.info(
                "apply_planned", tenant=tenant, log=str(log_path), pending=sum(pending.values())
            )
            if pending:
                owned = app_owned_columns(scan.scenario, scan.shapes)
                removal = session.retrying(
                    lambda: survey_removal(session, scan, target, applied),
                    what="apply: rows to remove",
                )
                if prune:
                    refuse_dependents(removal.dependents, cascade=cascade, action="apply")
                else:
                    _keep_removed(removal, scan, result, applied)
                drifted = session.retrying(
                    lambda: _drifted(
                        session, scan, target, applied=applied, pending=pending, owned=owned
                    ),
                    what="apply: drift check",
                )
                skip = _handle_drift(drifted, on_drift, result, scan)
                session.retrying(
                    lambda: _preflight_collisions(
                        session,
                        scan,
                        target=target,
                        applied=applied,
                        pending=pending,
                        max_rows=max_rows,
                    ),
                    what="apply: collision check",
                )
                run_id = _run(
                    session,
                    log_sha=log_sha,
                    scan=scan,
                    applied=applied,
                    pending=pending,
                    result=result,
                    observer=observer,
                    retry=policy,
                    max_rows=max_rows,
                    version=version,
                    target=target,
                    direct_copy=direct_copy,
                    writers=writers,
                    owned=owned,
                    skip=skip,
                    left_pending=bool(skip) or (not prune and bool(removal.digests)),
                )
                result.run_id = str(run_id)
            _check_counts(session, scan, target, result)
        finally:
            session.close()
    result.elapsed_s = time.monotonic() - started
    log.info(
        "apply_finished",
        tenant=tenant,
        run_id=result.run_id,
        written=result.written,
        elapsed_s=round(result.elapsed_s, 3),
    )
    return result


def _preflight_collisions(
    session: RunSession,
    scan: LogScan,
    *,
    target: Target,
    applied: set[bytes],
    pending: Mapping[str, int],
    max_rows: int,
) -> None:
    """Stop before the first write if any pending row collides (spec section 8's pre-seed check).

    Only tables that already hold rows can collide, so a fresh database costs one
    cheap ``EXISTS`` per table. Read-only: the stage rows go with the rollback.
    """
    tables = {scan.scenario.entity_tables[e] for e in pending}
    with session.transaction() as conn:
        occupied = {
            t
            for t in tables
            if conn.execute(
                sa.text(f"SELECT EXISTS (SELECT 1 FROM {_quoted(target.tables[t])})")
            ).scalar_one()
        }
    if not occupied:
        return
    found: list[str] = []
    with session.transaction() as conn:
        for batch in plan_batches(scan.entries(applied), applied, max_rows=max_rows):
            if batch.table not in occupied or batch.op == "delete":
                continue
            spec = target.tables[batch.table]
            resolved = None
            if batch.refs:
                resolved = _resolve(session, target, scan, batch, strict=False)
                batch.items = _collidable(batch, resolved)
                if not batch.items:
                    continue
            statements = stage_batch(session, spec, batch, resolved)
            found.extend(find_collisions(session, statements, batch, tenant=scan.header.tenant))
            conn.exec_driver_sql(f'TRUNCATE "{stage_name(spec)}"')
            if len(found) >= 5:
                break
        conn.rollback()
    session.staged.clear()  # the rollback took the stage tables it created with it
    if found:
        error = CollisionError(
            "rows with the seed's natural key exist that seedctl did not write; "
            "nothing was written:\n  " + "\n  ".join(found[:5])
        )
        error.table = found[0].split(" ", 1)[0]  # each line starts with its table
        raise error


def _drifted(
    session: RunSession,
    scan: LogScan,
    target: Target,
    *,
    applied: set[bytes],
    pending: Mapping[str, int],
    owned: Mapping[str, tuple[str, ...]],
) -> list[DriftedCommand]:
    """Pending commands whose row someone changed since the seed wrote it. Read-only.

    Only tables with pending commands and ledger rows of this tenant are looked at:
    a first apply costs one cheap query.
    """
    tables = sorted({scan.scenario.entity_tables[e] for e in pending})
    drifted: dict[str, dict[str, bool]] = {}
    with session.transaction() as conn:
        seeded = set(
            conn.execute(
                sa.text(
                    "SELECT DISTINCT table_name FROM seedctl.applied "
                    "WHERE tenant = :tenant AND table_name = ANY(:tables)"
                ),
                {"tenant": session.tenant, "tables": tables},
            ).scalars()
        )
        with session.raw.cursor() as cur:
            for table in sorted(seeded):
                rows = drifted_rows(
                    cur, target.tables[table], tenant=session.tenant, ignored=owned.get(table, ())
                )
                if rows:
                    drifted[table] = rows
    if not drifted:
        return []
    return drifted_commands(scan.entries(applied), applied, drifted)


def _handle_drift(
    drifted: list[DriftedCommand], on_drift: str, result: ApplyResult, scan: LogScan
) -> dict[str, set[str]]:
    """Fail, or count what is skipped or overwritten; the ids to skip per table."""
    if not drifted:
        return {}
    if on_drift == "fail":
        shown = "\n  ".join(
            f"{d.table} {d.row_id} ({scan.path}:{d.line})" for d in drifted[:MAX_DRIFT_SHOWN]
        )
        more = (
            f"\n  ... and {len(drifted) - MAX_DRIFT_SHOWN} more"
            if len(drifted) > MAX_DRIFT_SHOWN
            else ""
        )
        raise DriftError(
            f"{len(drifted)} pending command{'s' if len(drifted) != 1 else ''} would overwrite "
            "rows changed since the seed wrote them; nothing was written:\n  "
            + shown
            + more
            + "\nPass --on-drift overwrite to write them anyway (their before-images stay in "
            "the ledger, for audit and revert), or --on-drift skip to leave those rows as they are."
        )
    entity_of = {table: entity for entity, table in scan.scenario.entity_tables.items()}
    skip: dict[str, set[str]] = {}
    for d in drifted:
        tally = result.entities[entity_of[d.table]]
        if on_drift == "skip":
            tally.drift_skipped += 1
            if d.op == "delete":
                tally.expected_rows += 1  # the row stays as the person left it
            skip.setdefault(d.table, set()).add(d.row_id)
        else:
            tally.drift_overwritten += 1
    log.warning("apply_drift", policy=on_drift, rows=len(drifted))
    return skip if on_drift == "skip" else {}


def _keep_removed(
    removal: Removal, scan: LogScan, result: ApplyResult, applied: set[bytes]
) -> None:
    """``--no-prune``: leave every pending delete pending (the planner skips them as if
    applied; the ledger never records them), and expect their rows to stay."""
    entity_of = {table: entity for entity, table in scan.scenario.entity_tables.items()}
    for table, ids in removal.ids.items():
        tally = result.entities[entity_of[table]]
        tally.kept += len(ids)
        tally.expected_rows += len(removal.removable.get(table, ()))
    applied.update(removal.digests)


def _without(
    entries: Iterable[tuple[int, str, Command]], skip: Mapping[str, set[str]]
) -> Iterator[tuple[int, str, Command]]:
    """``entries`` less the commands ``--on-drift skip`` leaves pending."""
    if not skip:
        yield from entries
        return
    for seq, digest, command in entries:
        rows = skip.get(command.table)
        if rows is None or command.id not in rows:
            yield seq, digest, command


def _refused_a_row(error: BaseException) -> bool:
    """A check, foreign-key or data error: something about one row PostgreSQL alone judged."""
    driver = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    return isinstance(
        driver, psycopg.errors.IntegrityError | psycopg.errors.DataError
    ) and not isinstance(driver, psycopg.errors.UniqueViolation)


def _first_refused(
    writer: RunSession,
    target: Target,
    scan: LogScan,
    batch: Batch,
    *,
    tenant: str,
    run_id: str,
) -> PendingCommand | None:
    """The first command of a refused batch that PostgreSQL refuses, found by writing ever
    shorter prefixes of the batch in transactions that are rolled back (prefixes keep the
    rows a row depends on before it). Only when a batch failed: about ten tries for 1000
    rows. Writes nothing that stays."""
    spec = target.tables[batch.table]
    writer.staged.clear()  # the failed batch's rollback may have taken its stage table

    def refused(count: int) -> bool:
        part = dataclasses.replace(batch, items=batch.items[:count])
        try:
            with writer.transaction() as conn:
                # Deferred keys (Django's) would only be checked at a commit that never comes.
                conn.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
                probe = conn.begin_nested()
                try:
                    resolved = (
                        _resolve(writer, target, scan, part, strict=False) if part.refs else None
                    )
                    write_batch(writer, spec, part, tenant=tenant, run_id=run_id, resolved=resolved)
                except (sa.exc.DBAPIError, psycopg.Error) as e:
                    probe.rollback()
                    return _refused_a_row(e)
                except SeedctlError:
                    probe.rollback()
                    return False
                probe.rollback()
                return False
        finally:
            writer.staged.clear()  # the rollback took any stage table it created

    low, high = 1, len(batch.items)
    if not refused(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if refused(middle):
            high = middle
        else:
            low = middle + 1
    return batch.items[low - 1]


def _collidable(batch: Batch, resolved: Resolved) -> list[PendingCommand]:
    """The batch's rows that can collide before the rows they refer to are written.

    A reference not resolved yet (its row is pending too) stands in as NULL: the
    collision check reads only the natural key. If the natural key itself holds such
    a reference, no row can have it yet, so the row cannot collide and is left out.
    """
    keep = []
    for item in batch.items:
        refs = item.command.refs
        missing = [c for c, r in refs.items() if r.id not in resolved.get(c, {})]
        if any(c in batch.conflict for c in missing):
            continue
        for column in missing:
            resolved.setdefault(column, {})[refs[column].id] = None
        keep.append(item)
    return keep


def _quoted(spec: TableSpec) -> str:
    return qualified(spec).as_string(None)


def _resolve(
    session: RunSession, target: Target, scan: LogScan, batch: Batch, *, strict: bool
) -> Resolved:
    """The batch's references, in the caller's transaction; ``strict``: every one or an
    :class:`UnknownNameError` naming the first that this tenant's seed has not written."""
    with session.raw.cursor() as cur:
        resolved = resolve_references(
            cur, target.tables, scan.scenario.entity_tables, batch, tenant=session.tenant
        )
    if strict:
        missing = unresolved(batch, resolved)
        if missing:
            seq, column, entity, ref_id = missing[0]
            raise UnknownNameError(
                f"{scan.path}:{seq + 1}: {batch.table}.{column} refers to {entity} {ref_id}, "
                f"which this tenant's seed has not written ({len(missing)} such references "
                "in this batch); nothing from this batch was written"
            )
    return resolved


def _run(
    session: RunSession,
    *,
    log_sha: str,
    scan: LogScan,
    applied: set[bytes],
    pending: Mapping[str, int],
    result: ApplyResult,
    observer: ApplyObserver | None,
    retry: RetryPolicy,
    max_rows: int,
    version: str,
    target: Target,
    direct_copy: bool,
    writers: int,
    owned: Mapping[str, tuple[str, ...]],
    skip: Mapping[str, set[str]],
    left_pending: bool,
) -> uuid.UUID:
    run_id = session.in_transaction(
        lambda conn: store.start_run(
            conn,
            tenant=result.tenant,
            kind="apply",
            version=version,
            log_digest=scan.digest,
            log_file_sha256=log_sha,
            scenario=scan.header.scenario,
            params=_current_params(scan),
        ),
        what="apply: recording the run",
    )
    tenant = result.tenant
    log.info("run_started", run_id=str(run_id), tenant=tenant)
    if observer:
        observer.started(pending)
    totals: Counter[str] = Counter()
    # Tables whose batches go through the upsert statement for the rest of the run.
    upsert_only: set[str] = set() if direct_copy else set(target.tables)
    run = str(run_id)

    def attempt(writer: RunSession, batch: Batch, rows: NewRows | None) -> Counter[str]:
        spec = target.tables[batch.table]
        if batch.op == "delete":
            with writer.transaction():
                return delete_batch(writer, spec, batch, tenant=tenant, run_id=run)
        if rows is not None and batch.table not in upsert_only:
            try:
                with writer.transaction():
                    return insert_new_batch(writer, spec, batch, rows, tenant=tenant, run_id=run)
            except (psycopg.errors.IntegrityError, psycopg.errors.DataError):
                # Not all new (a rerun, an update, a collision): the upsert path
                # handles it exactly, and keeps this table for the rest of the run.
                upsert_only.add(batch.table)
                log.debug("direct_copy_fell_back", table=batch.table)
        with writer.transaction():
            resolved = _resolve(writer, target, scan, batch, strict=True) if batch.refs else None
            return write_batch(writer, spec, batch, tenant=tenant, run_id=run, resolved=resolved)

    def write(writer: RunSession, batch: Batch, rows: NewRows | None) -> Counter[str]:
        try:
            return with_retry(
                lambda: attempt(writer, batch, rows),
                policy=retry,
                what=f"batch {batch.table}",
                on_retry=writer.reconnect,
            )
        except (sa.exc.DBAPIError, psycopg.Error) as e:
            translated = translate_write_error(
                e, table=batch.table, first_seq=batch.items[0].seq, retry_window=retry.window
            )
            if translated is None:
                raise
            if _refused_a_row(e):
                culprit = _first_refused(writer, target, scan, batch, tenant=tenant, run_id=run)
                if culprit is not None:
                    translated = SeedctlError(
                        f"{scan.path}:{culprit.seq + 1}: {batch.table} {culprit.command.key}: "
                        f"{translated}"
                    )
                    translated.table = batch.table
            raise translated from e

    def done(batch: Batch, outcome: Counter[str]) -> None:
        tally = result.entities[batch.entity]
        for name in OUTCOMES:
            setattr(tally, name, getattr(tally, name) + outcome[name])
        totals.update(outcome)
        log.debug("batch_applied", table=batch.table, rows=len(batch.items), **dict(outcome))
        if observer:
            observer.advanced(batch.entity, len(batch.items))

    # The extra writers hold no lock of their own: they only write while this run's
    # session holds the tenant lock, and stop when it fails.
    extra = [session.sibling() for _ in range(writers - 1)]
    dispatcher: Dispatcher[RunSession, NewRows | None, Counter[str]] = Dispatcher(
        [session, *extra], write, done, self_referencing=target.self_referencing
    )
    try:
        batches = plan_batches(
            _without(scan.entries(applied), skip),
            applied,
            max_rows=max_rows,
            app_owned=owned,
        )
        encode = NewRowsEncoder(target)
        for batch, rows in prefetch((b, encode(b)) for b in batches):
            dispatcher.submit(batch, rows)
        dispatcher.drain()
    except BaseException as e:
        dispatcher.close()
        # Ctrl-C is not a failure of the run: like kill -9, a rerun resumes it.
        status = "interrupted" if isinstance(e, KeyboardInterrupt) else "failed"
        _finish(session, run_id, status, totals)
        raise
    finally:
        for writer in extra:
            writer.close()
        if observer:
            observer.finished()
    _finish(session, run_id, "succeeded", totals, scan, left_pending=left_pending)
    return run_id


def _finish(
    session: RunSession,
    run_id: uuid.UUID,
    status: str,
    totals: Counter[str],
    scan: LogScan | None = None,
    *,
    left_pending: bool = False,
) -> None:
    counts: dict[str, object] = dict(totals)

    def mark(conn: sa.Connection) -> None:
        if scan is not None:
            # What a later rerun of this very file needs to know it has nothing to do
            # (never after --on-drift skip: the skipped commands are still pending).
            counts["commands"] = dict(scan.commands)
            # JSONB keeps no key order: the no-op rerun lists entities in this one.
            counts["entity_order"] = list(scan.scenario.entity_tables)
            counts["rows"] = dict(scan.rows)
            if not left_pending:
                counts["ledger_rows"] = store.applied_count(conn, session.tenant)
        store.finish_run(conn, run_id, status=status, counts=counts)

    if status == "succeeded":
        session.in_transaction(mark, what="apply: recording the run's end")
        return
    try:
        # Once, not retried: the run is failing already, often because the server is gone.
        with session.transaction() as conn:
            mark(conn)
    except (sa.exc.SQLAlchemyError, psycopg.Error, SeedctlError):
        # The next apply or revert marks it interrupted once it holds the tenant lock.
        log.warning("could_not_mark_run_failed", run_id=str(run_id))


def _nothing_to_do(
    last: LastApply, log_path: Path, tenant: str, database: str, started: float
) -> ApplyResult:
    if last.entity_order is None:  # a run before entity_order was recorded
        order = list(get_scenario(last.scenario).entity_tables) if last.scenario else []
        last = dataclasses.replace(last, entity_order=order)
    return nothing_to_do(last, log_path, tenant, database, started)


def _check_counts(session: RunSession, scan: LogScan, target: Target, result: ApplyResult) -> None:
    """Spec section 8's post-seed check: every row the log names is in the database."""

    def count(conn: sa.Connection) -> None:
        for entity, tally in result.entities.items():
            spec = target.tables[scan.scenario.entity_tables[entity]]
            query = psycopg.sql.SQL(
                "SELECT count(*) FROM {target} t WHERE ({key}) IN (SELECT {ledger_key} "
                "FROM seedctl.applied a WHERE a.tenant = %(tenant)s AND a.table_name = %(table)s "
                "AND a.entity = %(entity)s)"
            ).format(
                target=qualified(spec),
                key=psycopg.sql.SQL(", ").join(primary_key(spec)),
                ledger_key=psycopg.sql.SQL(", ").join(ledger_key(spec)),
            )
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor() as cur:
                # table_name lets the ledger's row index find the entries of small tables.
                cur.execute(query, {"tenant": result.tenant, "table": spec.name, "entity": entity})
                row = cur.fetchone()
                tally.found_rows = int(str(row[0])) if row else 0

    session.in_transaction(count, what="apply: post-seed check")
    lines = []
    for entity, tally in result.entities.items():
        found = tally.found_rows or 0
        if found < tally.expected_rows:
            lines.append(
                f"{entity}: {tally.expected_rows - found} missing (the log names "
                f"{tally.expected_rows}, the table holds {found} of them)"
            )
        elif found > tally.expected_rows:
            lines.append(
                f"{entity}: {found - tally.expected_rows} extra (the log names "
                f"{tally.expected_rows}, the ledger holds {found} seeded rows of tenant "
                f"{result.tenant}: rows from another log, e.g. a larger --scale)"
            )
    if lines:
        extra_only = all(" extra " in line for line in lines)
        raise VerificationFailedError(
            "post-seed check failed: "
            + (
                "the database holds seeded rows this log does not name (applied earlier from "
                "another log of the same tenant; `seedctl revert` then apply, or apply that "
                "log)"
                if extra_only
                else "the database does not hold every row the log names"
            )
            + ":\n  "
            + "\n  ".join(lines)
        )


def _current_params(scan: LogScan) -> dict[str, JsonScalar]:
    """The params of what the log makes now: its last generation's (format 1: the header's)."""
    return dict(scan.generations[-1].params if scan.generations else scan.header.params)


def _warn_if_other_log(
    conn: sa.Connection, scan: LogScan, on_warning: Callable[[str, str], None] | None
) -> None:
    """Warn, before any write, when the tenant's last apply used another seed or scale.

    A later generation of the same log (another ``--as-of`` or ``--scale``) is the
    normal update and stays quiet: its deletes remove what it no longer makes. Another
    seed, scale or scenario in a log of its own means the ledger holds rows this log
    does not name. Read-only.
    """
    last = store.last_apply_run(conn, scan.header.tenant)
    if last is None or not isinstance(last.params, dict):
        return
    if any(dict(g.params) == last.params for g in scan.generations):
        return
    now = _current_params(scan)
    differs = {
        k: (last.params.get(k), now.get(k))
        for k in sorted(set(last.params) | set(now))
        if k != "as_of" and last.params.get(k) != now.get(k)
    }
    if not differs and (last.scenario or scan.header.scenario) == scan.header.scenario:
        return
    was = ", ".join(f"{k}={a}" for k, (a, _) in differs.items())
    is_ = ", ".join(f"{k}={b}" for k, (_, b) in differs.items())
    text = (
        f"tenant {scan.header.tenant} was last applied (run {last.run_id}) from another log: "
        f"{was} (digest {str(last.log_digest)[:12]}...), this log has {is_} "
        f"(digest {scan.digest[:12]}...); rows only the other log names stay, and the "
        "post-seed check will count them as extra"
    )
    if on_warning is not None:
        on_warning("tenant_last_applied_from_another_log", text)
    else:
        log.warning("tenant_last_applied_from_another_log", tenant=scan.header.tenant, message=text)
