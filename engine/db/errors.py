"""Driver errors translated into seedctl errors, in this one place.

Called where a batch or query fails for a reason a user can act on; anything not
recognised here propagates unchanged (with its traceback under ``--debug``).
"""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from seedctl.engine.db.retry import is_transient
from seedctl.ledger import (
    CollisionError,
    ContentionError,
    DatabaseUnavailableError,
    PermissionDeniedError,
    SeedctlError,
)

__all__ = ["translate_driver_error", "translate_write_error"]

_CONTENTION = {
    "55P03": "a lock stayed held by another session",
    "40P01": "deadlocks with other sessions kept aborting the transaction",
    "40001": "serialization failures kept aborting the transaction",
}

# What each statement needs, for the permission message ("the role needs INSERT ...").
_PRIVILEGE_OF_VERB = {
    "CREATE": "CREATE",
    "ALTER": "ownership (ALTER)",
    "DROP": "ownership (DROP)",
    "INSERT": "INSERT",
    "UPDATE": "UPDATE",
    "DELETE": "DELETE",
    "TRUNCATE": "TRUNCATE",
    "SELECT": "SELECT",
    "WITH": "SELECT",
    "COPY": "INSERT",
}


def _driver(error: BaseException) -> BaseException:
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def _statement(error: BaseException) -> str:
    statement = getattr(error, "statement", None)
    if not statement:
        return ""
    flat = " ".join(str(statement).split())
    return flat if len(flat) <= 120 else flat[:117] + "..."


def translate_driver_error(
    error: BaseException, *, doing: str, retry_window: float | None = None
) -> SeedctlError | None:
    """A user-facing error for any driver error, or None if ``error`` is not one.

    ``doing`` says what seedctl was doing ("apply: batch users at log seq 201"), or is
    empty where that is not known.
    Transient errors reach here only once retrying gave up, after ``retry_window``
    seconds.
    """
    if not isinstance(error, sa.exc.DBAPIError | psycopg.Error):
        return None
    driver = _driver(error)
    sqlstate = getattr(driver, "sqlstate", None) or ""
    primary = (
        driver.diag.message_primary if isinstance(driver, psycopg.Error) else None
    ) or " ".join(str(driver).split())[:300]
    window = f" for {retry_window:g}s (--retry-for)" if retry_window is not None else ""
    at = f"{doing}: " if doing else ""
    if isinstance(driver, psycopg.errors.InsufficientPrivilege):
        statement = _statement(error)
        verb = statement.split(" ", 1)[0].upper() if statement else ""
        needs = _PRIVILEGE_OF_VERB.get(verb, "a privilege")
        return PermissionDeniedError(
            f"{at}{primary}: the role needs {needs} for: {statement or 'its statement'}"
        )
    if sqlstate in _CONTENTION:
        return ContentionError(
            f"{at}{_CONTENTION[sqlstate]}{window}, so seedctl gave up: {primary}. "
            "Every batch committed before stays; run again to resume."
        )
    if is_transient(error):
        return DatabaseUnavailableError(
            f"{at}lost the connection to the server and could not get it back{window}: "
            f"{primary}. Every batch committed before stays; run again to resume."
        )
    return SeedctlError(f"{at}PostgreSQL refused the statement: {primary}")


def translate_write_error(
    error: BaseException, *, table: str, first_seq: int, retry_window: float | None = None
) -> SeedctlError | None:
    """A user-facing error for a failed batch write (naming ``table``, also as its
    ``table`` attribute for ``--json``), or None if it is no driver error."""
    translated = _translate_write(
        error, table=table, first_seq=first_seq, retry_window=retry_window
    )
    if translated is not None:
        translated.table = table
    return translated


def _translate_write(
    error: BaseException, *, table: str, first_seq: int, retry_window: float | None
) -> SeedctlError | None:
    driver = _driver(error)
    if not isinstance(driver, psycopg.Error):
        return None
    diag = driver.diag
    # psycopg refuses some values itself (a NUL byte in text): then there is no diag.
    primary = diag.message_primary or " ".join(str(driver).split())
    detail = f" ({diag.message_detail})" if diag.message_detail else ""
    where = f"table {table}, batch starting at log seq {first_seq}"
    if isinstance(driver, psycopg.errors.UniqueViolation):
        return CollisionError(
            f"{where}: {primary}{detail}; a row with the seed's natural key exists "
            "that seedctl did not write. Nothing from this batch was written."
        )
    if (
        isinstance(driver, psycopg.errors.CheckViolation)
        and diag.constraint_name == "applied_after"
    ) or (isinstance(driver, psycopg.errors.NotNullViolation) and diag.table_name == "applied"):
        return CollisionError(
            f"{where}: a row with the seed's natural key but another id appeared while applying "
            "(written concurrently by someone else). Nothing from this batch was written."
        )
    if isinstance(driver, psycopg.errors.IntegrityError | psycopg.errors.DataError):
        return SeedctlError(
            f"{where}: PostgreSQL refused the rows: {primary}{detail}. "
            "Nothing from this batch was written."
        )
    if isinstance(driver, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return SeedctlError(
            f"{where}: {primary}; the database's tables do not match the "
            "scenario's target schema (run `seedctl schema create`?)"
        )
    return translate_driver_error(error, doing=where, retry_window=retry_window)
