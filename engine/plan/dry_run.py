"""``plan``: the spec's dry run (section 10). What apply would do, batch by batch, writing nothing.

The same planner as apply cuts the pending commands into the same batches; each
batch is compared with the database by one read-only SELECT (engine/plan/compare_sql.py)
that classifies every row as apply's upsert would: would-insert, would-update,
unchanged or would-collide. Every query runs in one READ ONLY transaction
(engine/db/readonly.py), so the server itself guarantees the database is untouched;
the markdown report is a file, not a database write.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from seedctl.engine.db import describe, driver_connection, read_only_transaction, resolve_database
from seedctl.engine.pending import (
    MAX_BATCH_ROWS,
    Batch,
    LogScan,
    drifted_commands,
    drifted_rows,
    plan_batches,
    removable_rows,
    resolve_references,
    scan_log,
)
from seedctl.engine.plan.compare_sql import build_compare_sql
from seedctl.engine.plan.report import write_plan_report
from seedctl.engine.plan.result import EntityPlan, PlanResult
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import (
    Doomed,
    TableSpec,
    Target,
    ValueChecks,
    app_owned_columns,
    check_shapes,
    find_dependents,
    read_target,
)
from seedctl.ledger import BadValueError, LogReader, UnknownNameError, canonical_bytes, store

__all__ = ["plan_log"]

MAX_COLLISION_SAMPLES = 5


def plan_log(
    log_path: Path,
    *,
    database_url: str | None = None,
    report_path: Path | None = None,
    max_rows: int = MAX_BATCH_ROWS,
) -> PlanResult:
    """What applying ``log_path`` would do. Read-only on the database; writes only the report.

    Every query runs in one READ ONLY, REPEATABLE READ transaction that is rolled
    back, so the database cannot change, not even by a temp table. If
    ``report_path`` is given, the markdown report is written there (parent
    directories created).
    """
    with LogReader(log_path) as reader:
        tenant, scenario_name = reader.header.tenant, reader.header.scenario
    database = resolve_database(database_url)
    with read_only_transaction(database.url, application_name="seedctl plan") as conn:
        applied = store.applied_hashes(conn, tenant)
        # Every line and every name is checked before the first comparison.
        scenario = get_scenario(scenario_name)
        present = read_target(conn, scenario).tables
        try:
            scan = scan_log(log_path, applied, checks=ValueChecks(present, scenario.entity_tables))
        except (UnknownNameError, BadValueError) as e:
            raise type(e)(f"{e} (apply would refuse too)") from e
        scan.settle(applied)
        result = PlanResult(
            tenant=tenant,
            scenario=scan.header.scenario,
            # What the log makes now: its last generation's params (format 1: the header's).
            params=dict(scan.generations[-1].params if scan.generations else scan.header.params),
            log_path=str(scan.path),
            log_digest=scan.digest,
            database=describe(database.url),
            embedded=database.embedded,
            environment=store.get_environment(conn),
            ledger_exists=store.ledger_exists(conn),
            batch_size=max_rows,
        )
        for entity, table in scan.scenario.entity_tables.items():
            if scan.commands[entity]:
                result.entities[entity] = EntityPlan(
                    table=table,
                    commands=scan.commands[entity],
                    applied=scan.done[entity],
                    pending=scan.pending.get(entity, 0),
                )
        target = _target(conn, scan)
        result.missing_tables = [name.rsplit(".", 1)[-1] for name in target.missing_tables]
        if result.pending:
            _compare_batches(
                conn, scan, target=target, applied=applied, result=result, max_rows=max_rows
            )
            if result.ledger_exists:
                result.drifted = _drifted(conn, scan, target, applied)
            if result.removed:
                result.dependents = _dependents(conn, target, tenant, result.removed)
    result.notes = _notes(result)
    if report_path is not None:
        result.report_path = str(write_plan_report(result, report_path))
    return result


def _dependents(
    conn: sa.Connection, target: Target, tenant: str, removed: dict[str, list[str]]
) -> list[str]:
    """Rows outside the ledger the removals would delete, change or trip over, as text."""
    with driver_connection(conn).cursor() as cur:
        found = find_dependents(
            cur, [target.tables[t] for t in removed], Doomed.removing(tenant, removed)
        )
    return [
        f"{d.table}: {d.rows} row{'s' if d.rows != 1 else ''} ({d.key}, on delete {d.action}) "
        f"{'refer to' if d.depth == 1 else 'go with rows of'} {d.parent}"
        for d in found
    ]


def _removable(conn: sa.Connection, target: Target, batch: Batch, tenant: str) -> list[str]:
    """The rows of a batch of deletes that apply would remove (the seed wrote them)."""
    with driver_connection(conn).cursor() as cur:
        ids = [item.command.id for item in batch.items]
        return removable_rows(cur, target.tables[batch.table], ids, tenant=tenant)


def _target(conn: sa.Connection, scan: LogScan) -> Target:
    """The target tables; those missing are listed, whatever else is wrong is apply's error
    too and raised as apply raises it."""
    target = read_target(conn, scan.scenario)
    try:
        check_shapes(target.tables, scan.scenario.entity_tables, scan.shapes, scan.path)
    except UnknownNameError as e:
        raise UnknownNameError(f"{e} (apply would refuse too)") from e
    return target


class _Projection:
    """Rows an earlier batch of this dry run would have written, for later batches touching them.

    Only rows touched by two or more pending commands are tracked (an older log
    generation and an appended one, both pending), and each is dropped after its
    last touch, so memory follows the repeats, not the log.
    """

    def __init__(self, touches: Counter[int]) -> None:
        # Keyed by Python's hash of (table, id), as in log_scan: it never leaves this
        # process, and a rare clash only keeps one image longer than needed.
        self._remaining = {row: n for row, n in touches.items() if n > 1}
        self._images: dict[tuple[str, str], str] = {}

    def overlay(self, table: str, ids: Iterable[str]) -> list[str]:
        return [self._images[(table, i)] for i in ids if (table, i) in self._images]

    def image(self, table: str, row_id: str) -> str | None:
        return self._images.get((table, row_id))

    def tracked(self, table: str, ids: Iterable[str]) -> list[str]:
        """Ids whose image a later batch will need."""
        return [i for i in ids if self._remaining.get(hash((table, i)), 0) > 1]

    def touched(self, table: str, row_id: str, image: str | None) -> None:
        """One pending command on the row is accounted for; keep its image if another follows."""
        row, key = (table, row_id), hash((table, row_id))
        left = self._remaining.get(key, 0) - 1
        if left > 0 and image is not None:
            self._remaining[key] = left
            self._images[row] = image
        else:
            self._remaining.pop(key, None)
            self._images.pop(row, None)


def _touches(scan: LogScan, applied: set[bytes]) -> Counter[int]:
    """How many pending commands touch each row: a first pass, before any batch is compared."""
    counts: Counter[int] = Counter()
    for _, digest, command in scan.entries(applied):
        if bytes.fromhex(digest) not in applied:
            counts[hash((command.table, command.id))] += 1
    return counts


def _compare_batches(
    conn: sa.Connection,
    scan: LogScan,
    *,
    target: Target,
    applied: set[bytes],
    result: PlanResult,
    max_rows: int,
) -> None:
    projection = _Projection(_touches(scan, applied))
    missing = set(result.missing_tables)
    for batch in plan_batches(scan.entries(applied), applied, max_rows=max_rows):
        entity = result.entities[batch.entity]
        entity.batches += 1
        result.batches += 1
        if batch.op == "delete":
            removed = (
                _removable(conn, target, batch, result.tenant) if batch.table not in missing else []
            )
            entity.would_delete += len(removed)
            result.removed.setdefault(batch.table, []).extend(removed)
            continue
        if batch.table in missing:
            outcomes = _classify_without_table(batch, projection)
        else:
            outcomes = _classify(conn, scan, target, batch, projection)
        for outcome, description in outcomes:
            entity.count(outcome)
            if description and len(result.collisions) < MAX_COLLISION_SAMPLES:
                result.collisions.append(description)


def _classify(
    conn: sa.Connection, scan: LogScan, target: Target, batch: Batch, projection: _Projection
) -> list[tuple[str, str | None]]:
    """Outcome per row of one batch, by one read-only SELECT against the database.

    A reference to a row not written yet (its parent is pending too) compares as NULL;
    where the natural key holds such a reference, the row is an insert: nothing in the
    database can hold that key yet.
    """
    spec: TableSpec = target.tables[batch.table]
    ledger = store.ledger_exists(conn)
    outcomes: list[tuple[str, str | None]] = []
    held_by = "existing id" if spec.by_id(batch.columns) else "existing row"
    documents: list[dict[str, object]] = []
    ids: list[str] = []
    with driver_connection(conn).cursor() as cur:
        resolved = (
            resolve_references(
                cur, target.tables, scan.scenario.entity_tables, batch, tenant=scan.header.tenant
            )
            if batch.refs and ledger
            else {}
        )
        for item in batch.items:
            values = item.command.values
            refs = item.command.refs
            if refs:
                known = {c: resolved.get(c, {}).get(r.id) for c, r in refs.items()}
                if any(known[c] is None for c in batch.conflict if c in known):
                    # Its natural key refers to a row not written yet: nothing holds it.
                    projection.touched(batch.table, item.command.id, None)
                    outcomes.append(("insert", None))
                    continue
                values = {**values, **known}
            documents.append({"row": item.command.id, "values": values})
            ids.append(item.command.id)
        if not documents:
            return outcomes
        params = {
            "rows": canonical_bytes(documents).decode(),
            "overlay": "[" + ",".join(projection.overlay(batch.table, ids)) + "]",
            "tracked": projection.tracked(batch.table, ids),
            "tenant": scan.header.tenant,
            "table": batch.table,
        }
        cur.execute(build_compare_sql(spec, batch, ledger=ledger), params)
        rows = cur.fetchall()
    for row_id, outcome, other_id, key_text, image in rows:
        projection.touched(batch.table, str(row_id), None if image is None else str(image))
        description = None
        if outcome == "collide":
            description = (
                f"{batch.table} {key_text}: {held_by} {other_id}, seed id {row_id}"
                if other_id is not None
                else f"{batch.table} id {row_id}: held by a row with another natural key"
            )
        outcomes.append((str(outcome), description))
    return outcomes


def _classify_without_table(batch: Batch, projection: _Projection) -> list[tuple[str, str | None]]:
    """Outcome per row when the table does not exist yet: insert, unless an earlier batch
    of this dry run would have inserted the row; then its JSON values are compared."""
    updatable = batch.updatable
    outcomes: list[tuple[str, str | None]] = []
    for item in batch.items:
        values = item.command.values
        earlier = projection.image(batch.table, item.command.id)
        if earlier is None:
            outcome, image = "insert", dict(values)
        else:
            image = json.loads(earlier)
            changed = any(image.get(c) != values[c] for c in updatable)
            outcome = "update" if changed else "unchanged"
            image.update({c: values[c] for c in updatable})
        projection.touched(batch.table, item.command.id, canonical_bytes(image).decode())
        outcomes.append((outcome, None))
    return outcomes


def _drifted(conn: sa.Connection, scan: LogScan, target: Target, applied: set[bytes]) -> list[str]:
    """Pending commands that would overwrite rows changed since the seed wrote them."""
    owned = app_owned_columns(scan.scenario, scan.shapes)
    drifted: dict[str, dict[str, bool]] = {}
    with driver_connection(conn).cursor() as cur:
        for entity in scan.pending:
            table = scan.scenario.entity_tables[entity]
            if table in target.tables and table not in drifted:
                rows = drifted_rows(
                    cur,
                    target.tables[table],
                    tenant=scan.header.tenant,
                    ignored=owned.get(table, ()),
                )
                if rows:
                    drifted[table] = rows
    if not drifted:
        return []
    found = drifted_commands(scan.entries(applied), applied, drifted)
    return [f"{d.table} {d.row_id} ({scan.path}:{d.line})" for d in found]


def _notes(result: PlanResult) -> list[str]:
    """What a user should know before applying, as sentences."""
    notes: list[str] = []
    if not result.pending:
        notes.append("Nothing is pending: apply would write nothing.")
    if not result.ledger_exists:
        notes.append("The ledger schema seedctl does not exist yet: apply creates it first.")
    if result.missing_tables:
        where = (
            "apply creates them on this embedded database"
            if result.embedded
            else "apply creates them only with --create-schema and refuses otherwise"
        )
        notes.append(
            f"Target tables {', '.join(result.missing_tables)} do not exist yet: {where}; "
            "every pending row of them counts as would-insert."
        )
    if result.would_collide:
        notes.append(
            f"{result.would_collide} pending rows collide with rows seedctl did not write: "
            "apply would stop before writing anything."
        )
    if result.drifted:
        notes.append(
            f"{len(result.drifted)} pending commands would overwrite rows changed since the "
            "seed wrote them: apply stops before writing (--on-drift skip or overwrite decides)."
        )
    if result.would_delete:
        notes.append(
            f"{result.would_delete} rows the log's last generation no longer makes would be "
            "removed (this tenant's seed wrote them; their images stay in the ledger for "
            "revert); apply --no-prune keeps them."
        )
    if result.dependents:
        notes.append(
            f"{len(result.dependents)} groups of rows seedctl did not write hang on rows apply "
            "would remove: apply stops before writing (exit 12) unless --cascade or --no-prune."
        )
    if result.environment == "production":
        notes.append(
            "This database is marked production: apply refuses without --allow-production."
        )
    return notes
