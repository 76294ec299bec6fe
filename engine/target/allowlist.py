"""The target schema as the allow-list: no table or column name reaches SQL unchecked.

A command is accepted only if its entity maps to its table in the scenario,
every column it names exists in that table of the scenario's metadata, and its
conflict columns are exactly one of the table's unique constraints. Names that
pass are then quoted as identifiers when SQL is built (see engine/apply/batch_sql.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from seedctl.ledger import Command, UnknownNameError

__all__ = ["AllowList", "TableSpec"]


@dataclass(frozen=True)
class TableSpec:
    """What SQL building needs to know about one allowed table."""

    name: str
    schema: str | None
    columns: frozenset[str]
    nullable: frozenset[str]
    unique_keys: frozenset[tuple[str, ...]]


def _unique_keys(table: sa.Table) -> frozenset[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = {tuple(c.name for c in table.primary_key.columns)}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            keys.add(tuple(c.name for c in constraint.columns))
    for index in table.indexes:
        if index.unique:
            keys.add(tuple(c.name for c in index.columns if isinstance(c, sa.Column)))
    return frozenset(keys)


class AllowList:
    """Checks commands against a scenario's metadata and entity-table map."""

    def __init__(self, metadata: sa.MetaData, entity_tables: Mapping[str, str]) -> None:
        self.entity_tables = dict(entity_tables)
        self.tables: dict[str, TableSpec] = {}
        for table in metadata.tables.values():
            if tuple(c.name for c in table.primary_key.columns) != ("id",):
                raise UnknownNameError(
                    f"target table {table.name!r} must have the primary key (id): seedctl "
                    "addresses every row by its UUIDv5 id"
                )
            self.tables[table.name] = TableSpec(
                name=table.name,
                schema=table.schema,
                columns=frozenset(c.name for c in table.columns),
                nullable=frozenset(c.name for c in table.columns if c.nullable),
                unique_keys=_unique_keys(table),
            )
        for entity, table_name in self.entity_tables.items():
            if table_name not in self.tables:
                raise UnknownNameError(
                    f"scenario maps entity {entity!r} to table {table_name!r}, "
                    "which its metadata does not define"
                )
        self._checked: set[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = (
            set()
        )

    def check(self, command: Command, where: str) -> TableSpec:
        """The command's table spec, or :class:`UnknownNameError` naming ``where`` and the name."""
        columns = tuple(command.values)
        signature = (command.entity, command.table, columns, command.conflict, command.insert_only)
        spec = self.tables.get(command.table)
        if signature in self._checked and spec is not None:
            return spec  # the same shape was checked before; most commands repeat one
        expected_table = self.entity_tables.get(command.entity)
        if expected_table is None:
            known = ", ".join(self.entity_tables)
            raise UnknownNameError(f"{where}: unknown entity {command.entity!r} (known: {known})")
        if spec is None or command.table != expected_table:
            raise UnknownNameError(
                f"{where}: table {command.table!r} is not the target table of entity "
                f"{command.entity!r} ({expected_table!r})"
            )
        unknown = [c for c in columns if c not in spec.columns]
        if unknown:
            raise UnknownNameError(
                f"{where}: unknown column {command.table}.{unknown[0]} (not in the target schema)"
            )
        if command.conflict not in spec.unique_keys and tuple(sorted(command.conflict)) not in {
            tuple(sorted(k)) for k in spec.unique_keys
        }:
            raise UnknownNameError(
                f"{where}: conflict columns {list(command.conflict)} of {command.table} are not "
                "a unique key of the table"
            )
        self._checked.add(signature)
        return spec
