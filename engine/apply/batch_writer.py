"""Writes one batch: stage by COPY, check collisions, upsert and ledger in one statement.

The caller runs this inside a transaction: the target rows and their ledger rows
commit together or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from seedctl.engine.apply.batch_sql import BatchSql, build_batch_sql, stage_name
from seedctl.engine.apply.copy_binary import (
    NotBinaryError,
    RowEncoder,
    binary_row_encoder,
    copy_binary_rows,
)
from seedctl.engine.apply.copy_text import copy_text_rows
from seedctl.engine.db import RunSession
from seedctl.engine.pending import Batch
from seedctl.engine.target import TableSpec
from seedctl.ledger import CollisionError

__all__ = [
    "NewRows",
    "NewRowsEncoder",
    "find_collisions",
    "insert_new_batch",
    "stage_batch",
    "write_batch",
]

_sql_cache: dict[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], BatchSql] = {}


def _batch_sql(spec: TableSpec, batch: Batch) -> BatchSql:
    key = (spec.name, batch.columns, batch.conflict, batch.insert_only)
    found = _sql_cache.get(key)
    if found is None:
        found = _sql_cache[key] = build_batch_sql(spec, batch)
    return found


def stage_batch(session: RunSession, spec: TableSpec, batch: Batch) -> BatchSql:
    """COPY the batch into its temp stage table (created once per session). Writes temp only."""
    statements = _batch_sql(spec, batch)
    raw = session.raw
    with raw.cursor() as cur:
        name = stage_name(spec)
        if name not in session.staged:
            cur.execute(statements.create_stage)
            session.staged.add(name)
        columns = batch.columns
        with cur.copy(statements.copy) as copy:
            for item in batch.items:
                values = item.command.values
                copy.write_row((item.seq, item.hash, *[values[c] for c in columns]))
    return statements


def find_collisions(session: RunSession, statements: BatchSql, batch: Batch) -> list[str]:
    """Rows with a staged natural key but another id: descriptions, at most five. Read-only."""
    with session.raw.cursor() as cur:
        cur.execute(statements.collisions)
        return [
            f"{batch.table} {key}: existing id {existing}, seed id {ours}"
            for ours, existing, key in cur.fetchall()
        ]


def write_batch(
    session: RunSession, spec: TableSpec, batch: Batch, *, tenant: str, run_id: str
) -> Counter[str]:
    """Apply one batch inside the caller's transaction; return counts per outcome.

    ``skipped`` counts commands the ledger already held (a retry after a commit whose
    acknowledgement was lost, or a run that raced us before we held the lock).
    """
    statements = stage_batch(session, spec, batch)
    collisions = find_collisions(session, statements, batch)
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

    def __init__(self, column_types: Mapping[str, Mapping[str, str]]) -> None:
        self._column_types = column_types
        self._encoders: dict[tuple[str, tuple[str, ...]], RowEncoder | None] = {}

    def _encoder(self, batch: Batch) -> RowEncoder | None:
        key = (batch.table, batch.columns)
        if key not in self._encoders:
            types = self._column_types[batch.table]
            names = [types.get(c, "") for c in batch.columns]
            self._encoders[key] = binary_row_encoder(names)
        return self._encoders[key]

    def __call__(self, batch: Batch) -> NewRows:
        """Encode ``batch``. Pure: no database."""
        columns = batch.columns
        items = batch.items
        rows = [[i.command.values[c] for c in columns] for i in items]
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
