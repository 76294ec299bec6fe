"""Which rows the log's pending deletes would remove: those this tenant's seed wrote,
has not deleted since, and that are there. Read-only; apply and plan share it."""

from __future__ import annotations

from typing import Final

import psycopg
from psycopg import sql
from seedctl.engine.target import TableSpec, qualified, row_match

__all__ = ["LATEST_ENTRIES", "removable_rows"]

LATEST_ENTRIES: Final = """
    SELECT DISTINCT ON (a.row_id) a.row_id, a.row_key, a.outcome
    FROM seedctl.applied a
    WHERE a.tenant = %(tenant)s AND a.table_name = %(table)s
      AND a.row_id = ANY(%(ids)s::text[]::uuid[])
    ORDER BY a.row_id, a.applied_at DESC, a.seq DESC
"""
"""The latest ledger entry of each row ``ids`` names (``%(tenant)s``, ``%(table)s``)."""


def removable_rows(
    cur: psycopg.Cursor[tuple[object, ...]], spec: TableSpec, ids: list[str], *, tenant: str
) -> list[str]:
    """Of ``ids`` (command ids), the rows a delete would remove now, sorted."""
    statement = sql.SQL(
        "SELECT l.row_id::text FROM (" + LATEST_ENTRIES + ") l"
        " WHERE l.outcome <> 'deleted' AND EXISTS (SELECT 1 FROM {target} t WHERE {match})"
        " ORDER BY 1"
    ).format(target=qualified(spec), match=row_match(spec, "t", "l"))
    cur.execute(statement, {"ids": ids, "tenant": tenant, "table": spec.name})
    return [str(row[0]) for row in cur.fetchall()]
