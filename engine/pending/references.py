"""References between seeded rows, resolved to the keys the database holds. Read-only.

Where the database assigns a table's key (a serial or identity id), a child's
command cannot know its parent's key when the log is written: it names the
parent by entity and command id (``values_from``), and apply looks the key up
here, in the batch's own transaction, through the ledger row the parent's
command left. Apply and plan share this, so a dry run resolves exactly as apply.
"""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
from psycopg import sql
from seedctl.engine.pending.planner import Batch
from seedctl.engine.target import TableSpec, qualified, referenced_column, row_match

__all__ = ["Resolved", "resolve_references", "unresolved"]

Resolved = dict[str, dict[str, str | None]]
"""Per ``values_from`` column: command id of the referenced row -> its key as text (None
stands in for a row not written yet, where only the natural key is compared)."""


def resolve_references(
    cur: psycopg.Cursor[tuple[object, ...]],
    tables: Mapping[str, TableSpec],
    entity_tables: Mapping[str, str],
    batch: Batch,
    *,
    tenant: str,
) -> Resolved:
    """Each reference of ``batch`` that this tenant's seed has written, one query per column.

    References to rows the ledger does not hold are absent from the result; see
    :func:`unresolved`.
    """
    spec = tables[batch.table]
    resolved: Resolved = {}
    for column, entity in batch.refs:
        ref_spec = tables[entity_tables[entity]]
        ref_column = referenced_column(spec, column, ref_spec)
        ids = sorted({item.command.refs[column].id for item in batch.items})
        cur.execute(
            sql.SQL(
                "SELECT a.row_id::text, t.{ref_column}::text FROM ("
                " SELECT DISTINCT ON (row_id) row_id, row_key, outcome FROM seedctl.applied"
                " WHERE tenant = %(tenant)s AND table_name = %(table)s"
                " AND row_id = ANY(%(ids)s::text[]::uuid[])"
                " ORDER BY row_id, applied_at DESC, seq DESC"
                ") a JOIN {target} t ON {match} WHERE a.outcome <> 'deleted'"
            ).format(
                ref_column=sql.Identifier(ref_column),
                target=qualified(ref_spec),
                match=row_match(ref_spec, "t", "a"),
            ),
            {"tenant": tenant, "table": ref_spec.name, "ids": ids},
        )
        resolved[column] = {str(row_id): str(key) for row_id, key in cur.fetchall()}
    return resolved


def unresolved(batch: Batch, resolved: Resolved) -> list[tuple[int, str, str, str]]:
    """``(seq, column, entity, id)`` of each reference ``resolved`` lacks, in log order."""
    missing = []
    for item in batch.items:
        for column, ref in item.command.refs.items():
            if ref.id not in resolved.get(column, {}):
                missing.append((item.seq, column, ref.entity, ref.id))
    return missing
