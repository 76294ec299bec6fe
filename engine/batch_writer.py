"""Writes one batch: stage by COPY, check collisions, upsert and ledger in one statement.

The caller runs this inside a transaction: the target rows and their ledger rows
commit together or not at all.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from engine.allowlist import TableSpec
from engine.batch_sql import BatchSql, build_batch_sql, stage_name
from engine.planner import Batch
from engine.session import RunSession
from ledger.errors import CollisionError

__all__ = ["find_collisions", "stage_batch", "write_batch"]

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
