"""``verify``: prove the database holds what the log and the ledger say it should.

Four checks, all read-only (one READ ONLY transaction, engine/db/readonly.py):

- counts (spec section 8): per entity, the rows the ledger recorded for the
  tenant that are still in the table, against the scenario's ``expected_counts``
  for the params of the log's last generation, or against the log's rows when the log
  was appended with other params than its header's;
- drift: every seeded row still equals its last applied image (the newest
  ``seedctl.applied`` entry for it); a deleted row is a difference too;
- pending: every command of the log is in the ledger;
- integrity: every foreign key of the target schema finds its parent row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from seedctl.engine.db import describe, driver_connection, read_only_transaction, resolve_database
from seedctl.engine.pending import LogScan, scan_log
from seedctl.engine.scenarios import ScenarioParams
from seedctl.engine.target import TableSpec, app_owned_columns, read_target
from seedctl.engine.verify.queries import dangling_sql, drift_sql, seeded_rows_sql
from seedctl.ledger import LogReader, VerificationFailedError, store

__all__ = ["KINDS", "Difference", "EntityCheck", "VerifyResult", "verify_log"]

KINDS = ("count", "pending", "missing", "changed", "dangling-fk")
"""Every kind of difference, in the order they are reported."""


@dataclass(frozen=True)
class Difference:
    """One way the database differs from the log and ledger; ``row_id`` None for a whole entity."""

    entity: str
    table: str
    row_id: str | None
    kind: str
    detail: str
    columns: tuple[str, ...] = ()


@dataclass
class EntityCheck:
    """Per entity: what the log holds, what is expected, what the database holds."""

    table: str
    commands: int
    pending: int
    log_rows: int
    scenario_rows: int | None
    expected_rows: int
    seeded_rows: int = 0
    found_rows: int = 0


@dataclass
class VerifyResult:
    """Every difference found: the first ``max_differences`` in full, all of them counted."""

    tenant: str
    scenario: str
    log_path: str
    log_digest: str
    database: str
    expected_from: str
    entities: dict[str, EntityCheck] = field(default_factory=dict)
    foreign_keys: int = 0
    notes: list[str] = field(default_factory=list)
    difference_counts: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.difference_counts

    @property
    def truncated(self) -> bool:
        return len(self.differences) < sum(self.difference_counts.values())

    def raise_if_failed(self) -> None:
        """Raise :class:`VerificationFailedError` (exit 8) summing up the differences, if any."""
        if self.ok:
            return
        kinds = ", ".join(f"{n} {kind}" for kind, n in self.difference_counts.items())
        total = sum(self.difference_counts.values())
        raise VerificationFailedError(
            f"verification failed for tenant {self.tenant}: "
            f"{total} difference{'' if total == 1 else 's'} ({kinds})"
        )


def verify_log(
    log_path: Path, *, database_url: str | None = None, max_differences: int = 1000
) -> VerifyResult:
    """Check the database against ``log_path`` and the tenant's ledger. Read-only: writes nothing.

    Returns every difference found; :meth:`VerifyResult.raise_if_failed` turns
    them into :class:`VerificationFailedError`. ``max_differences`` bounds how
    many are listed in full (all are counted).
    """
    with LogReader(log_path) as reader:
        tenant = reader.header.tenant
    database = resolve_database(database_url)
    with read_only_transaction(database.url, application_name="seedctl verify") as conn:
        scan = scan_log(log_path, store.applied_hashes(conn, tenant))
        expected = _expected_counts(scan)
        result = VerifyResult(
            tenant=tenant,
            scenario=scan.header.scenario,
            log_path=str(scan.path),
            log_digest=scan.digest,
            database=describe(database.url),
            expected_from=expected.source,
            notes=[expected.note] if expected.note else [],
        )
        checker = _Checker(conn, scan, tenant, max_differences)
        for entity, table in scan.scenario.entity_tables.items():
            scenario_rows = expected.scenario.get(entity)
            if scan.commands[entity] or scenario_rows:
                result.entities[entity] = checker.check_entity(
                    entity, table, scenario_rows, expected.chosen.get(entity, 0)
                )
        result.foreign_keys = checker.check_foreign_keys()
    counts = checker.differences.counts
    result.difference_counts = {k: counts[k] for k in KINDS if counts[k]}
    result.differences = checker.differences.items
    return result


@dataclass(frozen=True)
class _Expected:
    """Expected rows per entity: the scenario's, the ones chosen, where they came from and why."""

    scenario: Mapping[str, int]
    chosen: Mapping[str, int]
    source: str
    note: str | None = None


def _expected_counts(scan: LogScan) -> _Expected:
    log_rows = {e: scan.rows[e] for e in scan.scenario.entity_tables if scan.rows[e]}
    # The last generation's params say what the log makes now (format 1: the header's).
    given = scan.generations[-1].params if scan.generations else scan.header.params
    params = _header_params(given)
    if params is None:
        return _Expected(
            {},
            log_rows,
            "log",
            "the log header's params are incomplete; expected counts are the log's distinct rows",
        )
    scenario_rows = {e: n for e, n in scan.scenario.expected_counts(params).items() if n}
    if scenario_rows == log_rows:
        return _Expected(scenario_rows, scenario_rows, "scenario")
    described = ", ".join(f"{k}={v}" for k, v in sorted(given.items()))
    return _Expected(
        scenario_rows,
        log_rows,
        "log",
        f"the log's distinct rows differ from what scenario {scan.header.scenario} gives for "
        f"its last generation's params ({described}): it was appended with other params, so the "
        "expected counts are the log's distinct rows",
    )


def _header_params(params: Mapping[str, Any]) -> ScenarioParams | None:
    try:
        return ScenarioParams(
            seed=str(params["seed"]),
            as_of=dt.date.fromisoformat(str(params["as_of"])),
            scale=int(params.get("scale", 1)),
        )
    except (KeyError, TypeError, ValueError):
        return None


class _Differences:
    """Differences up to a limit, and a count of every one, per kind."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[Difference] = []
        self.counts: Counter[str] = Counter()

    @property
    def room(self) -> int:
        return max(self.limit - len(self.items), 0)

    def add(self, kind: str, found: list[Difference], total: int) -> None:
        """``total`` rows of ``kind`` differ; ``found`` lists the first of them."""
        self.counts[kind] += total
        self.items.extend(found[: self.room])


class _Checker:
    """The checks of one verify run, sharing its read-only connection and differences."""

    def __init__(self, conn: sa.Connection, scan: LogScan, tenant: str, limit: int) -> None:
        self.conn = conn
        self.scan = scan
        self.tenant = tenant
        self.differences = _Differences(limit)
        self.ledger = store.ledger_exists(conn)
        self.tables = read_target(conn, scan.scenario).tables
        self.existing = set(self.tables)
        self.app_owned = app_owned_columns(scan.scenario, scan.shapes)

    def _fetch(self, statement: Any, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        with driver_connection(self.conn).cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()

    def check_entity(
        self, entity: str, table: str, scenario_rows: int | None, expected_rows: int
    ) -> EntityCheck:
        """Counts, drift and pending commands of one entity."""
        check = EntityCheck(
            table=table,
            commands=self.scan.commands[entity],
            pending=self.scan.pending.get(entity, 0),
            log_rows=self.scan.rows[entity],
            scenario_rows=scenario_rows,
            expected_rows=expected_rows,
        )
        spec = self.tables.get(table)
        if self.ledger:
            self._check_rows(entity, spec, check)
        if check.found_rows != check.expected_rows:
            why = f" (table {table} does not exist)" if spec is None else ""
            detail = f"expected {expected_rows} rows, found {check.found_rows} seeded rows{why}"
            self.differences.add("count", [Difference(entity, table, None, "count", detail)], 1)
        if check.pending:
            detail = (
                f"{check.pending} of {check.commands} commands of the log are not applied "
                "(run seedctl apply)"
            )
            self.differences.add("pending", [Difference(entity, table, None, "pending", detail)], 1)
        return check

    def _check_rows(self, entity: str, spec: TableSpec | None, check: EntityCheck) -> None:
        """Count the entity's seeded rows, and find those that drifted from their last image."""
        params: dict[str, Any] = {"tenant": self.tenant, "entity": entity, "table": check.table}
        [(seeded, found)] = self._fetch(seeded_rows_sql(spec), params)
        check.seeded_rows, check.found_rows = int(seeded), int(found)
        if spec is None:
            if check.seeded_rows:
                detail = (
                    f"table {check.table} does not exist; the ledger holds "
                    f"{check.seeded_rows} rows of it"
                )
                missing = Difference(entity, check.table, None, "missing", detail)
                self.differences.add("missing", [missing], check.seeded_rows)
            return
        ignored = self.app_owned.get(spec.name, ())
        drifted = self._fetch(
            drift_sql(spec, ignored), {**params, "limit": max(self.differences.room, 1)}
        )
        if not drifted:
            return
        found = [_drift_difference(entity, check.table, row) for row in drifted]
        _, _, _, _, missing_total, changed_total = drifted[0]
        for kind, total in (("missing", missing_total), ("changed", changed_total)):
            if total:
                self.differences.add(kind, [d for d in found if d.kind == kind], int(total))

    def _foreign_keys(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """``(child, parent, column pairs)`` between the scenario's tables: those the catalog
        has, and those the scenario's metadata declares (a key dropped from the database
        is exactly where a dangling row can hide)."""
        by_place = {(s.schema, s.name): s.name for s in self.tables.values()}
        found: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
        for child, spec in self.tables.items():
            for fk in spec.foreign_keys:
                parent = by_place.get((fk.ref_schema, fk.ref_table))
                if parent is not None:
                    found.add((child, parent, tuple(zip(fk.columns, fk.ref_columns, strict=True))))
        metadata = self.scan.scenario.metadata
        for table in metadata.sorted_tables if metadata is not None else ():
            for constraint in table.foreign_key_constraints:
                child, parent = str(table.name), str(constraint.referred_table.name)
                if child in self.tables and parent in self.tables:
                    pairs = tuple(
                        (str(e.parent.name), str(e.column.name)) for e in constraint.elements
                    )
                    found.add((child, parent, pairs))
        return [(c, p, list(pairs)) for c, p, pairs in sorted(found)]

    def check_foreign_keys(self) -> int:
        """Find child rows whose non-null foreign key has no parent; return the keys checked."""
        entity_of: dict[str, str] = {}
        for entity, table_name in self.scan.scenario.entity_tables.items():
            entity_of.setdefault(table_name, entity)
        checked = 0
        for child, parent, pairs in self._foreign_keys():
            child_spec, parent_spec = self.tables[child], self.tables[parent]
            statement = dangling_sql(child_spec, parent_spec, pairs)
            rows = self._fetch(statement, {"limit": max(self.differences.room, 1)})
            checked += 1
            if not rows:
                continue
            columns = tuple(c for c, _ in pairs)
            found = [
                Difference(
                    entity_of.get(child, child),
                    child,
                    str(row_id),
                    "dangling-fk",
                    f"{child}.{', '.join(columns)} = {values} has no row in {parent}",
                    columns,
                )
                for row_id, values, _ in rows
            ]
            self.differences.add("dangling-fk", found, int(rows[0][2]))
        return checked


def _drift_difference(entity: str, table: str, row: tuple[Any, ...]) -> Difference:
    """A row of :func:`drift_sql` as a difference: which columns changed, and how."""
    row_id, seq, missing, changes = str(row[0]), row[1], row[2], row[3]
    if missing:
        return Difference(
            entity, table, row_id, "missing", f"deleted since seedctl wrote it (log seq {seq})"
        )
    columns = tuple(sorted(changes))
    detail = "; ".join(f"{c}: {_short(changes[c][0])} -> {_short(changes[c][1])}" for c in columns)
    return Difference(entity, table, row_id, "changed", detail, columns)


def _short(value: object) -> str:
    """A JSON value for a message, cut to 40 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
