"""Which database to use, how to connect to it, and driver errors translated once.

``--database-url`` beats ``SEEDCTL_DATABASE_URL`` beats the embedded server.
Every connection failure becomes one :class:`DatabaseUnavailableError` that names
host, port, database and user, never the password.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from seedctl.engine.db import embedded
from seedctl.engine.db.urls import check_parts, connect_failure, libpq_keywords
from seedctl.ledger import ConfigError, DatabaseUnavailableError
from sqlalchemy.engine import URL, make_url

__all__ = ["Database", "connect_engine", "describe", "resolve_database", "sqlalchemy_url"]


@dataclass(frozen=True)
class Database:
    """A resolved target: the libpq URL, and whether it is the embedded server."""

    url: str
    embedded: bool


def resolve_database(url: str | None) -> Database:
    """Pick the database for this invocation. Starts the embedded server when no URL is given."""
    url = url or os.environ.get("SEEDCTL_DATABASE_URL") or None
    if url:
        sqlalchemy_url(url)  # validate early: a typo should not reach the driver
        return Database(url, embedded=False)
    return Database(embedded.start().url, embedded=True)


def sqlalchemy_url(url: str) -> URL:
    """Accept plain ``postgresql://`` / ``postgres://`` URLs and pin the psycopg 3 driver.

    Every part is checked here, before the driver sees it: the scheme, the host's
    brackets, the port, and the query's parameter names (libpq's keywords). A bad
    one is exit 2 naming that part, never a driver traceback.
    """
    url = url.replace("postgres://", "postgresql://", 1)
    check_parts(url)
    try:
        parsed = make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        # Not echoed: text that is no URL may be a secret pasted in the wrong place.
        raise ConfigError("not a database URL: <unparseable URL>") from None
    if parsed.drivername not in {"postgresql", "postgresql+psycopg"}:
        raise ConfigError(f"seedctl needs a postgresql:// URL, not {parsed.drivername}://")
    unknown = sorted(set(parsed.query) - libpq_keywords())
    if unknown:
        raise ConfigError(
            f"the database URL's query names {', '.join(map(repr, unknown))}, not a libpq "
            "connection parameter (such as host, port, sslmode, connect_timeout, options)"
        )
    return parsed.set(drivername="postgresql+psycopg")


def describe(url: str) -> str:
    """Host, port, database and user of a URL, for messages. Never the password."""
    parsed = sqlalchemy_url(url)
    # What the URL leaves out, libpq takes from PG* variables, then its own defaults.
    host = parsed.host or parsed.query.get("host") or os.environ.get("PGHOST") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    port_number = parsed.port or os.environ.get("PGPORT")
    port = f":{port_number}" if port_number else ""
    user = parsed.username or os.environ.get("PGUSER") or getpass.getuser()
    database = parsed.database or os.environ.get("PGDATABASE") or user
    return f"database {database} on {host}{port} as {user}"


@contextmanager
def connect_engine(url: str) -> Iterator[sa.Engine]:
    """An SQLAlchemy engine for ``url``, checked by one connection attempt.

    Raises :class:`DatabaseUnavailableError` if the server cannot be reached or
    refuses the credentials.
    """
    engine = sa.create_engine(
        sqlalchemy_url(url), poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 10}
    )
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as e:
        engine.dispose()
        raise DatabaseUnavailableError(
            f"cannot connect to {describe(url)}: {connect_failure(e.orig)}"
        ) from e
    try:
        yield engine
    finally:
        engine.dispose()
