"""The dry run's comparison query for one batch: what apply's upsert would do to each row.

Read-only by construction: the batch's rows arrive as a JSON parameter and are
typed by ``jsonb_populate_record(NULL::<target>, ...)``, so nothing is staged
(no temp table, which a read-only transaction would refuse anyway). Each row is
classified exactly as apply's statement in engine/apply/batch_sql.py would treat it:

- ``collide``: another id holds the row's natural key (apply's collision check),
  or the row's id is taken by a row with another natural key (apply's insert
  would violate the primary key);
- ``insert``: neither the id nor the natural key is there;
- ``update`` / ``unchanged``: the row is there and its updatable columns (all but
  id, the conflict and the insert-only columns) differ / do not, compared with
  ``ROW(...) IS DISTINCT FROM ROW(...)`` as apply's ``ON CONFLICT ... WHERE`` does.

Rows an earlier batch of the same dry run would already have written arrive as
a second JSON parameter (the projected images) and take the place of the
database's row. Pure string building: nothing here touches a database.
"""

from __future__ import annotations

from psycopg import sql
from seedctl.engine.pending import Batch
from seedctl.engine.target import TableSpec, comparable, key_match, qualified, row_match

__all__ = ["build_compare_sql"]


def _row(spec: TableSpec, alias: str, columns: list[str] | tuple[str, ...]) -> sql.Composable:
    return sql.SQL("ROW({})").format(
        sql.SQL(", ").join(comparable(spec, alias, c) for c in columns)
    )


def _distinct(spec: TableSpec, current: str, proposed: str, columns: list[str]) -> sql.Composable:
    # No updatable columns means apply's DO NOTHING: an existing row is unchanged.
    if not columns:
        return sql.SQL("false")
    return sql.SQL("{} IS DISTINCT FROM {}").format(
        _row(spec, current, columns), _row(spec, proposed, columns)
    )


def build_compare_sql(spec: TableSpec, batch: Batch, *, ledger: bool = True) -> sql.Composed:
    """One SELECT classifying every row of ``batch``; names come from the allow-list only.

    Parameters: ``rows`` (JSON array of ``{"row": command id, "values": {...}}``),
    ``overlay`` (JSON array of projected images of rows an earlier batch would have
    written), ``tracked`` (text array of command ids whose projected image the caller
    needs back) and ``tenant``. Returns ``(id, outcome, other_id, key_text, image)`` per
    row: ``id`` the command id, ``other_id`` the key of another row holding the natural
    key. Rows keyed by the command id are matched on ``id``; any other row on its
    natural key, and it collides when the ledger never wrote it for this command
    (``ledger`` False: there is no ledger yet, so every such row collides).
    """
    target = qualified(spec)
    updatable = batch.updatable
    by_id = spec.by_id(batch.columns)
    updates = sql.SQL(", ").join(
        sql.SQL("{name}, v.{col}").format(name=sql.Literal(c), col=sql.Identifier(c))
        for c in updatable
    )
    key_text = sql.SQL(" || ', ' || ").join(
        sql.SQL("{name} || '=' || coalesce(v.{col}::text, 'NULL')").format(
            name=sql.Literal(c), col=sql.Identifier(c)
        )
        for c in batch.conflict
    )
    present: sql.Composable
    overlay_match: sql.Composable
    target_match: sql.Composable
    other: sql.Composable
    key_moved: sql.Composable
    if by_id:
        present = sql.SQL("t.id")
        overlay_match = sql.SQL("o.id = v.id")
        target_match = sql.SQL("t.id = v.id")
        other = sql.SQL(
            "SELECT c.id::text AS key FROM {target} AS c WHERE {key_match} AND c.id <> v.id LIMIT 1"
        ).format(target=target, key_match=key_match(spec, batch.conflict, target="c", source="v"))
        key_moved = sql.SQL("{} IS DISTINCT FROM {}").format(
            _row(spec, "t", batch.conflict), _row(spec, "v", batch.conflict)
        )
    else:
        pk = spec.primary_key or batch.conflict
        present = sql.SQL("t.{}").format(sql.Identifier(pk[0]))
        overlay_match = key_match(spec, batch.conflict, target="o", source="v")
        target_match = key_match(spec, batch.conflict, target="t", source="v")
        ours_sql = (
            "NOT EXISTS (SELECT 1 FROM seedctl.applied a WHERE a.tenant = %(tenant)s "
            "AND a.table_name = %(table)s AND a.row_id = (j.doc ->> 'row')::uuid AND {ours})"
            if ledger
            else "true"
        )
        other = sql.SQL(
            "SELECT {key_of_t} AS key WHERE {present} IS NOT NULL AND " + ours_sql
        ).format(
            key_of_t=sql.SQL(" || ', ' || ").join(
                sql.SQL("coalesce(t.{}::text, 'NULL')").format(sql.Identifier(c)) for c in pk
            ),
            present=present,
            ours=row_match(spec, "t", "a"),
        )
        key_moved = sql.SQL("false")
    return sql.SQL(
        """
SELECT j.doc ->> 'row',
    CASE
        WHEN k.key IS NOT NULL THEN 'collide'
        WHEN o.seedctl_hit THEN
            CASE WHEN {overlay_distinct} THEN 'update' ELSE 'unchanged' END
        WHEN {present} IS NULL THEN 'insert'
        WHEN {key_moved} THEN 'collide'
        WHEN {target_distinct} THEN 'update'
        ELSE 'unchanged'
    END,
    k.key,
    {key_text},
    CASE
        WHEN NOT j.doc ->> 'row' = ANY(%(tracked)s::text[]) THEN NULL
        WHEN o.seedctl_hit IS NULL AND {present} IS NULL THEN to_jsonb(v)::text
        WHEN o.seedctl_hit THEN
            (to_jsonb(o) - 'seedctl_hit' || jsonb_build_object({updates}))::text
        ELSE (to_jsonb(t) || jsonb_build_object({updates}))::text
    END
FROM jsonb_array_elements(%(rows)s::jsonb) AS j(doc)
CROSS JOIN LATERAL jsonb_populate_record(NULL::{target}, j.doc -> 'values') AS v
LEFT JOIN LATERAL (
    SELECT true AS seedctl_hit, o.*
    FROM jsonb_populate_recordset(NULL::{target}, %(overlay)s::jsonb) AS o
    WHERE {overlay_match} LIMIT 1
) AS o ON true
LEFT JOIN {target} AS t ON {target_match}
LEFT JOIN LATERAL ({other}) AS k ON true
"""
    ).format(
        overlay_distinct=_distinct(spec, "o", "v", updatable),
        target_distinct=_distinct(spec, "t", "v", updatable),
        present=present,
        key_moved=key_moved,
        key_text=key_text,
        updates=updates,
        target=target,
        overlay_match=overlay_match,
        target_match=target_match,
        other=other,
    )
