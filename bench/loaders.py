"""The two loaders that do not go through seedctl, each run as its own process.

``python bench/loaders.py copy --log L --database-url U`` loads every row of the
log with binary COPY; ``python bench/loaders.py per-row --log L --database-url U
--sample N`` upserts a sample one row per round trip. Both create the scenario's
target schema (constraints included) in the empty database first, and print one
JSON object with their timings on stdout. ``apply_vs_copy.py`` runs them under
``/usr/bin/time -v`` so that their peak RSS is measured like seedctl's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from logrows import (
    SampleRow,
    TableCodec,
    count_tables,
    fk_closed_sample,
    read_table_rows,
    sample_quotas,
    table_codecs,
)
from psycopg import sql
from seedctl.engine.scenarios import Scenario, get_scenario
from seedctl.ledger import LogReader

__all__ = ["copy_tables", "main", "run_copy", "run_per_row", "upsert_statement"]


def scenario_of(log_path: Path) -> Scenario:
    """The scenario named in the log's header (its metadata is the target schema)."""
    with LogReader(log_path) as reader:
        return get_scenario(reader.header.scenario)


def dependency_order(scenario: Scenario) -> list[str]:
    """Tables in the scenario's dependency order (spec section 9: parents first)."""
    return list(dict.fromkeys(scenario.entity_tables.values()))


def create_schema(url: str, metadata: sa.MetaData) -> None:
    """Create the target tables with every key and constraint, as ``seedctl schema create``."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def copy_tables(
    url: str,
    order: Sequence[str],
    codecs: Mapping[str, TableCodec],
    rows: Mapping[str, Mapping[str, tuple[object, ...]]],
) -> dict[str, float]:
    """Binary COPY of each table's rows, one transaction per table; seconds per table.

    Each table's time runs from BEGIN to COMMIT, so it includes the foreign-key and
    check constraints PostgreSQL verifies for the COPY.
    """
    seconds: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        for table in order:
            table_rows = rows.get(table, {})
            if not table_rows:
                continue
            codec = codecs[table]
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, codec.names))
            )
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
                copy.set_types(codec.pg_types)
                for row in table_rows.values():
                    copy.write_row(row)
            seconds[table] = time.perf_counter() - started
    return seconds


def run_copy(log_path: Path, url: str) -> dict[str, Any]:
    """Read the whole log into typed rows (timed apart), then COPY them table by table."""
    scenario = scenario_of(log_path)
    create_schema(url, scenario.metadata)
    codecs = table_codecs(scenario.metadata)
    started = time.perf_counter()
    rows = read_table_rows(log_path, codecs)
    read_s = time.perf_counter() - started
    per_table = copy_tables(url, dependency_order(scenario), codecs, rows)
    return {
        "rows": sum(len(r) for r in rows.values()),
        "read_s": read_s,
        "copy_s": sum(per_table.values()),
        "tables": {t: {"rows": len(rows[t]), "copy_s": s} for t, s in per_table.items()},
    }


def upsert_statement(
    codec: TableCodec, conflict: Sequence[str], insert_only: Sequence[str]
) -> sql.Composed:
    """The Prisma-style upsert of one row: ``INSERT ... ON CONFLICT (natural key) DO UPDATE``.

    Every column that is neither the id, the natural key nor insert-only is updated
    (the spec's "preserve passwordHash if exists"); a table with nothing to update
    gets ``DO NOTHING``. ``RETURNING id`` as Prisma's upsert returns the record.
    """
    ident = sql.Identifier
    updatable = [c for c in codec.names if c != "id" and c not in conflict and c not in insert_only]
    action: sql.Composable = sql.SQL("DO NOTHING")
    if updatable:
        action = sql.SQL("DO UPDATE SET {}").format(
            sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=ident(c)) for c in updatable)
        )
    return sql.SQL(
        "INSERT INTO {table} ({columns}) VALUES ({params}) ON CONFLICT ({conflict}) {action} "
        "RETURNING id"
    ).format(
        table=ident(codec.table),
        columns=sql.SQL(", ").join(map(ident, codec.names)),
        params=sql.SQL(", ").join(sql.Placeholder() * len(codec.names)),
        conflict=sql.SQL(", ").join(map(ident, conflict)),
        action=action,
    )


def upsert_rows(url: str, codecs: Mapping[str, TableCodec], sample: Sequence[SampleRow]) -> float:
    """One autocommitted upsert per row, one round trip each; the seconds it took."""
    statements: dict[tuple[str, tuple[str, ...], tuple[str, ...]], sql.Composed] = {}
    for row in sample:
        shape = (row.table, row.conflict, row.insert_only)
        if shape not in statements:
            statements[shape] = upsert_statement(codecs[row.table], row.conflict, row.insert_only)
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        for row in sample:
            cur.execute(statements[(row.table, row.conflict, row.insert_only)], row.values)
            cur.fetchall()
        return time.perf_counter() - started


def run_per_row(log_path: Path, url: str, sample_size: int) -> dict[str, Any]:
    """Upsert a foreign-key-closed sample of about ``sample_size`` rows, row by row."""
    scenario = scenario_of(log_path)
    create_schema(url, scenario.metadata)
    codecs = table_codecs(scenario.metadata)
    counts = count_tables(log_path)
    quotas = sample_quotas(counts, sample_size)
    sample = fk_closed_sample(log_path, codecs, quotas, dependency_order(scenario))
    seconds = upsert_rows(url, codecs, sample)
    per_table: dict[str, int] = {}
    for row in sample:
        per_table[row.table] = per_table.get(row.table, 0) + 1
    return {
        "rows": len(sample),
        "seconds": seconds,
        "log_rows": sum(counts.values()),
        "tables": per_table,
    }


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loader", choices=["copy", "per-row"])
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--sample", type=int, default=20_000)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one loader and print its result as one JSON object."""
    args = _parse(argv)
    if args.loader == "copy":
        result = run_copy(args.log, args.database_url)
    else:
        result = run_per_row(args.log, args.database_url, args.sample)
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
