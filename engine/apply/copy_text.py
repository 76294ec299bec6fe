"""Rows in PostgreSQL's COPY text format, built from a command's JSON scalars.

The applier prepares each batch's COPY data in a background thread (see
:mod:`seedctl.engine.apply.prefetch`), so it needs the bytes up front rather than psycopg's
row-by-row writer. Values are JSON scalars only (str, int, bool, None), so the
format is small: tab between fields, newline after each row, ``\\N`` for NULL and a
backslash escape for backslash, newline, carriage return and tab. PostgreSQL
parses each field into its column's type, exactly as from psycopg's writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from seedctl.ledger import JsonScalar

__all__ = ["copy_text_field", "copy_text_rows", "scalar_text"]

_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def scalar_text(value: str | int | bool) -> str:
    """A non-NULL JSON scalar as PostgreSQL reads it from text: ``t``/``f``, digits, or
    the string itself. Binary COPY of a text column sends the same (copy_binary.py)."""
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    return value


def copy_text_field(value: JsonScalar) -> str:
    """One field: NULL, or the scalar's text escaped for COPY."""
    if value is None:
        return "\\N"
    return scalar_text(value).translate(_ESCAPES)


def copy_text_rows(rows: Iterable[Sequence[JsonScalar]]) -> bytes:
    """The COPY text data (UTF-8) for ``rows``, one line per row."""
    field = copy_text_field
    return "".join(["\t".join([field(v) for v in row]) + "\n" for row in rows]).encode()
