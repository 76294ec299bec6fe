"""Driver errors translated into seedctl errors, in this one place.

Called where a batch or query fails for a reason a user can act on; anything not
recognised here propagates unchanged (with its traceback under ``--debug``).
"""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from seedctl.ledger import CollisionError, SeedctlError

__all__ = ["translate_write_error"]


def _driver(error: BaseException) -> BaseException:
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def translate_write_error(
    error: BaseException, *, table: str, first_seq: int
) -> SeedctlError | None:
    """A user-facing error for a failed batch write (naming ``table``), or None if unknown."""
    translated = _translate(error, table=table, first_seq=first_seq)
    if translated is not None:
        translated.table = table
    return translated


def _translate(error: BaseException, *, table: str, first_seq: int) -> SeedctlError | None:
    driver = _driver(error)
    if not isinstance(driver, psycopg.Error):
        return None
    diag = driver.diag
    detail = f" ({diag.message_detail})" if diag.message_detail else ""
    where = f"table {table}, batch starting at log seq {first_seq}"
    if isinstance(driver, psycopg.errors.UniqueViolation):
        return CollisionError(
            f"{where}: {diag.message_primary}{detail}; a row with the seed's natural key exists "
            "that seedctl did not write. Nothing from this batch was written."
        )
    if isinstance(driver, psycopg.errors.NotNullViolation) and diag.table_name == "applied":
        return CollisionError(
            f"{where}: a row with the seed's natural key but another id appeared while applying "
            "(written concurrently by someone else). Nothing from this batch was written."
        )
    if isinstance(driver, psycopg.errors.IntegrityError | psycopg.errors.DataError):
        return SeedctlError(
            f"{where}: PostgreSQL refused the rows: {diag.message_primary}{detail}. "
            "Nothing from this batch was written."
        )
    if isinstance(driver, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return SeedctlError(
            f"{where}: {diag.message_primary}; the database's tables do not match the "
            "scenario's target schema (run `seedctl schema create`?)"
        )
    return None
