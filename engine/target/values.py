"""Each value checked against its column's type before the first write. Pure.

PostgreSQL refuses a value it cannot parse into the column's type, but only when
the value's batch is written, after earlier batches committed. So every value of
every pending command is checked here first, against the catalog's type: what is
certainly refused is reported with its log line, table.column, the value and the
type, and nothing is written.

The rule is exact-or-defer: a value is refused only where PostgreSQL would refuse
it for certain (a NUL byte, ``2026-02-30``, ``"fifty"`` or 2^70 for an integer, an
enum label the type lacks, a string longer than ``varchar(n)``, NULL for a NOT
NULL column). A spelling the check does not know (``'Jan 15 2026'`` for a date,
an interval, a geometric type) is left to PostgreSQL, which parses it as always.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from seedctl.engine.target.allowlist import Shape
from seedctl.engine.target.catalog import Column, TableSpec
from seedctl.engine.target.check import check_shapes

__all__ = ["ValueChecks", "column_check"]

Check = Callable[[Any], str | None]
"""A value to None (fine, or left to PostgreSQL), or the reason PostgreSQL refuses it."""

_INT_RANGES = {"int2": 15, "int4": 31, "int8": 63}
_INT_TEXT = re.compile(r"\s*[+-]?\d+\s*")
_NUMERIC_TEXT = re.compile(
    r"\s*(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity)|nan)\s*", re.I
)
_BOOL_TEXT = frozenset({"on", "of", "off", "1", "0"})
_UUID_TEXT = re.compile(
    r"\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?", re.I
)
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")
_ISO_TIMESTAMP = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)?",
    re.I,
)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(map(_has_nul, value))
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def _integer(bits: int) -> Check:
    low, high = -(1 << bits), (1 << bits) - 1

    def check(value: Any) -> str | None:
        if isinstance(value, bool):
            return "a boolean is not an integer"
        if isinstance(value, str):
            if not _INT_TEXT.fullmatch(value):
                return "not an integer"
            value = int(value)
        if isinstance(value, int):
            return None if low <= value <= high else f"out of range ({low} to {high})"
        return "not an integer"

    return check


def _numeric(value: Any) -> str | None:
    if isinstance(value, bool):
        return "a boolean is not a number"
    if isinstance(value, int):
        return None
    if isinstance(value, str):
        return None if _NUMERIC_TEXT.fullmatch(value) else "not a number"
    return "not a number"


def _boolean(value: Any) -> str | None:
    if isinstance(value, bool) or value in (0, 1):
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        # PostgreSQL takes any unambiguous prefix of true, false, yes, no, on, off.
        if text in _BOOL_TEXT or (
            text and any(word.startswith(text) for word in ("true", "false", "yes", "no"))
        ):
            return None
    return "not a boolean"


def _uuid(value: Any) -> str | None:
    if type(value) is str and (
        _CANONICAL_UUID.fullmatch(value) or _UUID_TEXT.fullmatch(value.strip())
    ):
        return None
    return "not a UUID"


def _calendar(year: str, month: str, day: str) -> str | None:
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError as e:
        return f"not a date ({e})"
    return None


def _date(value: Any) -> str | None:
    if not isinstance(value, str):
        return None  # digits parse as a date too (230501): PostgreSQL decides
    iso = _ISO_DATE.fullmatch(value.strip())
    return _calendar(*iso.groups()) if iso else None  # other spellings: PostgreSQL decides


def _timestamp(value: Any) -> str | None:
    if not isinstance(value, str):
        return None  # PostgreSQL decides
    iso = _ISO_TIMESTAMP.fullmatch(value.strip())
    if not iso:
        return None
    year, month, day, hour, minute, second = iso.groups()
    problem = _calendar(year, month, day)
    if problem:
        return problem
    if int(hour) > 24 or int(minute) > 59 or int(second or 0) > 60:
        return "not a time of day"
    return None


def _text(max_length: int | None) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool | int):
            return None  # PostgreSQL reads t, f and digits as text
        if not isinstance(value, str):
            return "not text"
        if max_length is not None and len(value) > max_length:
            return f"longer than {max_length} characters ({len(value)})"
        return None

    return check


def _enum(labels: tuple[str, ...]) -> Check:
    known = frozenset(labels)

    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in known:
            return None
        return f"not a label of the enum ({', '.join(labels)})"

    return check


def _array(element: Check | None) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, str):
            return None  # an array literal: PostgreSQL decides
        if not isinstance(value, list):
            return "not an array"
        stack = list(value)
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif item is not None and element is not None:
                problem = element(item)
                if problem:
                    return f"element {item!r}: {problem}"
        return None

    return check


_BY_TYPE: dict[str, Check] = {
    **{name: _integer(bits) for name, bits in _INT_RANGES.items()},
    "numeric": _numeric,
    "bool": _boolean,
    "uuid": _uuid,
    "date": _date,
    "timestamp": _timestamp,
    "timestamptz": _timestamp,
}
_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "citext", "name"})


def _scalar_check(type_name: str, column: Column) -> Check | None:
    if type_name in _TEXT_TYPES:
        return _text(column.max_length)
    if column.labels:
        return _enum(column.labels)
    return _BY_TYPE.get(type_name)


def column_check(column: Column) -> Check:
    """The check of one column's values: NULL where NOT NULL, NUL bytes, then its type."""
    if column.is_json:
        typed: Check | None = None
    elif column.is_array:
        typed = _array(_scalar_check(column.element or "", column))
    else:
        typed = _scalar_check(column.type_name, column)
    not_null = column.not_null
    structured = column.is_json or column.is_array
    # json keeps its text as sent, where a NUL is the escape \u0000; everything else
    # (text, jsonb, arrays) refuses NUL.
    nul_ok = column.type_name == "json"

    def check(value: Any) -> str | None:
        if value is None:
            return "NULL in a NOT NULL column" if not_null else None
        if not structured and type(value) in (list, dict):
            return "an array or object for a column that is neither an array nor json"
        if not nul_ok and (
            (type(value) is str and "\x00" in value)
            or (type(value) in (list, dict) and _has_nul(value))
        ):
            return "holds a NUL byte (PostgreSQL text cannot)"
        return typed(value) if typed is not None else None

    return check


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", str: "string", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


CACHE_PER_COLUMN = 4096
"""Values remembered as good per column: repeated dates, labels and parent ids are
checked once; a column of distinct values stops filling its cache here."""


class ValueChecks:
    """The checks for every column of the tables the catalog has; built once per run.

    Hot: apply calls :meth:`problem` for every pending command of a log that may hold
    a million. Checks are compiled once per command shape, and a value seen good
    before in its column is not checked again.
    """

    def __init__(
        self, tables: Mapping[str, TableSpec], entity_tables: Mapping[str, str] | None = None
    ) -> None:
        self._tables = tables
        self._entity_tables = entity_tables or {}
        self._columns = {name: dict(spec.column_info) for name, spec in tables.items()}
        self._compiled: dict[object, list[tuple[str, Check, set[Any]]]] = {}

    def check_shape(self, shape: Shape, line: int, path: Path) -> None:
        """Raise as :func:`check_shapes` does if ``shape`` (first seen at ``line``) does not
        fit its table: a shape is judged before its values, so the message names its cause."""
        if shape.table in self._tables:
            check_shapes(self._tables, self._entity_tables, {shape: line}, path)

    def _compile(self, table: str, columns: Iterable[str]) -> list[tuple[str, Check, set[Any]]]:
        info = self._columns.get(table, {})
        return [(c, column_check(info[c]), set()) for c in columns if c in info]

    def problem(self, table: str, values: Mapping[str, Any], *, shape: object = None) -> str | None:
        """The first value of ``values`` PostgreSQL would refuse, described; None if none.

        ``shape`` keys the compiled checks (default: the table and its columns).
        """
        if table not in self._columns:
            return None  # a table the database lacks yet: seedctl creates it from metadata
        key = shape if shape is not None else (table, tuple(values))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(table, values)
        for column, check, good in compiled:
            value = values[column]
            kind = type(value)
            cacheable = kind is str or kind is int
            if cacheable and value in good:
                continue
            reason = check(value)
            if reason is not None:
                shown = repr(value)
                if len(shown) > 60:
                    shown = shown[:57] + "..."
                sql_type = self._columns[table][column].sql_type
                return f"{table}.{column} = {shown} ({_json_kind(value)} into {sql_type}): {reason}"
            if cacheable and len(good) < CACHE_PER_COLUMN:
                good.add(value)
        return None
