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
from seedctl.engine.target import TableSpec, key_match, qualified

__all__ = ["build_compare_sql"]


def _row(alias: str, columns: list[str] | tuple[str, ...]) -> sql.Composable:
    return sql.SQL("ROW({})").format(
        sql.SQL(", ").join(
            sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c)) for c in columns
        )
    )


def _distinct(current: str, proposed: str, columns: list[str]) -> sql.Composable:
    # No updatable columns means apply's DO NOTHING: an existing row is unchanged.
    if not columns:
        return sql.SQL("false")
    return sql.SQL("{} IS DISTINCT FROM {}").format(_row(current, columns), _row(proposed, columns))


def build_compare_sql(spec: TableSpec, batch: Batch) -> sql.Composed:
    """One SELECT classifying every row of ``batch``; names come from the allow-list only.

    Parameters: ``rows`` (JSON array of the commands' values), ``overlay`` (JSON
    array of projected images of rows an earlier batch would have written) and
    ``tracked`` (text array of ids whose projected image the caller needs back).
    Returns ``(id, outcome, other_id, key_text, image)`` per row: ``id`` spelled as
    in the command, ``other_id`` the id of another row holding the natural key.
    """
    target = qualified(spec)
    updatable = batch.updatable
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
    return sql.SQL(
        """
SELECT j.doc ->> 'id',
    CASE
        WHEN k.id IS NOT NULL THEN 'collide'
        WHEN o.id IS NOT NULL THEN CASE WHEN {overlay_distinct} THEN 'update' ELSE 'unchanged' END
        WHEN t.id IS NULL THEN 'insert'
        WHEN {key_moved} THEN 'collide'
        WHEN {target_distinct} THEN 'update'
        ELSE 'unchanged'
    END,
    k.id::text,
    {key_text},
    CASE
        WHEN NOT j.doc ->> 'id' = ANY(%(tracked)s::text[]) THEN NULL
        WHEN o.id IS NULL AND t.id IS NULL THEN to_jsonb(v)::text
        WHEN o.id IS NOT NULL THEN (to_jsonb(o) || jsonb_build_object({updates}))::text
        ELSE (to_jsonb(t) || jsonb_build_object({updates}))::text
    END
FROM jsonb_array_elements(%(rows)s::jsonb) AS j(doc)
CROSS JOIN LATERAL jsonb_populate_record(NULL::{target}, j.doc) AS v
LEFT JOIN jsonb_populate_recordset(NULL::{target}, %(overlay)s::jsonb) AS o ON o.id = v.id
LEFT JOIN {target} AS t ON t.id = v.id
LEFT JOIN LATERAL (
    SELECT c.id FROM {target} AS c WHERE {key_match} AND c.id <> v.id LIMIT 1
) AS k ON true
"""
    ).format(
        overlay_distinct=_distinct("o", "v", updatable),
        target_distinct=_distinct("t", "v", updatable),
        key_moved=sql.SQL("{} IS DISTINCT FROM {}").format(
            _row("t", batch.conflict), _row("v", batch.conflict)
        ),
        key_text=key_text,
        updates=updates,
        target=target,
        key_match=key_match(spec, batch.conflict, target="c", source="v"),
    )
