"""The SQL of one batch, built from allow-listed names only, quoted as identifiers.

Per batch: COPY the rows into a per-session temporary stage table, look for
natural-key collisions, then one statement that skips commands the ledger already
holds, takes the before-images, upserts (``ON CONFLICT (natural key) DO UPDATE ...
WHERE ... IS DISTINCT FROM``, insert-only columns left alone) and writes the
ledger rows, returning counts per outcome. Pure string building: nothing here
touches a database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from psycopg import sql
from seedctl.engine.pending import Batch
from seedctl.engine.target import (
    TableSpec,
    comparable,
    key_match,
    qualified,
    row_key_sql,
    row_match,
)

__all__ = ["BatchSql", "build_batch_sql", "stage_name"]

SEQ_COLUMN = "seedctl_seq"
HASH_COLUMN = "seedctl_hash"
ROW_COLUMN = "seedctl_row"
"""The stage's command id: the row's identity in the log, whatever the table's key."""


def stage_name(spec: TableSpec) -> str:
    """A short, fixed temp-table name per target table (identifiers max out at 63 bytes)."""
    digest = hashlib.sha256(f"{spec.schema}.{spec.name}".encode()).hexdigest()[:16]
    return f"seedctl_stage_{digest}"


@dataclass(frozen=True)
class BatchSql:
    """The statements for one batch shape."""

    create_stage: sql.Composed
    copy: sql.Composed
    collisions: sql.Composed
    upsert: sql.Composed
    direct_copy: sql.Composed
    direct_copy_binary: sql.Composed
    direct_ledger: sql.Composed
    by_id: bool
    """Rows are keyed by the command id; only such batches may take the direct path."""


def build_batch_sql(spec: TableSpec, batch: Batch) -> BatchSql:
    """Statements for ``batch`` against ``spec``; every name was checked by the allow-list.

    Rows keyed by the command id (``by_id``) are matched on ``id``; any other row (a
    serial or identity key, a composite key) on the natural key, and the ledger records
    its primary key as ``row_key``.
    """
    by_id = spec.by_id(batch.columns)
    target = qualified(spec)
    stage = sql.Identifier(stage_name(spec))
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in batch.columns)
    updatable = batch.updatable
    on_conflict: sql.Composable
    if updatable:
        assignments = sql.SQL(", ").join(
            sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in updatable
        )
        current = sql.SQL(", ").join(comparable(spec, "t", c) for c in updatable)
        proposed = sql.SQL(", ").join(comparable(spec, "excluded", c) for c in updatable)
        # t.id = EXCLUDED.id: never overwrite a row of the same natural key that another
        # writer created; such a row falls through as "unchanged" with no image, which
        # the ledger's CHECK applied_after turns into an error (the collision check
        # names it).
        # Rows keyed by natural key have no such id: the collision check, in the same
        # transaction and under the tenant lock, has already refused rows not ours.
        guard = sql.SQL("t.id = EXCLUDED.id AND ") if by_id else sql.SQL("")
        on_conflict = sql.SQL(
            "DO UPDATE SET {assignments} WHERE {guard}"
            "ROW({current}) IS DISTINCT FROM ROW({proposed})"
        ).format(assignments=assignments, guard=guard, current=current, proposed=proposed)
    else:
        on_conflict = sql.SQL("DO NOTHING")

    create_stage = sql.SQL(
        "CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
        "SELECT NULL::bigint AS {seq}, NULL::text AS {hash}, NULL::uuid AS {row}, t.* "
        "FROM {target} t WITH NO DATA"
    ).format(
        stage=stage,
        seq=sql.Identifier(SEQ_COLUMN),
        hash=sql.Identifier(HASH_COLUMN),
        row=sql.Identifier(ROW_COLUMN),
        target=target,
    )
    copy = sql.SQL("COPY {stage} ({seq}, {hash}, {row}, {columns}) FROM STDIN").format(
        stage=stage,
        seq=sql.Identifier(SEQ_COLUMN),
        hash=sql.Identifier(HASH_COLUMN),
        row=sql.Identifier(ROW_COLUMN),
        columns=columns,
    )
    key_text = sql.SQL(" || ', ' || ").join(
        sql.SQL("{name} || '=' || coalesce(t.{c}::text, 'NULL')").format(
            name=sql.Literal(c), c=sql.Identifier(c)
        )
        for c in batch.conflict
    )
    key_of_t = sql.SQL(" || ', ' || ").join(
        sql.SQL("coalesce(t.{c}::text, 'NULL')").format(c=sql.Identifier(c))
        for c in spec.primary_key or batch.conflict
    )
    match = key_match(spec, batch.conflict)
    if by_id:
        # Another id holds the seed row's natural key.
        collisions = sql.SQL(
            "SELECT s.id::text, t.id::text, {key_text} FROM {stage} s JOIN {target} t ON {match} "
            "WHERE t.id <> s.id LIMIT 5"
        ).format(key_text=key_text, stage=stage, target=target, match=match)
    else:
        # A row holds the seed row's natural key, and the ledger never wrote it for this
        # command: it is the app's, not ours.
        collisions = sql.SQL(
            "SELECT s.{row}::text, {key_of_t}, {key_text} FROM {stage} s "
            "JOIN {target} t ON {match} WHERE NOT EXISTS (SELECT 1 FROM seedctl.applied a "
            "WHERE a.tenant = %(tenant)s AND a.table_name = %(table)s AND a.row_id = s.{row} "
            "AND {ours}) LIMIT 5"
        ).format(
            row=sql.Identifier(ROW_COLUMN),
            key_of_t=key_of_t,
            key_text=key_text,
            stage=stage,
            target=target,
            match=match,
            ours=row_match(spec, "t", "a"),
        )
    written_match: sql.Composable
    returning: sql.Composable
    if by_id:
        prior_template = sql.SQL(
            "SELECT f.{row}, to_jsonb(t) AS image, NULL::jsonb AS row_key FROM {target} t "
            "JOIN fresh f ON t.id = f.id"
        )
        written_match = sql.SQL("w.id = f.id")
        returning = sql.SQL("t.id")
    else:
        prior_template = sql.SQL(
            "SELECT f.{row}, to_jsonb(t) AS image, {row_key} AS row_key FROM fresh f "
            "JOIN {target} t ON {match_f}"
        )
        written_match = key_match(spec, batch.conflict, target="w", source="f")
        returning = sql.SQL(", ").join(
            sql.SQL("t.{c}").format(c=sql.Identifier(c)) for c in batch.conflict
        )
    prior_select = prior_template.format(
        row=sql.Identifier(ROW_COLUMN),
        target=target,
        row_key=row_key_sql(spec, "t", by_id=by_id),
        match_f=key_match(spec, batch.conflict, target="t", source="f"),
    )
    upsert = sql.SQL(
        """
WITH fresh AS MATERIALIZED (
    -- LATERAL ... LIMIT 1 pins this to one primary-key probe per staged row. As a
    -- plain NOT EXISTS the planner, blind to the never-analyzed stage, may hash-join
    -- the whole ledger instead: O(ledger) per batch, quadratic over a large apply.
    SELECT s.* FROM {stage} s
    LEFT JOIN LATERAL (
        SELECT true AS done FROM seedctl.applied a
        WHERE a.tenant = %(tenant)s AND a.command_hash = s.{hash}
        LIMIT 1
    ) ledger_hit ON true
    WHERE ledger_hit.done IS NULL
),
prior AS MATERIALIZED (
    -- No FOR UPDATE: it would skip rows the upsert below already touched in this
    -- statement. The shared snapshot gives the image from before the statement.
    {prior_select}
),
written AS (
    INSERT INTO {target} AS t ({columns})
    SELECT {columns} FROM fresh ORDER BY {seq}
    ON CONFLICT ({conflict}) {on_conflict}
    RETURNING {returning}, (t.xmax = 0) AS inserted, to_jsonb(t) AS image,
        {row_key} AS row_key
),
ledger AS (
    INSERT INTO seedctl.applied
        (tenant, command_hash, seq, entity, table_name, row_id, row_key, run_id, outcome,
         before, after)
    SELECT %(tenant)s, f.{hash}, f.{seq}, %(entity)s, %(table)s, f.{row},
        COALESCE(w.row_key, p.row_key), %(run_id)s,
        CASE WHEN w.image IS NULL THEN 'unchanged' WHEN w.inserted THEN 'inserted'
             ELSE 'updated' END,
        CASE WHEN w.inserted THEN NULL ELSE p.image END,
        COALESCE(w.image, p.image)
    FROM fresh f
    LEFT JOIN written w ON {written_match}
    LEFT JOIN prior p ON p.{row} = f.{row}
    RETURNING outcome
)
SELECT outcome, count(*) FROM ledger GROUP BY outcome
"""
    ).format(
        stage=stage,
        target=target,
        columns=columns,
        conflict=sql.SQL(", ").join(sql.Identifier(c) for c in batch.conflict),
        on_conflict=on_conflict,
        seq=sql.Identifier(SEQ_COLUMN),
        hash=sql.Identifier(HASH_COLUMN),
        row=sql.Identifier(ROW_COLUMN),
        prior_select=prior_select,
        returning=returning,
        row_key=row_key_sql(spec, "t", by_id=by_id),
        written_match=written_match,
    )
    direct_copy = sql.SQL("COPY {target} ({columns}) FROM STDIN").format(
        target=target, columns=columns
    )
    direct_ledger = sql.SQL(
        """
INSERT INTO seedctl.applied
    (tenant, command_hash, seq, entity, table_name, row_id, run_id, outcome, before, after)
SELECT %(tenant)s, b.hash, b.seq, %(entity)s, %(table)s, b.id, %(run_id)s, 'inserted', NULL,
    to_jsonb(t)
FROM unnest(%(ids)s::text::uuid[], %(hashes)s::text::text[], %(seqs)s::text::bigint[])
    AS b (id, hash, seq)
JOIN {target} t ON t.id = b.id{cast}
"""
    ).format(
        target=target,
        cast=sql.SQL("::{}").format(sql.SQL(spec.key_type("id")))
        if spec.key_type("id") != "uuid"
        else sql.SQL(""),
    )
    return BatchSql(
        create_stage=create_stage,
        copy=copy,
        collisions=collisions,
        upsert=upsert,
        direct_copy=direct_copy,
        direct_copy_binary=sql.SQL("{} (FORMAT BINARY)").format(direct_copy),
        direct_ledger=direct_ledger,
        by_id=by_id,
    )
