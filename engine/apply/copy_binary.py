"""Rows in PostgreSQL's binary COPY format, built from a command's JSON scalars.

Binary COPY spares the server from parsing every field's text (a uuid, a date, a
timestamp): on the okr-demo tables it loads about half again as fast as text
COPY. It is also strict: the bytes must match the column's actual type, so the
encoders are chosen by the type the catalog reports, never by guess.

Every encoder accepts only the one spelling whose meaning is certain (a canonical
uuid, ``YYYY-MM-DD``, an ISO timestamp with its offset, a plain decimal) and raises
:class:`NotBinaryError` for anything else, such as ``'Jan 15 2026'`` or a timestamp
without an offset, which PostgreSQL reads in the session's time zone. The caller
then sends that batch as text COPY, where PostgreSQL parses it as it always has:
the binary path is an optimisation that never changes what is stored.
"""

from __future__ import annotations

import datetime as dt
import re
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence

from seedctl.engine.apply.copy_text import scalar_text
from seedctl.ledger import JsonScalar

__all__ = ["BINARY_TYPES", "NotBinaryError", "RowEncoder", "binary_row_encoder", "copy_binary_rows"]

_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)

_PG_EPOCH_DATE = dt.date(2000, 1, 1)
_PG_EPOCH = dt.datetime(2000, 1, 1)
_PG_EPOCH_TZ = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)

_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?")
_TIMESTAMPTZ = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)")
_NUMERIC = re.compile(r"-?\d{1,100}(?:\.\d{1,100})?")


class NotBinaryError(ValueError):
    """A value whose binary form would be a guess: send its batch as text COPY."""


FieldEncoder = Callable[[JsonScalar], bytes]
"""A non-NULL value to its field: the 4-byte length, then the bytes."""

_int2 = struct.Struct(">h").pack
_int4 = struct.Struct(">i").pack
_int8 = struct.Struct(">q").pack
_UUID_FIELD = _int4(16)
_INT4_FIELD = _int4(4)
_INT8_FIELD = _int4(8)
_TRUE_FIELD = _int4(1) + b"\x01"
_FALSE_FIELD = _int4(1) + b"\x00"


def _sized(data: bytes) -> bytes:
    return _int4(len(data)) + data


def _text(value: JsonScalar) -> bytes:
    assert value is not None  # the row encoder sends NULL itself
    text = scalar_text(value)
    if "\x00" in text:
        raise NotBinaryError("NUL in text")
    return _sized(text.encode())


def _jsonb(value: JsonScalar) -> bytes:
    text = _text(value)
    return _int4(len(text) - 3) + b"\x01" + text[4:]  # version 1, then the JSON text


def _integer(pack: Callable[[int], bytes]) -> FieldEncoder:
    def encode(value: JsonScalar) -> bytes:
        if type(value) is not int:
            raise NotBinaryError("not an integer")
        try:
            return _sized(pack(value))
        except struct.error:
            raise NotBinaryError("out of range") from None

    return encode


def _bool(value: JsonScalar) -> bytes:
    if value is True:
        return _TRUE_FIELD
    if value is False:
        return _FALSE_FIELD
    raise NotBinaryError("not a boolean")


def _uuid(value: JsonScalar) -> bytes:
    if (
        type(value) is not str
        or len(value) != 36
        or value[8] != "-"
        or value[13] != "-"
        or value[18] != "-"
        or value[23] != "-"
    ):
        raise NotBinaryError("not a canonical uuid")
    try:
        raw = bytes.fromhex(value.replace("-", ""))
    except ValueError:
        raise NotBinaryError("not a canonical uuid") from None
    if len(raw) != 16:  # a hyphen elsewhere, or a space (fromhex skips them)
        raise NotBinaryError("not a canonical uuid")
    return _UUID_FIELD + raw


def _date(value: JsonScalar) -> bytes:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise NotBinaryError("not YYYY-MM-DD")
    try:
        return _INT4_FIELD + _int4((dt.date.fromisoformat(value) - _PG_EPOCH_DATE).days)
    except ValueError:
        raise NotBinaryError("not a valid date") from None


def _timestamp(value: JsonScalar) -> bytes:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise NotBinaryError("not an ISO timestamp without offset")
    try:
        micros = (dt.datetime.fromisoformat(value) - _PG_EPOCH) // _MICROSECOND
    except ValueError:
        raise NotBinaryError("not a valid timestamp") from None
    return _INT8_FIELD + _int8(micros)


def _timestamptz(value: JsonScalar) -> bytes:
    if not isinstance(value, str) or not _TIMESTAMPTZ.fullmatch(value):
        raise NotBinaryError("not an ISO timestamp with offset")
    try:
        micros = (dt.datetime.fromisoformat(value) - _PG_EPOCH_TZ) // _MICROSECOND
    except ValueError:
        raise NotBinaryError("not a valid timestamp") from None
    return _INT8_FIELD + _int8(micros)


def _numeric(value: JsonScalar) -> bytes:
    """PostgreSQL's numeric: base-10000 digits with weight, sign and display scale."""
    if not isinstance(value, str) or not _NUMERIC.fullmatch(value):
        raise NotBinaryError("not a plain decimal")
    negative = value.startswith("-")
    whole, _, fraction = value.lstrip("-").partition(".")
    whole = whole.lstrip("0")
    whole = "0" * (-len(whole) % 4) + whole
    digits = whole + fraction + "0" * (-len(fraction) % 4)
    groups = [int(digits[i : i + 4]) for i in range(0, len(digits), 4)]
    weight = len(whole) // 4 - 1
    while groups and groups[0] == 0:
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight, negative = 0, False
    head = struct.pack(">hhHH", len(groups), weight, 0x4000 if negative else 0, len(fraction))
    return _sized(head + struct.pack(f">{len(groups)}H", *groups))


BINARY_TYPES: Mapping[str, FieldEncoder] = {
    "uuid": _uuid,
    "text": _text,
    "varchar": _text,
    "int2": _integer(_int2),
    "int4": _integer(_int4),
    "int8": _integer(_int8),
    "bool": _bool,
    "date": _date,
    "timestamp": _timestamp,
    "timestamptz": _timestamptz,
    "numeric": _numeric,
    "json": _text,
    "jsonb": _jsonb,
}
"""Encoders by the catalog's type name (``pg_type.typname``). A column of any other
type makes its table use text COPY."""


_MEMO_LIMIT = 4096
"""Fields cached per column before its cache starts afresh: enough for the values a
table repeats (foreign keys, dates, amounts), little memory for ids that never do."""


class _ColumnEncoder:
    """One column's fields, with a cache of the fields of its str values.

    A table's columns repeat their values (a check-in's author and key result, its
    date): a dict lookup, done for the whole column in C, is a tenth of building the
    field again. Only str values are cached, since ``True == 1`` would hand a boolean
    an integer's field; a value that raises is never cached.
    """

    def __init__(self, encode: FieldEncoder) -> None:
        self._encode = encode
        self._cache: dict[JsonScalar, bytes] = {}

    def field(self, value: JsonScalar) -> bytes:
        if value is None:
            return _NULL
        if type(value) is not str:
            return self._encode(value)
        cache = self._cache
        found = cache.get(value)
        if found is None:
            found = self._encode(value)
            if len(cache) >= _MEMO_LIMIT:
                cache.clear()
            cache[value] = found
        return found

    def column(self, values: Sequence[JsonScalar]) -> list[bytes | None]:
        fields: list[bytes | None] = list(map(self._cache.get, values))
        if None in fields:
            field = self.field
            fields = [field(v) if f is None else f for f, v in zip(fields, values, strict=True)]
        return fields


class RowEncoder:
    """Encodes rows of one column shape; :meth:`rows` does a whole batch column by column,
    which keeps most of the loops in C."""

    def __init__(self, encoders: Sequence[FieldEncoder]) -> None:
        self._columns = [_ColumnEncoder(e) for e in encoders]
        self._field_count = _int2(len(encoders))

    def __call__(self, row: Sequence[JsonScalar]) -> bytes:
        """One row's bytes: the field count, then each field."""
        if len(row) != len(self._columns):
            raise ValueError(f"row has {len(row)} values for {len(self._columns)} columns")
        return self._field_count + b"".join(
            [c.field(v) for c, v in zip(self._columns, row, strict=True)]
        )

    def rows(self, rows: Sequence[Sequence[JsonScalar]]) -> list[bytes]:
        """Every row's bytes, as :meth:`__call__` would give them."""
        width = len(self._columns)
        if any(len(row) != width for row in rows):
            raise ValueError(f"a row does not have {width} values")
        if not rows or not width:  # zip(*...) would give no columns, or no rows
            return [self._field_count] * len(rows)
        by_column = zip(*rows, strict=True)
        columns = [c.column(values) for c, values in zip(self._columns, by_column, strict=True)]
        head = self._field_count
        return [head + b"".join(fields) for fields in zip(*columns, strict=True)]


def binary_row_encoder(type_names: Sequence[str]) -> RowEncoder | None:
    """An encoder for rows whose columns have ``type_names``, or None if one has no encoder."""
    found = [BINARY_TYPES.get(name) for name in type_names]
    encoders = [e for e in found if e is not None]
    if len(encoders) != len(found):
        return None
    return RowEncoder(encoders)


def copy_binary_rows(encode: RowEncoder, rows: Iterable[Sequence[JsonScalar]]) -> bytes:
    """The whole binary COPY stream (header, rows, trailer); raises :class:`NotBinaryError`."""
    return b"".join([_HEADER, *encode.rows(list(rows)), _TRAILER])
