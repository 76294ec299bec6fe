"""The target tables as the database has them: the catalog is the schema. Read-only.

A scenario names its tables; seedctl reads everything else from PostgreSQL's
catalog, in the schema each table really lives in: columns and their types, NOT
NULL, defaults and identity, the primary key, unique constraints and unique
indexes, foreign keys. The app's own migrations made those tables (Prisma, Django,
Rails, ...), so this is the only description that cannot disagree with them.

A table named without a schema is looked up the way PostgreSQL resolves the
unqualified name on this connection (``search_path``); from then on it is addressed
by its qualified name, so a table of the same name in another schema can never
receive a write meant for this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

__all__ = ["Column", "ForeignKey", "TableSpec", "read_tables"]

ID_TYPES = frozenset({"uuid", "text", "varchar", "bpchar"})
"""Column types that can hold a command id (a UUID) as the row's own key."""


@dataclass(frozen=True)
class Column:
    """One column as the catalog has it."""

    name: str
    sql_type: str
    """``format_type`` spelling, e.g. ``timestamp(3) without time zone`` or ``"Role"[]``."""
    type_name: str
    """``pg_type.typname`` (of the base type for a domain): ``uuid``, ``int4``, ``_text``."""
    category: str
    """``pg_type.typcategory`` of that type: ``A`` array, ``E`` enum, ``N`` numeric, ..."""
    element: str | None
    """For an array, the element's ``typname``."""
    not_null: bool
    has_default: bool
    """A default, or an identity or generated column: the database can fill it in."""
    generated: bool
    """``GENERATED ALWAYS AS (...) STORED`` or ``GENERATED ALWAYS AS IDENTITY``: not writable."""
    labels: tuple[str, ...] = ()
    """An enum's (or an enum array's element's) labels, in order."""
    max_length: int | None = None
    """``varchar(n)`` / ``char(n)``: n."""

    @property
    def is_json(self) -> bool:
        return self.type_name in ("json", "jsonb")

    @property
    def is_array(self) -> bool:
        return self.category == "A"


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table reference ``ref_columns`` of ``ref_schema.ref_table``."""

    name: str
    columns: tuple[str, ...]
    ref_schema: str
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str
    """``a`` no action, ``r`` restrict, ``c`` cascade, ``n`` set null, ``d`` set default."""


@dataclass(frozen=True)
class TableSpec:
    """What SQL building and checking need to know about one target table."""

    name: str
    schema: str | None
    columns: frozenset[str]
    nullable: frozenset[str]
    unique_keys: frozenset[tuple[str, ...]]
    primary_key: tuple[str, ...] = ("id",)
    column_info: Mapping[str, Column] = field(default_factory=dict)
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def id_keyed(self) -> bool:
        """Rows are keyed by the command id itself: primary key ``(id)`` of a uuid or text type.

        Every other table is addressed by the command's natural key (``conflict``), and
        the ledger records the primary key the database holds (``row_key``).
        """
        if self.primary_key != ("id",):
            return False
        column = self.column_info.get("id")
        return column is None or column.type_name in ID_TYPES

    def by_id(self, columns: Iterable[str]) -> bool:
        """Whether rows written with ``columns`` are keyed by the command id: the table is
        :attr:`id_keyed` and the command gives ``id`` (else the database assigns it)."""
        return self.id_keyed and "id" in columns

    @property
    def self_referencing(self) -> bool:
        return any(
            (fk.ref_schema, fk.ref_table) == (self.schema, self.name) for fk in self.foreign_keys
        )

    def key_type(self, column: str) -> str:
        """The SQL type a key column's text is cast to when matched: ``uuid``, ``integer``."""
        info = self.column_info.get(column)
        return info.sql_type if info is not None else "uuid"

    def is_unique_key(self, columns: Iterable[str]) -> bool:
        """Whether ``columns`` (in any order) are exactly one of the table's unique keys."""
        wanted = frozenset(columns)
        return any(frozenset(key) == wanted for key in self.unique_keys)


_RESOLVE = sa.text(
    """
SELECT w.name, c.oid::bigint, n.nspname
FROM unnest(CAST(:schemas AS text[]), CAST(:names AS text[])) AS w(schema, name)
LEFT JOIN pg_class c ON c.oid = to_regclass(
    CASE WHEN w.schema = '' THEN quote_ident(w.name)
         ELSE quote_ident(w.schema) || '.' || quote_ident(w.name) END)
    AND c.relkind IN ('r', 'p')
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
"""
)

_COLUMNS = sa.text(
    """
SELECT a.attrelid::bigint, a.attname, format_type(a.atttypid, a.atttypmod),
    coalesce(b.typname, t.typname), coalesce(b.typcategory, t.typcategory)::text, e.typname,
    a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
    a.attgenerated <> '' OR a.attidentity = 'a',
    coalesce(
        (SELECT array_agg(l.enumlabel::text ORDER BY l.enumsortorder) FROM pg_enum l
         WHERE l.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END),
        '{}'),
    CASE WHEN coalesce(b.typname, t.typname) IN ('varchar', 'bpchar') AND a.atttypmod > 4
         THEN a.atttypmod - 4 END
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
LEFT JOIN pg_type e ON e.oid = coalesce(b.typelem, t.typelem) AND e.oid <> 0
    AND coalesce(b.typcategory, t.typcategory) = 'A'
WHERE a.attrelid = ANY(CAST(:oids AS oid[])) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
)

_KEYS = sa.text(
    """
SELECT k.conrelid::bigint, k.contype::text, k.conname,
    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
    fn.nspname, fc.relname,
    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i),
    k.confdeltype::text
FROM pg_constraint k
LEFT JOIN pg_class fc ON fc.oid = k.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
WHERE k.conrelid = ANY(CAST(:oids AS oid[])) AND k.contype IN ('p', 'u', 'f')
UNION ALL
SELECT i.indrelid::bigint, 'i', ic.relname,
    ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n ORDER BY u.o),
    NULL, NULL, NULL, NULL
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indrelid = ANY(CAST(:oids AS oid[])) AND i.indisunique AND i.indpred IS NULL
    AND i.indexprs IS NULL
ORDER BY 1, 3
"""
)


def read_tables(
    conn: sa.Connection, wanted: Mapping[str, str | None]
) -> tuple[dict[str, TableSpec], list[str]]:
    """The tables ``wanted`` (name -> schema, or None for the search path) as the catalog
    has them, and those that do not exist, in ``wanted``'s order, each as ``schema.name``
    (for a name without a schema, the schema a CREATE TABLE would put it in). Read-only."""
    names = list(wanted)
    found = conn.execute(
        _RESOLVE, {"schemas": [wanted[n] or "" for n in names], "names": names}
    ).all()
    where = {str(name): (int(oid), str(schema)) for name, oid, schema in found if oid is not None}
    absent = [n for n in names if n not in where]
    default_schema = (
        str(conn.execute(sa.text("SELECT current_schema()")).scalar()) if absent else ""
    )
    missing = [f"{wanted[n] or default_schema}.{n}" for n in absent]
    if not where:
        return {}, missing
    oids = sorted(oid for oid, _ in where.values())
    columns: dict[int, dict[str, Column]] = {}
    for row in conn.execute(_COLUMNS, {"oids": oids}):
        (oid, name, sql_type, type_name, category, element, not_null, default, generated, labels,
         length) = row  # fmt: skip
        columns.setdefault(int(oid), {})[str(name)] = Column(
            name=str(name),
            sql_type=str(sql_type),
            type_name=str(type_name),
            category=str(category),
            element=None if element is None else str(element),
            not_null=bool(not_null),
            has_default=bool(default),
            generated=bool(generated),
            labels=tuple(labels or ()),
            max_length=None if length is None else int(length),
        )
    primary: dict[int, tuple[str, ...]] = {}
    unique: dict[int, set[tuple[str, ...]]] = {}
    foreign: dict[int, list[ForeignKey]] = {}
    for oid, kind, name, cols, ref_schema, ref_table, ref_cols, on_delete in conn.execute(
        _KEYS, {"oids": oids}
    ):
        key = tuple(str(c) for c in cols)
        if kind == "p":
            primary[int(oid)] = key
        if kind in ("p", "u", "i"):
            unique.setdefault(int(oid), set()).add(key)
        elif kind == "f":
            foreign.setdefault(int(oid), []).append(
                ForeignKey(
                    name=str(name),
                    columns=key,
                    ref_schema=str(ref_schema),
                    ref_table=str(ref_table),
                    ref_columns=tuple(str(c) for c in ref_cols),
                    on_delete=str(on_delete),
                )
            )
    tables = {}
    for name, (oid, schema) in where.items():
        info = columns.get(oid, {})
        tables[name] = TableSpec(
            name=name,
            schema=schema,
            columns=frozenset(info),
            nullable=frozenset(c for c, col in info.items() if not col.not_null),
            unique_keys=frozenset(unique.get(oid, ())),
            primary_key=primary.get(oid, ()),
            column_info=info,
            foreign_keys=tuple(foreign.get(oid, ())),
        )
    return tables, missing
