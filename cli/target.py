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
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from seedctl.cli import clicklib as click
from seedctl.cli.output import say

if TYPE_CHECKING:
    from psycopg import ConnectionInfo
    from seedctl.engine.apply import ApplyResult

__all__ = ["announce_target", "database_source", "embedded_target", "quick_rerun", "say_target"]

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
            say_target(info, database_source())
        return
    url, source = embedded_target()
    import psycopg

    with psycopg.connect(url) as conn:
        say_target(conn.info, source)


def embedded_target() -> tuple[str, str]:
    """The embedded server's URL (started if it is not running) and how to say where it is."""
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
    return server.url, f"embedded server in {home}; no database URL given"


def say_target(info: ConnectionInfo, source: str) -> None:
    where = f"database {info.dbname} on {info.host}:{info.port} as {info.user}"
    say("target", f"target: {where} ({source})", level="info", database=where, source=source)


def quick_rerun(
    database_url: str | None, *, log: Path, log_sha256: Future[str], allow_production: bool
) -> ApplyResult | None:
    """A rerun of the file the last apply applied, answered with psycopg alone, or None.

    Says the target as :func:`announce_target` would, and fails as it would when the
    server cannot be reached. Anything else it cannot vouch for (a URL SQLAlchemy might
    read otherwise, any doubt about the ledger, a run holding the tenant's lock) is
    None, and the full run then does everything again, with its own messages.
    """
    import time

    import psycopg
    from seedctl.engine.apply.unchanged import CONNECT_TIMEOUT_S, nothing_to_do
    from seedctl.engine.db.urls import connect_failure, describe_plain
    from seedctl.ledger import DatabaseUnavailableError
    from seedctl.ledger.last_apply import unchanged_last_apply
    from seedctl.ledger.logfile import LogReader

    started = time.monotonic()
    with LogReader(log) as reader:  # a missing or foreign file fails here, as it would later
        tenant = reader.header.tenant
    target = _plain_target(database_url)
    if target is None:
        return None
    url, source = target
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError as e:
        if source is not None:
            return None  # the embedded server: the full run starts and reports it
        raise DatabaseUnavailableError(
            f"cannot connect to {describe_plain(url)}: {connect_failure(e)}"
        ) from e
    except psycopg.Error:
        return None
    with conn:
        try:
            last = unchanged_last_apply(
                conn, tenant, log_sha256.result, allow_production=allow_production
            )
        except psycopg.Error:
            return None
        if last is None or last.entity_order is None:
            return None  # an older run: the full run asks the scenario for the order
        say_target(conn.info, source or database_source())
    return nothing_to_do(last, log, tenant, describe_plain(url), started)


def _plain_target(database_url: str | None) -> tuple[str, str | None] | None:
    """The URL :func:`quick_rerun` may connect to, and the source to name if it is the
    embedded server; None if the full run should decide (an unusual URL; the embedded
    server's first start, or ``DATABASE_URL`` set, which it has something to say about)."""
    from seedctl.engine.db.urls import plain_url

    if database_url:
        url = plain_url(database_url)
        return None if url is None else (url, None)
    from seedctl.engine.db import embedded

    home = embedded.seedctl_home()
    if os.environ.get("DATABASE_URL") or not embedded.is_initialised(home):
        return None
    url, source = embedded_target()
    plain = plain_url(url)
    return None if plain is None else (plain, source)
