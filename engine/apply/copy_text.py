"""Rows in PostgreSQL's COPY text format, built from a command's JSON scalars.

The applier prepares each batch's COPY data in a background thread (see
:mod:`seedctl.engine.apply.prefetch`), so it needs the bytes up front rather than psycopg's
row-by-row writer. Fields are JSON scalars (str, int, bool, None): arrays and
objects are first turned into their PostgreSQL text by :func:`scalar_converters`
(an array literal for an array column, JSON text for json and jsonb). The format is
small: tab between fields, newline after each row, ``\\N`` for NULL and a
backslash escape for backslash, newline, carriage return and tab. PostgreSQL
parses each field into its column's type, exactly as from psycopg's writer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence

from seedctl.engine.target import Column
from seedctl.ledger import JsonScalar, JsonValue

__all__ = [
    "array_literal",
    "copy_text_field",
    "copy_text_rows",
    "scalar_converters",
    "scalar_text",
    "to_scalar",
]

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


_ARRAY_QUOTES = str.maketrans({"\\": "\\\\", '"': '\\"'})


def _element(value: JsonValue) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return array_literal(value)
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if isinstance(value, str):
        return '"' + value.translate(_ARRAY_QUOTES) + '"'
    return scalar_text(value)


def array_literal(values: list[JsonValue]) -> str:
    """A JSON array as PostgreSQL's array literal: ``{"a","b",NULL}``, nested for 2-D."""
    return "{" + ",".join(map(_element, values)) + "}"


def _json_text(value: JsonValue) -> JsonScalar:
    if value is None:
        return None  # SQL NULL, not the JSON null: what psycopg and jsonb_populate_record do
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _array_text(value: JsonValue) -> JsonScalar:
    return array_literal(value) if isinstance(value, list) else value


def to_scalar(column: Column | None) -> Callable[[JsonValue], JsonScalar] | None:
    """How a value of ``column`` becomes one COPY field; None where it already is one."""
    if column is None:
        return None
    if column.is_json:
        return _json_text
    if column.is_array:
        return _array_text
    return None


def scalar_converters(
    info: Mapping[str, Column], columns: Sequence[str]
) -> list[Callable[[JsonValue], JsonScalar] | None] | None:
    """Per column, its converter (see :func:`to_scalar`); None when no column needs one."""
    converters = [to_scalar(info.get(c)) for c in columns]
    return converters if any(converters) else None
