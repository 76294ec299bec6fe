"""The direct path's COPY encoders against real PostgreSQL: binary and text COPY of the
same JSON scalars must store exactly what a parameterised INSERT of them stores."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Iterator, Sequence

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedctl.engine.apply.copy_binary import NotBinaryError, binary_row_encoder, copy_binary_rows
from seedctl.engine.apply.copy_text import copy_text_rows
from seedctl.ledger import JsonScalar

COLUMNS = {
    "u": "uuid",
    "t": "text",
    "v": "varchar(40)",
    "s": "int2",
    "i": "int4",
    "b": "int8",
    "f": "bool",
    "d": "date",
    "ts": "timestamp",
    "tz": "timestamptz",
    "n": "numeric",
    "m": "numeric(14,2)",
    "j": "jsonb",
}
TYPE_NAMES = ["uuid", "text", "varchar", "int2", "int4", "int8", "bool", "date"]
TYPE_NAMES += ["timestamp", "timestamptz", "numeric", "numeric", "jsonb"]

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
aware = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2999, 12, 31), timezones=offsets
)
naive = st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30))


def plain(d: decimal.Decimal) -> str:
    return f"{d:f}"


decimals = st.decimals(
    allow_nan=False, allow_infinity=False, places=6, min_value=-(10**15), max_value=10**15
).map(plain)
money = st.decimals(
    allow_nan=False, allow_infinity=False, places=3, min_value=-(10**11), max_value=10**11
).map(plain)
json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
).map(lambda v: json.dumps(v, ensure_ascii=False))


def nullable(values: st.SearchStrategy[JsonScalar]) -> st.SearchStrategy[JsonScalar]:
    return st.none() | values


rows = st.lists(
    st.tuples(
        nullable(st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())),
        nullable(text | st.integers() | st.booleans()),
        nullable(text.map(lambda s: s[:40])),
        nullable(st.integers(-(2**15), 2**15 - 1)),
        nullable(st.integers(-(2**31), 2**31 - 1)),
        nullable(st.integers(-(2**63), 2**63 - 1)),
        nullable(st.booleans()),
        nullable(st.dates().map(dt.date.isoformat)),
        nullable(naive.map(lambda d: d.isoformat(sep=" " if d.day % 2 else "T"))),
        nullable(aware.map(dt.datetime.isoformat)),
        nullable(decimals),
        nullable(money),
        nullable(json_text),
    ),
    min_size=1,
    max_size=20,
)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(database_url) as connection:
        columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())
        for table in ("by_binary", "by_text", "by_insert"):
            connection.execute(f"CREATE TABLE {table} (k int PRIMARY KEY, {columns})")
        connection.commit()
        yield connection


def stored(conn: psycopg.Connection[tuple[object, ...]], table: str) -> list[tuple[object, ...]]:
    columns = ", ".join(f"{name}::text" for name in COLUMNS)
    return conn.execute(f"SELECT k, {columns} FROM {table} ORDER BY k").fetchall()


def load(
    conn: psycopg.Connection[tuple[object, ...]],
    table: str,
    data: bytes,
    *,
    binary: bool,
) -> None:
    fmt = " (FORMAT BINARY)" if binary else ""
    names = ", ".join(["k", *COLUMNS])
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN{fmt}") as copy:
        copy.write(data)


def as_parameter(column: int, value: JsonScalar) -> object:
    """What COPY sends for an int or bool in the text column ``t``, as a parameter."""
    if column != 2 or not isinstance(value, int):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=80)
@given(batch=rows)
def test_binary_and_text_copy_store_what_an_insert_stores(
    conn: psycopg.Connection[tuple[object, ...]], batch: list[Sequence[JsonScalar]]
) -> None:
    """Every canonical spelling encodes in binary, and all three ways store the same."""
    keyed = [(k, *row) for k, row in enumerate(batch)]
    encoder = binary_row_encoder(["int4", *TYPE_NAMES])
    assert encoder is not None
    try:
        for table in ("by_binary", "by_text", "by_insert"):
            conn.execute(f"TRUNCATE {table}")
        load(conn, "by_binary", copy_binary_rows(encoder, keyed), binary=True)
        load(conn, "by_text", copy_text_rows(keyed), binary=False)
        placeholders = ", ".join(["%s"] * (len(COLUMNS) + 1))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO by_insert VALUES ({placeholders})",
                [tuple(as_parameter(i, v) for i, v in enumerate(r)) for r in keyed],
            )
        expected = stored(conn, "by_insert")
        assert stored(conn, "by_binary") == expected
        assert stored(conn, "by_text") == expected
    finally:
        conn.rollback()


@pytest.mark.parametrize(
    ("type_name", "value"),
    [
        ("uuid", "{c2c4c8fd-2cce-5a77-8e17-e7a97ab7524c}"),
        ("uuid", "c2c4c8fd2cce5a778e17e7a97ab7524c"),
        ("uuid", "c2c4c8fd-2cce-5a77-8e17-e7a97ab7 24c"),
        ("uuid", 7),
        ("date", "Jan 15 2026"),
        ("date", "20260115"),
        ("date", "2026-02-30"),
        ("timestamptz", "2026-01-15T09:00:00"),
        ("timestamptz", "2026-01-15T24:00:00+00:00"),
        ("timestamp", "2026-01-15T09:00:00+01:00"),
        ("numeric", "1e5"),
        ("numeric", " 12.5"),
        ("numeric", "NaN"),
        ("int4", 2**31),
        ("int4", "12"),
        ("int4", True),
        ("bool", "true"),
        ("text", "a\x00b"),
    ],
)
def test_spellings_whose_meaning_is_not_certain_are_left_to_text_copy(
    type_name: str, value: JsonScalar
) -> None:
    """Anything but the one canonical spelling raises NotBinaryError: the batch goes as text."""
    encoder = binary_row_encoder([type_name])
    assert encoder is not None
    with pytest.raises(NotBinaryError):
        copy_binary_rows(encoder, [[value]])


def test_a_type_without_an_encoder_means_text_copy_for_the_table() -> None:
    assert binary_row_encoder(["uuid", "inet"]) is None


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", None]),
            st.sampled_from(["2026-01-15", "2026-02-01", None]),
            st.sampled_from([1, 2, 3, None]),
        ),
        max_size=30,
    )
)
def test_a_batch_encoded_by_columns_equals_its_rows_encoded_one_by_one(
    rows: list[tuple[JsonScalar, ...]],
) -> None:
    """The column-wise, cached path gives every row the bytes the row encoder gives it."""
    by_rows = binary_row_encoder(["text", "date", "int4"])
    by_batch = binary_row_encoder(["text", "date", "int4"])
    assert by_rows is not None and by_batch is not None
    assert by_batch.rows(rows) == [by_rows(row) for row in rows]
    assert by_batch.rows(rows) == by_batch.rows(rows)  # and again, now from its caches


@pytest.mark.parametrize(
    ("type_name", "first", "then"),
    [("int4", 1, True), ("int4", 1, "1"), ("bool", True, 1), ("date", "2026-01-15", "2026-1-15")],
)
def test_a_cached_field_is_never_handed_to_a_value_that_only_equals_it(
    type_name: str, first: JsonScalar, then: JsonScalar
) -> None:
    """``True == 1``: the caches must not give a boolean an integer's field, or back."""
    encoder = binary_row_encoder([type_name])
    assert encoder is not None
    encoder.rows([[first], [first]])
    with pytest.raises(NotBinaryError):
        encoder.rows([[first], [then]])
