"""The allow-list: no table or column name reaches SQL unchecked.

Two steps. While the log is scanned (no database yet), each command's entity
must be one of the scenario's and its table that entity's table; every distinct
command *shape* (table, columns, conflict, insert-only and referenced entities)
is recorded with the first log line that has it. Before the first write, each
shape is checked against the catalog (:func:`seedctl.engine.target.check.check_shapes`):
columns, keys, NOT NULL columns, references. Names that pass are then quoted as
identifiers when SQL is built (see ``sqlnames.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import sqlalchemy as sa
from seedctl.ledger import Command, UnknownNameError

__all__ = ["AllowList", "Shape", "shape_of", "table_schemas"]


class Shape(NamedTuple):
    """What one kind of command writes: everything but its values."""

    entity: str
    table: str
    columns: tuple[str, ...]
    conflict: tuple[str, ...]
    insert_only: tuple[str, ...]
    refs: tuple[tuple[str, str], ...]
    """``(column, referenced entity)`` per ``values_from`` column."""
    op: str = "upsert"
    """``delete``: no columns; only its table must exist."""


def shape_of(command: Command) -> Shape:
    refs = command.refs
    return Shape(
        command.entity,
        command.table,
        command.columns,
        command.conflict,
        command.insert_only,
        tuple((c, r.entity) for c, r in refs.items()) if refs else (),
        command.op,
    )


def table_schemas(
    entity_tables: Mapping[str, str], metadata: sa.MetaData | None
) -> dict[str, str | None]:
    """Each target table and the schema it is declared in (None: the search path)."""
    declared = {t.name: t.schema for t in metadata.tables.values()} if metadata else {}
    return {table: declared.get(table) for table in entity_tables.values()}


class AllowList:
    """Checks each command's entity and table against a scenario's entity-table map."""

    def __init__(self, entity_tables: Mapping[str, str]) -> None:
        self.entity_tables = dict(entity_tables)

    def check(self, command: Command, where: str) -> None:
        """Raise :class:`UnknownNameError` naming ``where`` unless entity and table match."""
        expected_table = self.entity_tables.get(command.entity)
        if expected_table is None:
            known = ", ".join(self.entity_tables)
            raise UnknownNameError(f"{where}: unknown entity {command.entity!r} (known: {known})")
        if command.table != expected_table:
            raise UnknownNameError(
                f"{where}: table {command.table!r} is not the target table of entity "
                f"{command.entity!r} ({expected_table!r})"
            )
        for column, ref in command.refs.items():
            if ref.entity not in self.entity_tables:
                raise UnknownNameError(
                    f"{where}: {command.table}.{column} refers to unknown entity {ref.entity!r}"
                )
