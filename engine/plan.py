"""``plan``: the spec's dry run (section 10). What apply would do, batch by batch, writing nothing.

The same planner as apply cuts the pending commands into the same batches; each
batch is compared with the database by one read-only SELECT (engine/plan_sql.py)
that classifies every row as apply's upsert would: would-insert, would-update,
unchanged or would-collide. Every query runs in one READ ONLY transaction
(engine/readonly.py), so the server itself guarantees the database is untouched;
the markdown report is a file, not a database write.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from engine.allowlist import TableSpec
from engine.batch_sql import updatable_columns
from engine.database import describe, resolve_database
from engine.log_scan import LogScan, iter_entries, scan_log
from engine.plan_report import write_plan_report
from engine.plan_sql import build_compare_sql
from engine.planner import MAX_BATCH_ROWS, Batch, plan_batches
from engine.readonly import driver_connection, read_only_transaction
from engine.target_check import read_target_schema
from ledger import store
from ledger.commands import JsonScalar, canonical_bytes
from ledger.errors import UnknownNameError
from ledger.logfile import LogReader

__all__ = ["EntityPlan", "PlanResult", "plan_log"]

MAX_COLLISION_SAMPLES = 5


@dataclass
class EntityPlan:
    """Per entity: commands in the log, already applied, pending, and what apply would do."""

    table: str
    commands: int = 0
    applied: int = 0
    pending: int = 0
    would_insert: int = 0
    would_update: int = 0
    unchanged: int = 0
    would_collide: int = 0
    batches: int = 0

    def count(self, outcome: str) -> None:
        """Add one row with ``outcome`` (insert, update, unchanged or collide)."""
        name = {"insert": "would_insert", "update": "would_update", "collide": "would_collide"}
        attribute = name.get(outcome, outcome)
        setattr(self, attribute, getattr(self, attribute) + 1)


@dataclass
class PlanResult:
    """The dry run: per-entity counts, batches, and what a user should know before applying."""

    tenant: str
    scenario: str
    params: dict[str, JsonScalar]
    log_path: str
    log_digest: str
    database: str
    embedded: bool
    environment: str | None
    ledger_exists: bool
    batch_size: int
    missing_tables: list[str] = field(default_factory=list)
    entities: dict[str, EntityPlan] = field(default_factory=dict)
    batches: int = 0
    collisions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    report_path: str | None = None

    @property
    def pending(self) -> int:
        return sum(e.pending for e in self.entities.values())

    @property
    def would_write(self) -> int:
        """Rows apply would insert or update (none at all if any row collides)."""
        return sum(e.would_insert + e.would_update for e in self.entities.values())

    @property
    def would_collide(self) -> int:
        return sum(e.would_collide for e in self.entities.values())


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
        tenant = reader.header.tenant
    database = resolve_database(database_url)
    with read_only_transaction(database.url, application_name="seedctl plan") as conn:
        applied = store.applied_hashes(conn, tenant)
        # Every line and every name is checked before the first comparison.
        scan = scan_log(log_path, applied)
        result = PlanResult(
            tenant=tenant,
            scenario=scan.header.scenario,
            params=dict(scan.header.params),
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
                    pending=scan.commands[entity] - scan.done[entity],
                )
        result.missing_tables = _missing_tables(conn, scan)
        if result.pending:
            _compare_batches(conn, scan, applied, result, max_rows)
    result.notes = _notes(result)
    if report_path is not None:
        result.report_path = str(write_plan_report(result, report_path))
    return result


def _missing_tables(conn: sa.Connection, scan: LogScan) -> list[str]:
    """Target tables not in the database yet. A table lacking a column is apply's error too."""
    gaps = read_target_schema(conn, scan.scenario.metadata)
    if gaps.missing_columns:
        raise UnknownNameError(
            "the database's tables do not match the scenario's target schema ("
            + "; ".join(f"column {name} is missing" for name in gaps.missing_columns[:5])
            + "); apply would refuse too"
        )
    return [name.split(".", 1)[1] for name in gaps.missing_tables]


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
    for _, digest, command in iter_entries(scan.path, scan.digest):
        if bytes.fromhex(digest) not in applied:
            counts[hash((command.table, command.id))] += 1
    return counts


def _compare_batches(
    conn: sa.Connection, scan: LogScan, applied: set[bytes], result: PlanResult, max_rows: int
) -> None:
    projection = _Projection(_touches(scan, applied))
    missing = set(result.missing_tables)
    for batch in plan_batches(iter_entries(scan.path, scan.digest), applied, max_rows=max_rows):
        entity = result.entities[batch.entity]
        entity.batches += 1
        result.batches += 1
        if batch.table in missing:
            outcomes = _classify_without_table(batch, projection)
        else:
            outcomes = _classify(conn, scan.allow.tables[batch.table], batch, projection)
        for outcome, description in outcomes:
            entity.count(outcome)
            if description and len(result.collisions) < MAX_COLLISION_SAMPLES:
                result.collisions.append(description)


def _classify(
    conn: sa.Connection, spec: TableSpec, batch: Batch, projection: _Projection
) -> list[tuple[str, str | None]]:
    """Outcome per row of one batch, by one read-only SELECT against the database."""
    ids = [item.command.id for item in batch.items]
    params = {
        "rows": canonical_bytes([item.command.values for item in batch.items]).decode(),
        "overlay": "[" + ",".join(projection.overlay(batch.table, ids)) + "]",
        "tracked": projection.tracked(batch.table, ids),
    }
    with driver_connection(conn).cursor() as cur:
        cur.execute(build_compare_sql(spec, batch), params)
        rows = cur.fetchall()
    outcomes: list[tuple[str, str | None]] = []
    for row_id, outcome, other_id, key_text, image in rows:
        projection.touched(batch.table, str(row_id), None if image is None else str(image))
        description = None
        if outcome == "collide":
            description = (
                f"{batch.table} {key_text}: existing id {other_id}, seed id {row_id}"
                if other_id is not None
                else f"{batch.table} id {row_id}: held by a row with another natural key"
            )
        outcomes.append((str(outcome), description))
    return outcomes


def _classify_without_table(batch: Batch, projection: _Projection) -> list[tuple[str, str | None]]:
    """Outcome per row when the table does not exist yet: insert, unless an earlier batch
    of this dry run would have inserted the row; then its JSON values are compared."""
    updatable = updatable_columns(batch)
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
    if result.environment == "production":
        notes.append(
            "This database is marked production: apply refuses without --allow-production."
        )
    return notes
