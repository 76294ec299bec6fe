"""Create a scenario's target schema (the demo app's tables) in a database. Writes DDL only.

Idempotent: ``metadata.create_all`` with ``checkfirst`` creates the tables that are
missing and leaves existing ones alone. It never alters an existing table, so one
that lacks a column the scenario writes is reported instead of half-used.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import sqlalchemy as sa
from seedctl.engine.db import connect_engine, describe, resolve_database
from seedctl.engine.scenarios import Scenario
from seedctl.ledger import ConfigError, UnknownNameError

__all__ = ["SchemaResult", "create_target_schema"]

# The applier takes the same lock before its own create_all (apply --create-schema),
# so two processes never race to create one table.
_DDL_LOCK = "SELECT pg_advisory_xact_lock(hashtext('seedctl:target-ddl'))"


@dataclass(frozen=True)
class SchemaResult:
    """Which of the scenario's tables this call created and which were there already."""

    database: str
    scenario: str
    created: list[str]
    existing: list[str]


def _missing_columns(conn: sa.Connection, tables: list[sa.Table]) -> list[str]:
    inspector = sa.inspect(conn)
    problems = []
    for table in tables:
        present = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)}
        missing = [c.name for c in table.columns if c.name not in present]
        if missing:
            problems.append(f"{table.name} lacks {', '.join(missing)}")
    return problems


def create_target_schema(url: str | None, scenario: Scenario) -> SchemaResult:
    """Create the scenario's missing tables in one transaction. Writes DDL; no rows.

    ``url`` None means ``SEEDCTL_DATABASE_URL`` or the embedded server.
    """
    metadata = scenario.metadata
    if metadata is None:
        raise ConfigError(
            f"scenario {scenario.name!r} declares no tables (its metadata is None): it seeds "
            "the tables the app's own migrations made, so there is nothing to create"
        )
    database = resolve_database(url)
    tables = list(metadata.sorted_tables)
    with connect_engine(database.url) as engine:
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(_DDL_LOCK))
                inspector = sa.inspect(conn)
                existing = [t for t in tables if inspector.has_table(t.name, schema=t.schema)]
                problems = _missing_columns(conn, existing)
                if problems:
                    raise UnknownNameError(
                        f"{describe(database.url)}: existing tables do not match the "
                        f"{scenario.name} schema ({'; '.join(problems)}); seedctl never alters "
                        "a table: migrate it or use another database"
                    )
                metadata.create_all(conn, checkfirst=True)
        except sa.exc.DBAPIError as e:
            raise UnknownNameError(
                f"cannot create the {scenario.name} schema in {describe(database.url)}: "
                f"{_reason(e)}"
            ) from e
    # str(): SQLAlchemy's quoted_name is a str subclass that JSON encoders refuse.
    existing_names = {str(t.name) for t in existing}
    names = [str(t.name) for t in tables]
    return SchemaResult(
        database=describe(database.url),
        scenario=scenario.name,
        created=[n for n in names if n not in existing_names],
        existing=[n for n in names if n in existing_names],
    )


def _reason(error: sa.exc.DBAPIError) -> str:
    if isinstance(error.orig, psycopg.Error) and error.orig.diag.message_primary:
        return error.orig.diag.message_primary
    return " ".join(str(error.orig or error).split())
