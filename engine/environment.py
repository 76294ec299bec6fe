"""Marking a database development, staging or production (Rails' protected environments)."""

from __future__ import annotations

from engine.database import connect_engine, describe, resolve_database
from ledger import store

__all__ = ["get_environment", "set_environment"]


def set_environment(environment: str, *, database_url: str | None = None) -> str:
    """Mark the database; return its description. Writes ``seedctl.meta``."""
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine, engine.begin() as conn:
        store.set_environment(conn, environment)
    return describe(database.url)


def get_environment(*, database_url: str | None = None) -> tuple[str, str | None]:
    """The database's description and its marking (None if unmarked). Read-only."""
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine, engine.connect() as conn:
        return describe(database.url), store.get_environment(conn)
