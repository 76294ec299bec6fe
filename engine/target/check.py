"""Every command shape of a log checked against the catalog, before the first write.

What a scenario can get wrong about the app's schema is found here, with the log
line that first shows it, the table and the column: a column the table lacks, a
generated column written, a NOT NULL column without a default left out, a
conflict target that is not a unique key of the table as the database has it, a
reference the catalog cannot follow. Read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from seedctl.engine.scenarios import Scenario
from seedctl.engine.target.allowlist import Shape, table_schemas
from seedctl.engine.target.catalog import ID_TYPES, TableSpec, read_tables
from seedctl.ledger import UnknownNameError

__all__ = [
    "Target",
    "app_owned_columns",
    "check_shapes",
    "check_target",
    "read_target",
    "referenced_column",
]

MAX_PROBLEMS = 5


@dataclass
class Target:
    """The scenario's tables as the database has them, and those it lacks."""

    tables: dict[str, TableSpec] = field(default_factory=dict)
    missing_tables: list[str] = field(default_factory=list)

    @property
    def self_referencing(self) -> set[str]:
        """Tables with a foreign key to themselves (in the database): their batches are
        never written concurrently (see seedctl.engine.apply.dispatch)."""
        return {name for name, spec in self.tables.items() if spec.self_referencing}

    @property
    def column_types(self) -> dict[str, dict[str, str]]:
        """Per table, each column's ``typname`` (the base type for a domain), for binary COPY."""
        return {
            name: {c: col.type_name for c, col in spec.column_info.items()}
            for name, spec in self.tables.items()
        }


def read_target(conn: sa.Connection, scenario: Scenario) -> Target:
    """The scenario's tables from the catalog; missing ones listed, not raised. Read-only."""
    wanted = table_schemas(scenario.entity_tables, scenario.metadata)
    tables, missing = read_tables(conn, wanted)
    return Target(tables, missing)


def check_target(
    conn: sa.Connection, scenario: Scenario, shapes: Mapping[Shape, int], path: Path
) -> Target:
    """Read the tables and check every shape (first seen at its log line); raise
    :class:`UnknownNameError` naming each problem. Read-only."""
    target = read_target(conn, scenario)
    needed = {shape.table for shape in shapes}
    absent = [t for t in target.missing_tables if t.rsplit(".", 1)[-1] in needed]
    if absent:
        hint = (
            "Run `seedctl schema create`, or pass --create-schema."
            if scenario.metadata is not None
            else "seedctl seeds the tables the app's migrations made: run them first."
        )
        raise UnknownNameError(
            "the database does not have the scenario's target schema ("
            + "; ".join(f"table {name} is missing" for name in absent[:MAX_PROBLEMS])
            + (f"; and {len(absent) - MAX_PROBLEMS} more" if len(absent) > MAX_PROBLEMS else "")
            + f"). {hint}"
        )
    check_shapes(target.tables, scenario.entity_tables, shapes, path)
    return target


def check_shapes(
    tables: Mapping[str, TableSpec],
    entity_tables: Mapping[str, str],
    shapes: Mapping[Shape, int],
    path: Path,
) -> None:
    """Raise naming the first problems, each at ``path:line``; nothing if all is well."""
    problems: list[str] = []
    for shape, line in sorted(shapes.items(), key=lambda item: item[1]):
        spec = tables.get(shape.table)
        if spec is None or shape.op == "delete":
            continue  # a missing table is reported whole by check_target
        problems += [
            f"{path}:{line}: {p}" for p in _shape_problems(spec, shape, tables, entity_tables)
        ]
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        hint = (
            "\nseedctl never alters a table (`seedctl schema create` and --create-schema only "
            "create missing ones): add the missing columns to the table (ALTER TABLE ... ADD "
            "COLUMN, or the app's migration), or correct the scenario."
            if any("unknown column" in p for p in problems)
            else ""
        )
        raise UnknownNameError(
            "the log does not fit the target tables as the database has them; nothing was "
            "written:\n  " + "\n  ".join(problems[:MAX_PROBLEMS]) + hint
        )


def _shape_problems(
    spec: TableSpec,
    shape: Shape,
    tables: Mapping[str, TableSpec],
    entity_tables: Mapping[str, str],
) -> list[str]:
    table = spec.name
    if not spec.primary_key:
        return [f"table {table} has no primary key: seedctl addresses each row it writes by it"]
    unknown = [c for c in shape.columns if c not in spec.columns]
    if unknown:
        return [f"unknown column {table}.{c} (the table has no such column)" for c in unknown]
    problems = [
        f"{table}.{c} is a generated column: the database computes it, leave it out"
        for c in shape.columns
        if spec.column_info[c].generated
    ]
    written = set(shape.columns)
    problems += [
        f"{table}.{c} is NOT NULL without a default ({col.sql_type}), and the command "
        "does not set it"
        for c, col in spec.column_info.items()
        if col.not_null and not col.has_default and c not in written
    ]
    if not shape.conflict:
        problems.append(f"{table}: the command names no conflict columns (its natural key)")
    elif not spec.is_unique_key(shape.conflict):
        keys = ", ".join(f"({', '.join(k)})" for k in sorted(spec.unique_keys)) or "none"
        problems.append(
            f"conflict columns ({', '.join(shape.conflict)}) of {table} are not a unique key "
            f"of the table in the database (its unique keys: {keys})"
        )
    id_column = spec.column_info.get("id")
    if "id" in written and id_column is not None and id_column.type_name not in ID_TYPES:
        problems.append(
            f"{table}.id is {id_column.sql_type}, which cannot hold the command id (a UUID): "
            "leave id out of values and the database assigns it"
        )
    for column, entity in shape.refs:
        ref_spec = tables.get(entity_tables[entity])
        if ref_spec is None:
            continue
        try:
            referenced_column(spec, column, ref_spec)
        except UnknownNameError as e:
            problems.append(str(e))
    return problems


def referenced_column(spec: TableSpec, column: str, ref_spec: TableSpec) -> str:
    """The column of ``ref_spec`` whose value ``spec.column`` takes from a referenced row:
    the column its foreign key names, or else the referenced table's one-column key."""
    for fk in spec.foreign_keys:
        if fk.columns == (column,):
            if (fk.ref_schema, fk.ref_table) != (ref_spec.schema, ref_spec.name):
                raise UnknownNameError(
                    f"{spec.name}.{column} refers to {ref_spec.name}, but its foreign key "
                    f"{fk.name} references {fk.ref_schema}.{fk.ref_table}"
                )
            return fk.ref_columns[0]
    if len(ref_spec.primary_key) != 1:
        raise UnknownNameError(
            f"{spec.name}.{column} refers to {ref_spec.name}, which has no one-column primary "
            "key and no foreign key says which column is meant"
        )
    return ref_spec.primary_key[0]


def app_owned_columns(
    scenario: Scenario, shapes: Mapping[Shape, int] | None = None
) -> dict[str, tuple[str, ...]]:
    """Per table, the columns the app owns once a row exists, which drift never counts:
    the scenario's ``app_managed`` ones and the commands' insert-only ones (``shapes``)."""
    owned: dict[str, set[str]] = {}
    for table, columns in dict(getattr(scenario, "app_managed", None) or {}).items():
        owned.setdefault(table, set()).update(columns)
    for shape in shapes or ():
        if shape.insert_only:
            owned.setdefault(shape.table, set()).update(shape.insert_only)
    return {table: tuple(sorted(columns)) for table, columns in sorted(owned.items())}
