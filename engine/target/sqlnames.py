"""Table and column names as SQL: quoted identifiers of allow-listed names only.

Every statement seedctl builds names its tables and columns through these, after
the allow-list (``allowlist.py``) has checked them, so no name from a log reaches
SQL unchecked. Apply, plan, verify and revert all address tables this one way.
"""

from __future__ import annotations

from psycopg import sql
from seedctl.engine.target.allowlist import TableSpec

__all__ = ["key_match", "qualified"]


def qualified(spec: TableSpec) -> sql.Composable:
    """The target table as a quoted, schema-qualified identifier."""
    if spec.schema:
        return sql.Identifier(spec.schema, spec.name)
    return sql.Identifier(spec.name)


def key_match(
    spec: TableSpec, conflict: tuple[str, ...], *, target: str = "t", source: str = "s"
) -> sql.Composable:
    """``target`` and ``source`` rows share the natural key ``conflict``.

    Plain equality where the column cannot be NULL lets PostgreSQL hash-join on it;
    nullable key columns (an objective's scope) compare NULL-safely. Apply's collision
    check and plan's comparison both use this, so they agree on what a clash is.
    """
    parts = []
    for column in conflict:
        op = sql.SQL("IS NOT DISTINCT FROM" if column in spec.nullable else "=")
        col = sql.Identifier(column)
        parts.append(
            sql.SQL("{t}.{c} {op} {s}.{c}").format(
                t=sql.Identifier(target), s=sql.Identifier(source), c=col, op=op
            )
        )
    return sql.SQL(" AND ").join(parts)
