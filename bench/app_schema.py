"""Issue 11's benchmark: seeding the Prisma fixture's largest table, against raw COPY.

    python bench/app_schema.py [--users N] [--database-url URL] [--repeat K]

The Prisma fixture (tests/fixtures/prisma_app, its migrations applied as-is) keys
``"User"`` by a ``SERIAL`` the database assigns, so seedctl matches each user on its
natural key (email), records the key the database gave it (``row_key``) and
resolves every ``"managerId"`` reference through the ledger in the batch's
transaction. The baseline loads the very same rows into the same schema with one
text ``COPY`` per table, with the manager ids precomputed (a fresh sequence gives
1, 2, 3, ... in load order): no ledger, no references to resolve.

Both loaders run in this process, alternating, each into a fresh database, and the
script prints rows/s and their ratio. seedctl's time includes verifying the log,
the catalog and value checks, the collision check, the ledger rows and the
post-seed count; not interpreter start-up (about 0.5 s, see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
import structlog

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pgserver import Server, bench_server  # noqa: E402
from seedctl.engine.apply import apply_log  # noqa: E402
from seedctl.engine.apply.copy_text import copy_text_rows, to_scalar  # noqa: E402
from seedctl.engine.db import connect_engine  # noqa: E402
from seedctl.engine.scenarios import ScenarioParams  # noqa: E402
from seedctl.engine.target import read_tables  # noqa: E402
from seedctl.ledger import Command, LogHeader, append_commands  # noqa: E402

from tests.support.app_scenarios import PRISMA_APP, PRISMA_MIGRATIONS, apply_migrations  # noqa: E402

ENTITIES = ("organization", "team", "user")


def commands(users: int) -> Iterator[Command]:
    """The fixture scenario's organisation, teams and ``users`` users, nothing else."""
    params = ScenarioParams("bench", dt.date(2026, 1, 15), max(1, users // 10))
    return (c for c in PRISMA_APP.generate(params) if c.entity in ENTITIES)


def write_log(path: Path, users: int) -> int:
    params = ScenarioParams("bench", dt.date(2026, 1, 15), max(1, users // 10))
    header = LogHeader(
        scenario=PRISMA_APP.name,
        tenant=PRISMA_APP.tenant(params),
        params=params.as_header(),
        generator=PRISMA_APP.version,
    )
    return append_commands(path, header, commands(users)).added


def copy_baseline(url: str, users: int) -> float:
    """Load the same rows with plain COPY; manager ids as a fresh sequence will give them."""
    with connect_engine(url) as engine, engine.connect() as conn:
        tables, _ = read_tables(conn, dict.fromkeys(("Organization", "Team", "User")))
    by_table: dict[str, list[Command]] = {}
    for command in commands(users):
        by_table.setdefault(command.table, []).append(command)
    serial = {str(c.id): n for n, c in enumerate(by_table["User"], start=1)}
    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table in ("Organization", "Team", "User"):
            rows = by_table[table]
            columns = [*rows[0].values, *(("managerId",) if table == "User" else ())]
            converters = [to_scalar(tables[table].column_info[c]) for c in columns]
            data = []
            for command in rows:
                values = dict(command.values)
                if table == "User":
                    manager = command.refs.get("managerId")
                    values["managerId"] = serial[manager.id] if manager else None
                data.append(
                    [
                        f(values[c]) if f else values[c]
                        for f, c in zip(converters, columns, strict=True)
                    ]
                )
            names = ", ".join(f'"{c}"' for c in columns)
            with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:  # type: ignore[arg-type]
                copy.write(copy_text_rows(data))
        conn.commit()
    return time.perf_counter() - started


def seedctl_apply(url: str, log: Path) -> float:
    started = time.perf_counter()
    result = apply_log(log, database_url=url)
    elapsed = time.perf_counter() - started
    assert result.written == sum(t.commands for t in result.entities.values())
    return elapsed


def fresh(server: Server, name: str) -> str:
    url = server.fresh_database(name)
    apply_migrations(url, PRISMA_MIGRATIONS)
    return url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with tempfile.TemporaryDirectory() as work, bench_server(args.database_url) as server:
        log = Path(work) / "prisma.log"
        rows = write_log(log, args.users)
        copy_s, apply_s = [], []
        for i in range(args.repeat):
            copy_s.append(copy_baseline(fresh(server, f"app_copy_{i}"), args.users))
            server.drop_database(f"app_copy_{i}")
            apply_s.append(seedctl_apply(fresh(server, f"app_apply_{i}"), log))
            server.drop_database(f"app_apply_{i}")
        copy_best, apply_best = min(copy_s), min(apply_s)
        print(f"rows: {rows} (1 organisation, 3 teams, {rows - 4} users)")
        print(f"raw COPY        {copy_best:7.2f} s  {rows / copy_best:10,.0f} rows/s")
        print(f"seedctl apply   {apply_best:7.2f} s  {rows / apply_best:10,.0f} rows/s")
        print(f"apply / COPY    {copy_best / apply_best:7.2f}x (best of {args.repeat} each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
