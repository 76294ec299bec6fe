"""The verifier's queries, built from allow-listed names only. Pure string building.

All of them are plain SELECTs; ``verify`` runs them in a READ ONLY transaction.
"""

from __future__ import annotations

from psycopg import sql
from seedctl.engine.target import TableSpec, primary_key, qualified, row_match

__all__ = ["dangling_sql", "drift_sql", "seeded_rows_sql"]

# The latest ledger entry per seeded row of one tenant and entity, as every part reads
# it (applied_at, then seq), less the rows it says the seed deleted: the rows that should
# be there, each with its last applied image.
_LATEST = sql.SQL(
    """
    SELECT * FROM (
        SELECT DISTINCT ON (a.row_id) a.row_id, a.row_key, a.seq, a.after, a.outcome
        FROM seedctl.applied a
        WHERE a.tenant = %(tenant)s AND a.entity = %(entity)s AND a.table_name = %(table)s
        ORDER BY a.row_id, a.applied_at DESC, a.seq DESC
    ) AS entries WHERE outcome <> 'deleted'
"""
)


def seeded_rows_sql(spec: TableSpec | None) -> sql.Composed:
    """``(rows the ledger recorded, of them still in the table)`` for one entity.

    ``spec`` None means the table does not exist: every recorded row is gone.
    """
    if spec is None:
        return sql.SQL("SELECT count(*), 0 FROM ({latest}) AS l").format(latest=_LATEST)
    return sql.SQL(
        "SELECT count(*), count({present}) FROM ({latest}) AS l LEFT JOIN {target} AS t ON {match}"
    ).format(
        latest=_LATEST,
        target=qualified(spec),
        match=row_match(spec, "t", "l"),
        present=primary_key(spec, "t")[0],
    )


def drift_sql(spec: TableSpec, ignored: tuple[str, ...] = ()) -> sql.Composed:
    """Seeded rows that differ from their last applied image, at most ``%(limit)s``;
    ``ignored`` columns (the app's own, see ``app_owned_columns``) never count.

    Returns ``(row_id, seq, missing, {column: [applied, now]}, missing total,
    changed total)`` per row; the totals count every such row, also those past the limit.
    """
    return sql.SQL(
        """
WITH latest AS ({latest}),
drifted AS (
    SELECT l.row_id, l.seq, l.after - {ignored} AS after, to_jsonb(t) - {ignored} AS now,
        {present} IS NULL AS missing
    FROM latest l
    LEFT JOIN {target} AS t ON {match}
    WHERE {present} IS NULL OR to_jsonb(t) - {ignored} IS DISTINCT FROM l.after - {ignored}
)
SELECT d.row_id::text, d.seq, d.missing,
    (
        SELECT coalesce(jsonb_object_agg(k, jsonb_build_array(d.after -> k, d.now -> k)), '{{}}')
        FROM (SELECT jsonb_object_keys(d.after) UNION SELECT jsonb_object_keys(d.now)) AS keys(k)
        WHERE NOT d.missing AND d.after -> k IS DISTINCT FROM d.now -> k
    ),
    count(*) FILTER (WHERE d.missing) OVER (),
    count(*) FILTER (WHERE NOT d.missing) OVER ()
FROM drifted d
ORDER BY d.seq, d.row_id
LIMIT %(limit)s
"""
    ).format(
        latest=_LATEST,
        target=qualified(spec),
        match=row_match(spec, "t", "l"),
        present=primary_key(spec, "t")[0],
        ignored=sql.SQL("{}::text[]").format(sql.Literal(list(ignored))),
    )


def dangling_sql(child: TableSpec, parent: TableSpec, pairs: list[tuple[str, str]]) -> sql.Composed:
    """Child rows whose foreign key (all columns non-null) finds no parent, at most ``%(limit)s``.

    ``pairs`` are ``(child column, parent column)``. Returns ``(key, values, total)``, ``key``
    the child's primary key as text.
    NULL in any column means the key is not checked (MATCH SIMPLE, PostgreSQL's default).
    """
    not_null = sql.SQL(" AND ").join(
        sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c, _ in pairs
    )
    match = sql.SQL(" AND ").join(
        sql.SQL("p.{} = c.{}").format(sql.Identifier(p), sql.Identifier(c)) for c, p in pairs
    )
    values = sql.SQL(" || ', ' || ").join(
        sql.SQL("c.{}::text").format(sql.Identifier(c)) for c, _ in pairs
    )
    key = primary_key(child, "c") or [sql.SQL("c.ctid")]
    return sql.SQL(
        "SELECT {key_text}, {values}, count(*) OVER () FROM {child} AS c "
        "WHERE {not_null} AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE {match}) "
        "ORDER BY {key} LIMIT %(limit)s"
    ).format(
        key_text=sql.SQL(" || ', ' || ").join(sql.SQL("{}::text").format(k) for k in key),
        key=sql.SQL(", ").join(key),
        values=values,
        child=qualified(child),
        parent=qualified(parent),
        not_null=not_null,
        match=match,
    )
