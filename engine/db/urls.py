"""Database URLs without SQLAlchemy: their parts checked, their target described.

``database`` builds SQLAlchemy's URL on top of these; the no-op rerun uses them
alone, before the database stack is imported.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
from urllib.parse import urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from seedctl.ledger import ConfigError

__all__ = ["check_parts", "describe", "libpq_keywords", "plain_url"]

_PLAIN_SCHEMES = ("postgresql://", "postgresql+psycopg://")


def check_parts(url: str) -> None:
    """The host's brackets and the port; raises :class:`ConfigError` naming the bad part."""
    shown = _redact(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ConfigError(
            f"the database URL's host has an unclosed '[' (write an IPv6 address as [::1]): {shown}"
        ) from None
    if "," in parts.netloc:
        return  # several hosts: libpq's own syntax, checked when connecting
    try:
        port = parts.port
    except ValueError:
        given = parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[-1]
        raise ConfigError(
            f"the database URL's port {given!r} is not a number from 1 to 65535: {shown}"
        ) from None
    if port is not None and not 1 <= port <= 65535:
        raise ConfigError(
            f"the database URL's port {port} is not a number from 1 to 65535: {shown}"
        )


def plain_url(url: str) -> str | None:
    """``url`` as libpq takes it, if every check of ``sqlalchemy_url`` would pass it
    (scheme, parts, query names); None if any might not. Never raises."""
    url = url.replace("postgres://", "postgresql://", 1)
    if not url.startswith(_PLAIN_SCHEMES):
        return None
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        check_parts(url)
        keys = set(conninfo_to_dict(url))
    except (ConfigError, psycopg.Error, ValueError):
        return None
    return url if keys <= libpq_keywords() else None


def describe(url: str) -> str:
    """Host, port, database and user of a URL, for messages. Never the password.

    What the URL leaves out, libpq takes from PG* variables, then its own defaults.
    """
    try:
        parts = conninfo_to_dict(url.replace("+psycopg://", "://", 1))
    except psycopg.Error:
        parts = {}
    host = str(parts.get("host") or os.environ.get("PGHOST") or "localhost").split(",")[0]
    port_number = str(parts.get("port") or os.environ.get("PGPORT") or "").split(",")[0]
    port = f":{port_number}" if port_number else ""
    user = parts.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    database = parts.get("dbname") or os.environ.get("PGDATABASE") or user
    return f"database {database} on {host}{port} as {user}"


@functools.cache
def libpq_keywords() -> frozenset[str]:
    return frozenset(d.keyword.decode() for d in psycopg.pq.Conninfo.get_defaults())


def _redact(url: str) -> str:
    """The URL with its password, if any, replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
