"""Name the target database before any work: from the live connection, with its source.

Every command that touches a database calls :func:`announce_target` first. It reads
the log's header when there is one (so a missing log fails before any server is
started), connects once, and prints ``target: database D on HOST:PORT as USER
(source)`` on stderr, with host, port, database and user as libpq resolved them
(``PGHOST`` and friends included). The first start of the embedded server says that
it creates one, and where. Writes nothing but the embedded data directory on its
first start.
"""

from __future__ import annotations

import os
from pathlib import Path

from seedctl.cli import clicklib as click
from seedctl.cli.output import say

__all__ = ["announce_target", "database_source"]

_SOURCES = {
    click.ParameterSource.COMMANDLINE: "from --database-url",
    click.ParameterSource.ENVIRONMENT: "from SEEDCTL_DATABASE_URL",
    click.ParameterSource.DEFAULT_MAP: "from database_url in {file}",
}


def database_source() -> str:
    """Where this command's ``--database-url`` value came from, in words."""
    ctx = click.get_current_context(silent=True)
    source = ctx.get_parameter_source("database_url") if ctx is not None else None
    text = _SOURCES.get(source) if source is not None else None
    if text is None:
        return "from --database-url"
    from seedctl.cli.config import find_config_file

    return text.format(file=find_config_file() or "the settings file")


def announce_target(database_url: str | None, *, log: Path | None = None) -> None:
    """Check ``log``'s header, then connect once and say which database this run uses."""
    if log is not None:
        from seedctl.ledger.logfile import LogReader

        LogReader(log).close()  # a missing or foreign file fails here, before any server
    if database_url:
        from seedctl.engine.db.database import connect_engine

        with connect_engine(database_url) as engine, engine.connect() as conn:
            info = conn.connection.driver_connection.info  # type: ignore[union-attr]
            where = f"database {info.dbname} on {info.host}:{info.port} as {info.user}"
        source = database_source()
        say("target", f"target: {where} ({source})", level="info", database=where, source=source)
        return
    from seedctl.engine.db import embedded

    if os.environ.get("DATABASE_URL"):
        say(
            "database_url_ignored",
            "note: DATABASE_URL is set, but seedctl does not read it (it often names an "
            "app's own database); using the embedded server. To seed that database, pass "
            '--database-url "$DATABASE_URL" or set SEEDCTL_DATABASE_URL.',
        )
    home = embedded.seedctl_home()
    if not embedded.is_initialised(home):
        say(
            "embedded_creating",
            f"creating an embedded PostgreSQL server in {home / 'pgdata'} (first use; it "
            "keeps running for later commands: `seedctl db stop` stops it)",
            pgdata=str(home / "pgdata"),
        )
    server = embedded.start(home)
    import psycopg

    with psycopg.connect(server.url) as conn:
        info = conn.info
        where = f"database {info.dbname} on {info.host}:{info.port} as {info.user}"
    source = f"embedded server in {home}; no database URL given"
    say("target", f"target: {where} ({source})", level="info", database=where, source=source)
