"""The log's rows as typed Python values, for the loaders that do not go through seedctl.

Command values are JSON scalars (dates, timestamps, decimals and UUIDs as text).
Binary COPY needs real Python values of the column's PostgreSQL type, so each
column gets a codec derived from its SQLAlchemy type: the PostgreSQL type name for
``copy.set_types`` and a function from the JSON scalar to the Python value.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from seedctl.ledger import JsonScalar, LogReader

__all__ = [
    "ColumnCodec",
    "SampleRow",
    "TableCodec",
    "count_tables",
    "fk_closed_sample",
    "read_table_rows",
    "sample_quotas",
    "table_codecs",
]

Convert = Callable[[JsonScalar], object]


@dataclass(frozen=True)
class ColumnCodec:
    """One column: its name, PostgreSQL type name and JSON-scalar-to-Python conversion."""

    name: str
    pg_type: str
    convert: Convert


@dataclass(frozen=True)
class TableCodec:
    """A table's columns in table order, and which of them are foreign keys."""

    table: str
    columns: tuple[ColumnCodec, ...]
    foreign_keys: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def pg_types(self) -> list[str]:
        return [c.pg_type for c in self.columns]

    def row(self, values: Mapping[str, JsonScalar]) -> tuple[object, ...]:
        """The typed row for one command's values (a missing column is NULL)."""
        return tuple(
            None if (v := values.get(c.name)) is None else c.convert(v) for c in self.columns
        )


def _text_of(convert: Callable[[str], object]) -> Convert:
    def from_scalar(value: JsonScalar) -> object:
        return convert(str(value))

    return from_scalar


# Checked in order: subclasses before their bases (BigInteger is an Integer, Float a Numeric).
_CODECS: tuple[tuple[type[sa.types.TypeEngine[Any]], str, Convert], ...] = (
    (sa.Uuid, "uuid", _text_of(uuid.UUID)),
    (sa.Boolean, "bool", bool),
    (sa.BigInteger, "int8", _text_of(int)),
    (sa.SmallInteger, "int2", _text_of(int)),
    (sa.Integer, "int4", _text_of(int)),
    (sa.Float, "float8", _text_of(float)),
    (sa.Numeric, "numeric", _text_of(Decimal)),
    (sa.DateTime, "timestamp", _text_of(dt.datetime.fromisoformat)),
    (sa.Date, "date", _text_of(dt.date.fromisoformat)),
    (sa.String, "text", _text_of(str)),
)


def _pg_type(column: sa.Column[object]) -> tuple[str, Convert]:
    """The PostgreSQL type name and converter for a column, from its SQLAlchemy type."""
    kind = column.type
    for sa_type, pg_type, convert in _CODECS:
        if isinstance(kind, sa_type):
            if isinstance(kind, sa.DateTime) and kind.timezone:
                return "timestamptz", convert
            return pg_type, convert
    raise TypeError(f"{column.table.name}.{column.name}: no COPY codec for {kind!r}")


def table_codecs(metadata: sa.MetaData) -> dict[str, TableCodec]:
    """A codec for every table of the target schema, keyed by table name."""
    codecs = {}
    for table in metadata.sorted_tables:
        columns = []
        for column in table.columns:
            pg_type, convert = _pg_type(column)
            columns.append(ColumnCodec(column.name, pg_type, convert))
        fks = tuple(c.name for c in table.columns if c.foreign_keys)
        codecs[table.name] = TableCodec(table.name, tuple(columns), fks)
    return codecs


def read_table_rows(
    log_path: Path, codecs: Mapping[str, TableCodec]
) -> dict[str, dict[str, tuple[object, ...]]]:
    """Every table's final rows, by id, in log order (parents before children).

    A fresh log holds one command per id; after appends a later command for the same
    id replaces the earlier row in place, which is the state seedctl leaves too.
    Holds every row in memory (the baseline times COPY, not a streaming reader).
    """
    rows: dict[str, dict[str, tuple[object, ...]]] = {table: {} for table in codecs}
    with LogReader(log_path) as reader:
        for record, _ in reader:
            rows[record.table][record.id] = codecs[record.table].row(record.values)
    return rows


def count_tables(log_path: Path) -> dict[str, int]:
    """Commands per table in the log (one read, nothing kept)."""
    counts: dict[str, int] = {}
    with LogReader(log_path) as reader:
        for record, _ in reader:
            counts[record.table] = counts.get(record.table, 0) + 1
    return counts


@dataclass(frozen=True)
class SampleRow:
    """One row of the per-row sample, with what its upsert needs."""

    table: str
    values: tuple[object, ...]
    conflict: tuple[str, ...]
    insert_only: tuple[str, ...]


@dataclass
class _Quotas:
    wanted: dict[str, int]
    taken: dict[str, int] = field(default_factory=dict)

    def open(self, table: str) -> bool:
        return self.taken.get(table, 0) < self.wanted.get(table, 0)

    def take(self, table: str) -> None:
        self.taken[table] = self.taken.get(table, 0) + 1

    def all_full(self) -> bool:
        return all(not self.open(t) for t in self.wanted)


def sample_quotas(counts: Mapping[str, int], sample: int, keep_whole: int = 50) -> dict[str, int]:
    """Rows to take per table: its share of ``sample``, but all rows of tables this small."""
    total = sum(counts.values())
    return {
        table: n if n <= keep_whole else max(1, round(sample * n / total))
        for table, n in counts.items()
    }


def fk_closed_sample(
    log_path: Path,
    codecs: Mapping[str, TableCodec],
    quotas: Mapping[str, int],
    table_order: Sequence[str],
) -> list[SampleRow]:
    """About ``sum(quotas)`` rows, each table's share, whose foreign keys all point inside it.

    Walks the log in order (parents come before children) and takes a row while its
    table's quota is open and every non-NULL foreign key names a row already taken,
    so the sample loads into an empty schema with every constraint in place. A table
    whose parents were sampled thinly may end up a little short of its quota.
    Returned in dependency order (table by table, log order inside a table).
    """
    taken_ids: set[str] = set()
    picked: dict[str, list[SampleRow]] = {t: [] for t in table_order}
    budget = _Quotas(dict(quotas))
    with LogReader(log_path) as reader:
        for record, _ in reader:
            if budget.all_full():
                break
            table = record.table
            if not budget.open(table):
                continue
            codec = codecs[table]
            values = record.values
            parents = (values.get(c) for c in codec.foreign_keys)
            if any(p is not None and p not in taken_ids for p in parents):
                continue
            budget.take(table)
            taken_ids.add(record.id)
            picked.setdefault(table, []).append(
                SampleRow(table, codec.row(values), record.conflict, record.insert_only)
            )
    return [row for table in table_order for row in picked.get(table, [])]
