"""Pending commands that would overwrite rows someone changed since the seed wrote them.

A person edits a seeded row in the app; a later generation of the log updates the
same row. Apply must not overwrite that edit without saying so: it finds such rows
before the first write (this module, read-only), then fails, skips them or
overwrites them as ``--on-drift`` says. Plan shows the same list. Columns the app
owns once a row exists (``app_owned_columns``) never count.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql
from seedctl.engine.target import TableSpec, primary_key, qualified, row_match
from seedctl.ledger import Command

__all__ = ["DRIFT_POLICIES", "DriftedCommand", "changed_rows", "drifted_commands", "drifted_rows"]

DRIFT_POLICIES = ("fail", "skip", "overwrite")


@dataclass(frozen=True)
class DriftedCommand:
    """A pending command whose row changed since the seed last wrote it."""

    line: int
    table: str
    row_id: str
    op: str = "upsert"


def changed_rows(
    cur: psycopg.Cursor[tuple[object, ...]],
    spec: TableSpec,
    *,
    tenant: str,
    ignored: tuple[str, ...],
    run_ids: Sequence[uuid.UUID] | None = None,
    limit: int | None = None,
) -> list[tuple[str, bool]]:
    """``(command id, gone)`` of ``spec``'s seeded rows that differ from the image the seed
    last left, or are gone, ``ignored`` columns aside; a row the seed last deleted counts
    if it is back (``gone`` false). Only the entries of ``run_ids`` if given, at most
    ``limit``. One query. Read-only. Apply's and revert's drift checks."""
    scope = sql.SQL(" AND run_id = ANY(%(runs)s)") if run_ids is not None else sql.SQL("")
    cur.execute(
        sql.SQL(
            "SELECT l.row_id::text, {present} IS NULL FROM ("
            " SELECT DISTINCT ON (row_id) row_id, row_key, after, outcome FROM seedctl.applied"
            " WHERE tenant = %(tenant)s AND table_name = %(table)s{scope}"
            " ORDER BY row_id, applied_at DESC, seq DESC"
            ") l LEFT JOIN {target} t ON {match}"
            " WHERE CASE WHEN l.outcome = 'deleted' THEN {present} IS NOT NULL"
            " ELSE {present} IS NULL"
            " OR to_jsonb(t) - {ignored} IS DISTINCT FROM l.after - {ignored} END{limit}"
        ).format(
            scope=scope,
            target=qualified(spec),
            match=row_match(spec, "t", "l"),
            present=primary_key(spec, "t")[0],
            ignored=sql.SQL("{}::text[]").format(sql.Literal(list(ignored))),
            limit=sql.SQL(" LIMIT {}").format(sql.Literal(limit)) if limit else sql.SQL(""),
        ),
        {"tenant": tenant, "table": spec.name, "runs": list(run_ids or ())},
    )
    return [(str(row_id), bool(gone)) for row_id, gone in cur.fetchall()]


def drifted_rows(
    cur: psycopg.Cursor[tuple[object, ...]],
    spec: TableSpec,
    *,
    tenant: str,
    ignored: tuple[str, ...],
) -> dict[str, bool]:
    """Command ids of ``spec``'s seeded rows changed or gone since the seed wrote them, each
    with whether it is gone."""
    return dict(changed_rows(cur, spec, tenant=tenant, ignored=ignored))


def drifted_commands(
    entries: Iterable[tuple[int, str, Command]],
    applied: Container[bytes],
    drifted: Mapping[str, Mapping[str, bool]],
) -> list[DriftedCommand]:
    """The pending commands of ``entries`` that touch a drifted row, in log order. A delete
    of a row someone deleted already is no drift: it finds nothing, and is recorded so."""
    found = []
    for seq, digest, command in entries:
        rows = drifted.get(command.table)
        if rows and command.id in rows and bytes.fromhex(digest) not in applied:
            if command.op == "delete" and rows[command.id]:
                continue
            found.append(DriftedCommand(seq + 1, command.table, command.id, command.op))
    return found
