"""Writes one batch: stage by COPY, check collisions, upsert and ledger in one statement.

The caller runs this inside a transaction: the target rows and their ledger rows
commit together or not at all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from seedctl.engine.apply.batch_sql import BatchSql, build_batch_sql, stage_name
from seedctl.engine.apply.copy_binary import (
    NotBinaryError,
    RowEncoder,
    binary_row_encoder,
    copy_binary_rows,
)
from seedctl.engine.apply.copy_text import copy_text_rows, scalar_converters
from seedctl.engine.db import RunSession
from seedctl.engine.pending import Batch, Resolved
from seedctl.engine.target import TableSpec, Target
from seedctl.ledger import CollisionError, JsonScalar

__all__ = [
    "NewRows",
    "NewRowsEncoder",
    "batch_rows",
    "find_collisions",
    "insert_new_batch",
    "stage_batch",
    "write_batch",
]

_sql_cache: dict[
    tuple[str | None, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], int], BatchSql
] = {}


def _batch_sql(spec: TableSpec, batch: Batch) -> BatchSql:
    # id(spec): a spec read from another database (or after a migration) builds anew.
    key = (
        spec.schema,
        spec.name,
        batch.columns,
        batch.conflict,
        (*batch.insert_only, "|", *batch.app_owned),
        id(spec),
    )
    found = _sql_cache.get(key)
    if found is None:
        found = _sql_cache[key] = build_batch_sql(spec, batch)
    return found


def batch_rows(
    spec: TableSpec, batch: Batch, resolved: Resolved | None = None
) -> list[list[JsonScalar]]:
    """The batch's values in column order as COPY fields: arrays and JSON as their text,
    references as the keys ``resolved`` found. Pure."""
    converters = scalar_converters(spec.column_info, batch.columns)
    rows: list[list[JsonScalar]] = []
    for item in batch.items:
        command = item.command
        values = command.values
        if resolved is not None:
            refs = command.refs
            values = {**values, **{c: resolved[c][r.id] for c, r in refs.items()}}
        row = [values[c] for c in batch.columns]
        if converters is not None:
            row = [v if f is None else f(v) for f, v in zip(converters, row, strict=True)]
        rows.append(row)
    return rows


def stage_batch(
    session: RunSession,
    spec: TableSpec,
    batch: Batch,
    resolved: Resolved | None = None,
) -> BatchSql:
    """COPY the batch into its temp stage table (created once per session). Writes temp only."""
    statements = _batch_sql(spec, batch)
    raw = session.raw
    rows = batch_rows(spec, batch, resolved)
    with raw.cursor() as cur:
        name = stage_name(spec)
        if name not in session.staged:
            cur.execute(statements.create_stage)
            session.staged.add(name)
        with cur.copy(statements.copy) as copy:
            copy.write(
                copy_text_rows(
                    [item.seq, item.hash, item.command.id, *row]
                    for item, row in zip(batch.items, rows, strict=True)
                )
            )
    return statements


def find_collisions(
    session: RunSession, statements: BatchSql, batch: Batch, *, tenant: str
) -> list[str]:
    """Staged rows whose natural key another row holds: descriptions, at most five. Read-only.

    Keyed by the command id, that is a row with another id; keyed by natural key, a row
    the ledger never wrote for the command.
    """
    with session.raw.cursor() as cur:
        cur.execute(statements.collisions, {"tenant": tenant, "table": batch.table})
        held_by = "existing id" if statements.by_id else "existing row"
        return [
            f"{batch.table} {key}: {held_by} {existing}, seed id {ours}"
            for ours, existing, key in cur.fetchall()
        ]


def write_batch(
    session: RunSession,
    spec: TableSpec,
    batch: Batch,
    *,
    tenant: str,
    run_id: str,
    resolved: Resolved | None = None,
) -> Counter[str]:
    """Apply one batch inside the caller's transaction; return counts per outcome.

    ``skipped`` counts commands the ledger already held (a retry after a commit whose
    acknowledgement was lost, or a run that raced us before we held the lock).
    ``resolved`` holds the batch's references, looked up in the same transaction.
    """
    statements = stage_batch(session, spec, batch, resolved)
    collisions = find_collisions(session, statements, batch, tenant=tenant)
    if collisions:
        raise CollisionError(
            "rows with the seed's natural key exist that seedctl did not write; "
            "nothing from this batch was written:\n  " + "\n  ".join(collisions)
        )
    with session.raw.cursor() as cur:
        cur.execute(
            statements.upsert,
            {"tenant": tenant, "entity": batch.entity, "table": batch.table, "run_id": run_id},
        )
        counts: Counter[str] = Counter()
        for outcome, n in cur.fetchall():
            counts[str(outcome)] = int(str(n))
    written = sum(counts.values())
    counts["skipped"] = len(batch.items) - written
    if counts["skipped"] < 0:
        raise sa.exc.InvalidRequestError("ledger wrote more rows than the batch holds")
    return counts


@dataclass(frozen=True, slots=True)
class NewRows:
    """A batch encoded for :func:`insert_new_batch`: COPY data and the ledger's arrays,
    prepared ahead (in the prefetch thread) so that the writer only sends bytes."""

    copy_data: bytes
    binary: bool
    ids: str
    hashes: str
    seqs: str


_ARRAY_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def _array_literal(values: list[str]) -> str:
    return "{" + ",".join(['"' + v.translate(_ARRAY_ESCAPES) + '"' for v in values]) + "}"


class NewRowsEncoder:
    """Encodes batches for the direct path: binary COPY where every column's type has
    an exact binary encoder and every value its one certain spelling, text otherwise."""

    def __init__(self, target: Target) -> None:
        self._tables = target.tables
        self._column_types = target.column_types
        self._encoders: dict[tuple[str, tuple[str, ...]], RowEncoder | None] = {}

    def _encoder(self, batch: Batch) -> RowEncoder | None:
        key = (batch.table, batch.columns)
        if key not in self._encoders:
            types = self._column_types[batch.table]
            names = [types.get(c, "") for c in batch.columns]
            self._encoders[key] = binary_row_encoder(names)
        return self._encoders[key]

    def __call__(self, batch: Batch) -> NewRows | None:
        """Encode ``batch``; None for a batch that cannot take the direct path (deletes,
        rows not keyed by the command id, references to resolve). Pure."""
        spec = self._tables[batch.table]
        if batch.op != "upsert" or batch.refs or not spec.by_id(batch.columns):
            return None
        items = batch.items
        rows = batch_rows(spec, batch)
        encoder = self._encoder(batch)
        data: bytes | None = None
        if encoder is not None:
            try:
                data = copy_binary_rows(encoder, rows)
            except NotBinaryError:
                data = None
        ids = [i.command.id for i in items]
        ids_checked = data is not None and self._column_types[batch.table].get("id") == "uuid"
        return NewRows(
            copy_data=copy_text_rows(rows) if data is None else data,
            binary=data is not None,
            # Binary COPY into a uuid column took every id as a canonical uuid: nothing
            # in them to escape. The hashes are hex digests the log reader verified.
            ids="{" + ",".join(ids) + "}" if ids_checked else _array_literal(ids),
            hashes="{" + ",".join([i.hash for i in items]) + "}",
            seqs="{" + ",".join([str(i.seq) for i in items]) + "}",
        )


def insert_new_batch(
    session: RunSession,
    spec: TableSpec,
    batch: Batch,
    rows: NewRows,
    *,
    tenant: str,
    run_id: str,
) -> Counter[str]:
    """Apply a batch of rows that should all be new: COPY straight into the target.

    The first apply of a table takes this path. No stage, no collision query, no
    ledger probe: any row that is not new (same id or natural key, or a hash the
    ledger holds) makes PostgreSQL raise a unique violation, the caller rolls the
    transaction back and applies the batch with :func:`write_batch` instead, which
    sorts out updates, skips and collisions. Inside the caller's transaction.
    """
    statements = _batch_sql(spec, batch)
    with session.raw.cursor() as cur:
        statement = statements.direct_copy_binary if rows.binary else statements.direct_copy
        with cur.copy(statement) as copy:
            copy.write(rows.copy_data)
        cur.execute(
            statements.direct_ledger,
            {
                "tenant": tenant,
                "entity": batch.entity,
                "table": batch.table,
                "run_id": run_id,
                "ids": rows.ids,
                "hashes": rows.hashes,
                "seqs": rows.seqs,
            },
        )
        if cur.rowcount != len(batch.items):
            raise sa.exc.InvalidRequestError(
                f"{batch.table}: ledger wrote {cur.rowcount} rows for {len(batch.items)} copied"
            )
    return Counter(inserted=len(batch.items), skipped=0)
