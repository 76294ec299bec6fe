"""The target tables as the database has them: what is missing, column types, and
self-references. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from seedctl.ledger import UnknownNameError

__all__ = ["TargetSchema", "check_target_schema", "read_target_schema"]


@dataclass
class TargetSchema:
    """What the database lacks (whole tables, columns of tables that exist), and what
    apply needs to know about the tables that are there."""

    missing_tables: list[str] = field(default_factory=list)  # schema.table
    missing_columns: list[str] = field(default_factory=list)
    self_referencing: set[str] = field(default_factory=set)
    """Tables with a foreign key to themselves (in the database, not just the metadata):
    their batches are never written concurrently (see seedctl.engine.apply.dispatch)."""
    column_types: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per table name of the metadata: each column's type as the catalog names it
    (``pg_type.typname``, the base type for a domain), for binary COPY."""


def read_target_schema(conn: sa.Connection, metadata: sa.MetaData) -> TargetSchema:
    """Compare ``metadata`` with the catalog: columns in one query, foreign keys in
    another. Read-only."""
    tables = metadata.sorted_tables
    rows = conn.execute(
        sa.text(
            "SELECT table_schema, table_name, column_name, udt_name "
            "FROM information_schema.columns "
            "WHERE table_schema = ANY(:schemas) AND table_name = ANY(:tables)"
        ),
        {
            "schemas": sorted({t.schema or "public" for t in tables}),
            "tables": sorted({t.name for t in tables}),
        },
    )
    found_self_references = conn.execute(
        sa.text(
            "SELECT n.nspname, c.relname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE k.contype = 'f' AND k.conrelid = k.confrelid "
            "AND n.nspname = ANY(:schemas) AND c.relname = ANY(:tables)"
        ),
        {
            "schemas": sorted({t.schema or "public" for t in tables}),
            "tables": sorted({t.name for t in tables}),
        },
    ).all()
    self_referencing = {(str(schema), str(name)) for schema, name in found_self_references}
    present: dict[tuple[str, str], dict[str, str]] = {}
    for schema, table, column, type_name in rows:
        present.setdefault((schema, table), {})[column] = type_name
    found = TargetSchema()
    for table in tables:
        schema = table.schema or "public"
        columns = present.get((schema, table.name))
        if columns is None:
            found.missing_tables.append(f"{schema}.{table.name}")
            continue
        found.missing_columns.extend(
            f"{schema}.{table.name}.{c.name}" for c in table.columns if c.name not in columns
        )
        found.column_types[table.name] = columns
        if (schema, table.name) in self_referencing:
            found.self_referencing.add(table.name)
    return found


def check_target_schema(conn: sa.Connection, metadata: sa.MetaData) -> TargetSchema:
    """Raise naming every missing table or column, so apply fails before its first write.

    Returns what it found: no gaps, column types and self-referencing tables."""
    gaps = read_target_schema(conn, metadata)
    problems = [f"table {name} is missing" for name in gaps.missing_tables]
    problems += [f"column {name} is missing" for name in gaps.missing_columns]
    if problems:
        # Creating tables cannot add a column to one that exists: say so, not "create".
        hint = (
            " Run `seedctl schema create`, or pass --create-schema."
            if gaps.missing_tables
            else " `seedctl schema create` and --create-schema only create missing tables and "
            "never alter one: add the missing columns to the existing tables (ALTER TABLE ... "
            "ADD COLUMN), or drop those tables and let seedctl create them."
        )
        raise UnknownNameError(
            "the database does not have the scenario's target schema ("
            + "; ".join(problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            + ")."
            + hint
        )
    return gaps
