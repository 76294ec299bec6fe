"""Marking a database development, staging or production (Rails' protected environments)."""

from __future__ import annotations

import sqlalchemy as sa
from seedctl.engine.db.database import connect_engine, describe, resolve_database
from seedctl.ledger import ProductionGuardError, store

__all__ = ["get_environment", "guard_production", "set_environment"]


def set_environment(
    environment: str, *, database_url: str | None = None, allow_production: bool = False
) -> str:
    """Mark the database; return its description. Writes ``seedctl.meta``.

    A production mark is lifted only with ``allow_production``: otherwise anyone
    could get round the production guard with one command.
    """
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine, engine.begin() as conn:
        if environment != "production" and store.get_environment(conn) == "production":
            guard_production(
                conn, allow_production=allow_production, action=f"mark it {environment}"
            )
        store.set_environment(conn, environment)
    return describe(database.url)


def get_environment(*, database_url: str | None = None) -> tuple[str, str | None]:
    """The database's description and its marking (None if unmarked). Read-only."""
    database = resolve_database(database_url)
    with connect_engine(database.url) as engine, engine.connect() as conn:
        return describe(database.url), store.get_environment(conn)


def guard_production(conn: sa.Connection, *, allow_production: bool, action: str) -> None:
    """Refuse to write to a database marked production unless explicitly allowed. Read-only."""
    if store.get_environment(conn) == "production" and not allow_production:
        raise ProductionGuardError(
            f"this database is marked production; refusing to {action}. "
            f"Pass --allow-production to {action} anyway."
        )
