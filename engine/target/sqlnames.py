"""Table and column names as SQL: quoted identifiers of allow-listed names only.

Every statement seedctl builds names its tables and columns through these, after
the allow-list (``allowlist.py``) has checked them, so no name from a log reaches
SQL unchecked. Apply, plan, verify and revert all address tables this one way.
"""

from __future__ import annotations

from psycopg import sql
from seedctl.engine.target.catalog import TableSpec

__all__ = [
    "comparable",
    "key_match",
    "ledger_key",
    "primary_key",
    "qualified",
    "row_key_sql",
    "row_match",
]


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


def comparable(spec: TableSpec, alias: str, column: str) -> sql.Composable:
    """Column ``alias.column`` as ``IS DISTINCT FROM`` can compare it: ``json`` has no
    equality, so it is compared as jsonb (as a value: key order and white space do not
    count, as for jsonb itself)."""
    ref = sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(column))
    info = spec.column_info.get(column)
    if info is not None and info.type_name == "json":
        return sql.SQL("{}::jsonb").format(ref)
    return ref


def _key_type(spec: TableSpec, column: str) -> sql.Composable:
    # format_type's spelling from the catalog (e.g. ``integer``, ``text``, ``"Kind"``),
    # never text from a log: it quotes the names it contains itself.
    return sql.SQL(spec.key_type(column))


def row_key_sql(spec: TableSpec, alias: str, *, by_id: bool) -> sql.Composable:
    """The row's primary key as the ledger's ``row_key`` (jsonb), from row ``alias``.

    NULL where the row is keyed by the command id itself (``by_id``: ``row_id`` says it
    all), so the common case costs the ledger nothing.
    """
    if by_id:
        return sql.SQL("NULL::jsonb")
    pairs = sql.SQL(", ").join(
        sql.SQL("{name}, {alias}.{column}").format(
            name=sql.Literal(c), alias=sql.Identifier(alias), column=sql.Identifier(c)
        )
        for c in spec.primary_key
    )
    return sql.SQL("jsonb_build_object({})").format(pairs)


def ledger_key(spec: TableSpec, ledger: str = "a") -> list[sql.Composable]:
    """Per primary-key column, its value from ledger row ``ledger`` (``row_id``, ``row_key``),
    cast to the column's own type so the primary key's index serves.

    A table keyed by ``id`` takes ``row_key->>'id'`` or else the command id; any other key
    comes column by column from ``row_key``.
    """
    a = sql.Identifier(ledger)
    if spec.primary_key == ("id",):
        return [
            sql.SQL("coalesce({a}.row_key ->> 'id', {a}.row_id::text)::{type}").format(
                a=a, type=_key_type(spec, "id")
            )
        ]
    return [
        sql.SQL("({a}.row_key ->> {name})::{type}").format(
            a=a, name=sql.Literal(c), type=_key_type(spec, c)
        )
        for c in spec.primary_key
    ]


def primary_key(spec: TableSpec, alias: str = "t") -> list[sql.Composable]:
    """The primary-key columns of row ``alias``."""
    return [
        sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c)) for c in spec.primary_key
    ]


def row_match(spec: TableSpec, target: str = "t", ledger: str = "a") -> sql.Composable:
    """Target row ``target`` is the one ledger row ``ledger`` names (see :func:`ledger_key`)."""
    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(column, value)
        for column, value in zip(primary_key(spec, target), ledger_key(spec, ledger), strict=True)
    )
