"""Rows outside the ledger that deleting seeded rows would delete, change or trip over.

Revert, and apply removing rows a later generation no longer makes, delete only
rows the ledger names, but the database follows foreign keys from there: an app
row that points at a seeded row through an ``ON DELETE CASCADE`` key goes with it
(every Prisma relation is one), ``SET NULL`` and ``SET DEFAULT`` keys change it,
and a ``NO ACTION`` or ``RESTRICT`` key makes the delete fail part way. Before the
first write, this finds every such row, following cascades on to the rows they
would take with them, and counts them per table and key. Rows deleted or restored
by the same run (in the ledger) never count. Read-only.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql
from seedctl.engine.target.catalog import TableSpec
from seedctl.engine.target.sqlnames import qualified, row_match
from seedctl.ledger import DependentRowsError

__all__ = ["ACTIONS", "Dependent", "Doomed", "find_dependents", "refuse_dependents", "triggers_on"]

ACTIONS = {"c": "cascade", "n": "set null", "d": "set default", "a": "no action", "r": "restrict"}
MAX_DEPTH = 4
"""Cascades followed this many keys deep: far beyond any app schema seen in practice."""


@dataclass(frozen=True)
class Dependent:
    """``rows`` rows of ``table`` that the revert would touch through foreign key ``key``."""

    table: str
    key: str
    action: str
    parent: str
    rows: int
    depth: int
    """1: points at a seeded row; 2 and more: taken along by a cascade."""

    @property
    def blocks(self) -> bool:
        """The delete would fail on these rows: a NO ACTION or RESTRICT key."""
        return self.action in ("no action", "restrict")


_REFERRING = """
SELECT k.conname, cn.nspname, c.relname, c.oid::bigint,
    ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
    ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
          JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i),
    k.confdeltype::text
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace cn ON cn.oid = c.relnamespace
WHERE k.contype = 'f' AND k.confrelid = to_regclass(%(parent)s)
ORDER BY k.conname
"""


@dataclass(frozen=True)
class _Key:
    name: str
    schema: str
    table: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    action: str


def _keys_to(cur: psycopg.Cursor[tuple[object, ...]], schema: str, table: str) -> list[_Key]:
    parent = sql.Identifier(schema, table).as_string(cur.connection)
    cur.execute(_REFERRING, {"parent": parent})
    return [
        _Key(str(n), str(s), str(t), tuple(map(str, cols)), tuple(map(str, refs)), str(act))  # type: ignore[call-overload]
        for n, s, t, _, cols, refs, act in cur.fetchall()
    ]


@dataclass(frozen=True)
class Doomed:
    """Which rows go, as conditions on a ledger row ``a`` of a table: ``deleted`` the rows
    the run deletes, ``handled`` every row it deletes or restores itself (never outside)."""

    deleted: Callable[[TableSpec], sql.Composable]
    handled: Callable[[TableSpec], sql.Composable]

    @classmethod
    def reverting(cls, tenant: str, run_ids: Sequence[uuid.UUID]) -> Doomed:
        """A revert of ``run_ids``: it deletes the rows they inserted."""
        scope = sql.SQL("a.tenant = {} AND a.run_id = ANY({}::uuid[])").format(
            sql.Literal(tenant), sql.Literal([str(r) for r in run_ids])
        )
        return cls(
            deleted=lambda spec: sql.SQL("{} AND a.outcome = 'inserted'").format(scope),
            handled=lambda spec: scope,
        )

    @classmethod
    def removing(cls, tenant: str, ids: Mapping[str, Sequence[str]]) -> Doomed:
        """Apply's deletes: per table, the command ids of the rows it removes. Every row the
        tenant's seed wrote counts as its own: a child that still points at a doomed row may
        be re-pointed by an update earlier in the same run, which the survey, made before
        the first write, cannot see; if it is not, the post-seed check names it."""

        def chosen(spec: TableSpec) -> sql.Composable:
            return sql.SQL("a.tenant = {} AND a.row_id = ANY({}::text[]::uuid[])").format(
                sql.Literal(tenant), sql.Literal(list(ids.get(spec.name, ())))
            )

        return cls(
            deleted=chosen,
            handled=lambda spec: sql.SQL("a.tenant = {}").format(sql.Literal(tenant)),
        )


def _seeded(spec: TableSpec, doomed: Doomed) -> sql.Composable:
    """The rows of ``spec`` the run deletes."""
    return sql.SQL(
        "SELECT t.* FROM {target} t WHERE EXISTS (SELECT 1 FROM seedctl.applied a "
        "WHERE {scope} AND a.table_name = {name} AND {match})"
    ).format(
        target=qualified(spec),
        scope=doomed.deleted(spec),
        name=sql.Literal(spec.name),
        match=row_match(spec),
    )


def _columns(alias: str, names: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{}.{}").format(sql.Identifier(alias), sql.Identifier(c)) for c in names
    )


def find_dependents(
    cur: psycopg.Cursor[tuple[object, ...]], specs: Sequence[TableSpec], doomed: Doomed
) -> list[Dependent]:
    """Every group of rows outside the ledger that deleting the ``doomed`` rows would touch."""
    by_place: Mapping[tuple[str | None, str], TableSpec] = {(s.schema, s.name): s for s in specs}
    found: list[Dependent] = []
    # (the rows that go, as SQL; where they live; how deep) for every set of doomed rows.
    frontier: list[tuple[sql.Composable, str, str, int]] = [
        (_seeded(spec, doomed), spec.schema or "public", spec.name, 1) for spec in specs
    ]
    while frontier:
        going, schema, table, depth = frontier.pop(0)
        for key in _keys_to(cur, schema, table):
            child = sql.Identifier(key.schema, key.table)
            points = sql.SQL("({cols}) IN (SELECT {refs} FROM ({going}) AS p)").format(
                cols=sql.SQL(", ").join(
                    sql.SQL("c.{}").format(sql.Identifier(c)) for c in key.columns
                ),
                refs=sql.SQL(", ").join(
                    sql.SQL("p.{}").format(sql.Identifier(c)) for c in key.ref_columns
                ),
                going=going,
            )
            ours = by_place.get((key.schema, key.table))
            # Rows the run deletes or restores itself are not outside: a restored row
            # gets an image from before the reverted runs, which cannot point at rows
            # they inserted.
            outside = (
                sql.SQL(
                    "NOT EXISTS (SELECT 1 FROM seedctl.applied a WHERE {scope} "
                    "AND a.table_name = {name} AND {match})"
                ).format(
                    scope=doomed.handled(ours),
                    name=sql.Literal(ours.name),
                    match=row_match(ours, "c", "a"),
                )
                if ours is not None
                else sql.SQL("true")
            )
            rows = sql.SQL("SELECT c.* FROM {child} c WHERE {points} AND {outside}").format(
                child=child, points=points, outside=outside
            )
            cur.execute(sql.SQL("SELECT count(*) FROM ({}) AS r").format(rows))
            counted = cur.fetchone()
            n = int(str(counted[0])) if counted else 0
            if not n:
                continue
            action = ACTIONS.get(key.action, key.action)
            found.append(Dependent(f"{key.schema}.{key.table}", key.name, action, table, n, depth))
            if action == "cascade" and depth < MAX_DEPTH:
                frontier.append((rows, key.schema, key.table, depth + 1))
    return found


def triggers_on(cur: psycopg.Cursor[tuple[object, ...]], specs: Sequence[TableSpec]) -> list[str]:
    """User triggers on the seeded tables (``table: trigger``): a revert fires them."""
    names = [sql.Identifier(s.schema or "public", s.name).as_string(cur.connection) for s in specs]
    if not names:
        return []
    cur.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND t.tgrelid = ANY(ARRAY(SELECT to_regclass(n) "
        "FROM unnest(%(names)s::text[]) AS n)) ORDER BY 1, 2",
        {"names": names},
    )
    return [f"{table}: {trigger}" for table, trigger in cur.fetchall()]


def refuse_dependents(dependents: Sequence[Dependent], *, cascade: bool, action: str) -> None:
    """Raise :class:`DependentRowsError` unless every row outside the ledger may go with the
    deletes (``cascade``, and no NO ACTION or RESTRICT key). ``action``: "revert", "apply"."""
    blocking = [d for d in dependents if d.blocks]
    if not blocking and (cascade or not dependents):
        return
    shown = blocking or list(dependents)
    lines = "\n  ".join(
        f"{d.table}: {d.rows} row{'s' if d.rows != 1 else ''} ({d.key}, on delete {d.action}) "
        f"{'refer to' if d.depth == 1 else 'go with rows of'} {d.parent}"
        for d in shown
    )
    if blocking:
        advice = (
            "these rows would make the delete fail; remove or repoint them first "
            "(--cascade does not apply to NO ACTION or RESTRICT keys)"
        )
    else:
        advice = "pass --cascade to let the database delete or change them with the seed"
    if action == "apply":
        advice += ", or --no-prune to keep the rows the log removed"
    done = "reverted" if action == "revert" else "written"
    raise DependentRowsError(
        f"{action} would touch rows seedctl did not write; nothing was {done}:\n  "
        + lines
        + f"\n{advice}."
    )
