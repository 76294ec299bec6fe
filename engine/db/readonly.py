"""A read-only view of the database for ``plan`` and ``verify``: PostgreSQL itself refuses writes.

Both commands promise to write nothing. Rather than trust every query to be a
plain SELECT, they run all of them in one ``REPEATABLE READ, READ ONLY``
transaction that is rolled back at the end: the server rejects any INSERT,
UPDATE, DELETE, DDL, sequence bump or temp table in it (SQLSTATE 25006), and
the single snapshot makes every count of one run agree with every other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa
from seedctl.engine.db.database import connect_engine

__all__ = ["driver_connection", "read_only_transaction"]


@contextmanager
def read_only_transaction(url: str, *, application_name: str) -> Iterator[sa.Connection]:
    """A connection inside one read-only, repeatable-read transaction. Writes nothing.

    The transaction is rolled back on exit (by closing the connection, on an error),
    so even a server that ignored the READ ONLY setting would keep nothing.
    """
    with connect_engine(url) as engine, engine.connect() as conn:
        # SET TRANSACTION must come before the transaction's first query.
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # A fixed name of ours, never user text; SET LOCAL ends with the transaction.
        conn.exec_driver_sql(f"SET LOCAL application_name = '{application_name}'")
        if conn.exec_driver_sql("SHOW transaction_read_only").scalar_one() != "on":
            raise RuntimeError("the server did not start a read-only transaction")
        yield conn
        # On an error the connection's own exit rolls back; a failing rollback here
        # would only hide that error.
        conn.rollback()


def driver_connection(conn: sa.Connection) -> psycopg.Connection[tuple[object, ...]]:
    """The psycopg connection under ``conn``, in the same transaction, for composed SQL."""
    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("seedctl needs the psycopg 3 driver")
    return driver
