"""Writes one batch of deletes: rows a later generation of the log no longer makes.

A row goes only if the ledger's latest entry for it says this tenant's seed wrote
it and has not deleted it since; its image goes into the ledger (``before``), so
revert can put it back. A delete with nothing to remove (the row was never
applied, or is gone already) is recorded too, with no image, so it is not pending
again. The caller runs this inside a transaction: the rows and their ledger rows
commit together.
"""

from __future__ import annotations

from collections import Counter

from psycopg import sql
from seedctl.engine.db import RunSession
from seedctl.engine.pending import LATEST_ENTRIES, Batch
from seedctl.engine.target import TableSpec, qualified, row_match

__all__ = ["delete_batch"]


def delete_batch(
    session: RunSession, spec: TableSpec, batch: Batch, *, tenant: str, run_id: str
) -> Counter[str]:
    """Delete the batch's rows that this tenant's seed wrote; one ledger row per command."""
    statement = sql.SQL(
        "WITH wanted AS ("
        " SELECT * FROM unnest(%(ids)s::text[]::uuid[], %(hashes)s::text[], %(seqs)s::bigint[])"
        " AS w (row_id, hash, seq)),"
        " latest AS MATERIALIZED (" + LATEST_ENTRIES + "),"
        " gone AS ("
        " DELETE FROM {target} AS t USING latest l"
        " WHERE l.outcome <> 'deleted' AND {match}"
        " RETURNING l.row_id, to_jsonb(t) AS image),"
        " ledger AS ("
        " INSERT INTO seedctl.applied (tenant, command_hash, seq, entity, table_name, row_id,"
        " row_key, run_id, outcome, before, after)"
        " SELECT %(tenant)s, w.hash, w.seq, %(entity)s, %(table)s, w.row_id, l.row_key,"
        " %(run_id)s, 'deleted', g.image, NULL"
        " FROM wanted w LEFT JOIN latest l ON l.row_id = w.row_id"
        " LEFT JOIN gone g ON g.row_id = w.row_id"
        " RETURNING before IS NOT NULL AS removed)"
        " SELECT removed, count(*) FROM ledger GROUP BY removed"
    ).format(target=qualified(spec), match=row_match(spec, "t", "l"))
    params = {
        "ids": [item.command.id for item in batch.items],
        "hashes": [item.hash for item in batch.items],
        "seqs": [item.seq for item in batch.items],
        "tenant": tenant,
        "table": spec.name,
        "entity": batch.entity,
        "run_id": run_id,
    }
    outcome: Counter[str] = Counter()
    with session.raw.cursor() as cur:
        cur.execute(statement, params)
        for removed, count in cur.fetchall():
            outcome["deleted" if removed else "absent"] += int(str(count))
    return outcome
