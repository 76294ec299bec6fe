"""Database URLs without SQLAlchemy: their parts checked, their target described.

``database`` builds SQLAlchemy's URL on top of these; the no-op rerun uses them
alone, before the database stack is imported.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
from urllib.parse import parse_qsl, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from seedctl.ledger import ConfigError

__all__ = ["check_parts", "connect_failure", "describe_plain", "libpq_keywords", "plain_url"]

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
    """``url`` as libpq takes it, if SQLAlchemy (``database.sqlalchemy_url``) would read it
    the same way and accept it; None if it might not. Never raises.

    Conservative on purpose: one host, no percent escape, space or ``+`` outside the
    password and the query's values, no ``+`` in the query, no query key given twice,
    empty, or naming a part the URL's authority or path gives already. Where the two
    parsers could differ (``+`` is a space to SQLAlchemy, not to libpq), the full run
    takes the URL instead.
    """
    url = url.replace("postgres://", "postgresql://", 1)
    if not url.startswith(_PLAIN_SCHEMES):
        return None
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        check_parts(url)
        parts = urlsplit(url)
        conninfo_to_dict(url)
        query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except (ConfigError, psycopg.Error, ValueError):
        return None
    authority = parts.netloc.rsplit("@", 1)
    user = authority[0].split(":", 1)[0] if len(authority) == 2 else ""
    host_port = authority[-1]
    keys = [k for k, _ in query]
    given = {
        "host": parts.hostname,
        "port": host_port.rsplit("]", 1)[-1].count(":"),
        "user": user,
        "dbname": parts.path.strip("/"),
    }
    if (
        any(c in f"{user}@{host_port}{parts.path}" for c in ",% +")
        or "+" in parts.query
        or parts.fragment
        or len(set(keys)) != len(keys)
        or not all(v for _, v in query)
        or not set(keys) <= libpq_keywords()
        or any(given.get(k) for k in keys)
    ):
        return None
    return url


def describe_plain(url: str) -> str:
    """``database.describe`` for a URL :func:`plain_url` returned: the same text, without
    SQLAlchemy. What the URL leaves out, libpq takes from PG* variables, then its own
    defaults."""
    parts = conninfo_to_dict(url)
    host = parts.get("host") or os.environ.get("PGHOST") or "localhost"
    port_number = parts.get("port") or os.environ.get("PGPORT")
    port = f":{port_number}" if port_number else ""
    user = parts.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    database = parts.get("dbname") or os.environ.get("PGDATABASE") or user
    return f"database {database} on {host}{port} as {user}"


def connect_failure(error: BaseException | None) -> str:
    """The driver's reason a connection failed, on one line (libpq spreads it over several)."""
    if isinstance(error, psycopg.Error) and error.diag.message_primary:
        return error.diag.message_primary
    text = " ".join(str(error or "").split())
    return text.removeprefix("connection failed: ") or "unknown error"


@functools.cache
def libpq_keywords() -> frozenset[str]:
    return frozenset(d.keyword.decode() for d in psycopg.pq.Conninfo.get_defaults())


def _redact(url: str) -> str:
    """The URL with its password, if any, replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
