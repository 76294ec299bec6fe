"""Values checked against their column's type before the first write.

The check is exact-or-defer: it refuses a value only where PostgreSQL refuses it
too. A property test holds it to that against a real server for every type it
knows, and known answers pin what it refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedctl.engine.apply import apply_log
from seedctl.engine.apply.copy_text import copy_text_rows, to_scalar
from seedctl.engine.db import connect_engine
from seedctl.engine.plan import plan_log
from seedctl.engine.target import Column, TableSpec, ValueChecks, column_check, read_tables
from seedctl.ledger import BadValueError, LogHeader, append_commands

from tests.support.app_scenarios import (
    DJANGO_LIBRARY,
    DJANGO_MIGRATIONS,
    PRISMA_APP,
    PRISMA_MIGRATIONS,
    apply_migrations,
)

TYPES = {
    "i2": "smallint",
    "i4": "integer",
    "i8": "bigint",
    "num": "numeric(12, 2)",
    "flag": "boolean",
    "uid": "uuid",
    "day": "date",
    "ts": "timestamp(3)",
    "tstz": "timestamptz",
    "short": "varchar(5)",
    "body": "text",
    "mood": "mood",
    "moods": "mood[]",
    "ints": "integer[]",
    "doc": "jsonb",
    "raw": "json",
}
NOT_NULL = {"body"}


@pytest.fixture
def typed_table(database_url: str) -> TableSpec:
    """A table with one column of each checked type, read back from the catalog."""
    columns = ", ".join(
        f"{name} {sql_type}{' NOT NULL' if name in NOT_NULL else ''}"
        for name, sql_type in TYPES.items()
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')")
        conn.execute(f"CREATE TABLE typed (id serial PRIMARY KEY, {columns})")  # type: ignore[call-overload]
    with connect_engine(database_url) as engine, engine.connect() as conn:
        tables, missing = read_tables(conn, {"typed": None})
    assert missing == []
    return tables["typed"]


def _server_accepts(url: str, spec: TableSpec, column: str, value: Any) -> bool:
    """Whether PostgreSQL takes ``value`` into ``column`` as apply sends it (COPY text)."""
    convert = to_scalar(spec.column_info[column])
    field = convert(value) if convert else value
    row = ["x" if c in NOT_NULL and c != column else None for c in TYPES]
    row[list(TYPES).index(column)] = field
    if type(field) in (list, dict):
        return False  # apply never sends one: COPY text has no spelling for it
    data = copy_text_rows([row])
    with psycopg.connect(url) as conn:
        try:
            with (
                conn.cursor() as cur,
                cur.copy(
                    f"COPY typed ({', '.join(TYPES)}) FROM STDIN"  # type: ignore[arg-type]
                ) as copy,
            ):
                copy.write(data)
        except psycopg.Error:
            conn.rollback()
            return False
        conn.rollback()
    return True


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from(
        [
            "",
            "0",
            "42",
            "-7",
            " 12 ",
            "fifty",
            "1e3",
            "12.50",
            "NaN",
            "t",
            "yes",
            "of",
            "o",
            "true",
            "2026-02-28",
            "2026-02-30",
            "2026-13-01",
            "Jan 15 2026",
            "2026-01-15 09:00",
            "2026-01-15T25:00:00",
            "2026-01-15T09:00:00+01:00",
            "happy",
            "angry",
            "abcdef",
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "6ba7b8109dad11d180b400c04fd430c8",
            "not-a-uuid",
            "a\x00b",
            "{1,2}",
            "{happy}",
        ]
    ),
    st.lists(st.one_of(st.integers(-5, 5), st.sampled_from(["happy", "sad", "cross"])), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(sorted(TYPES)), value=VALUES)
def test_a_refused_value_is_one_postgresql_refuses(
    typed_table: TableSpec, database_url: str, column: str, value: Any
) -> None:
    """Whatever the check refuses, PostgreSQL refuses too: it never stops a good seed."""
    if column_check(typed_table.column_info[column])(value) is not None:
        assert not _server_accepts(database_url, typed_table, column, value), (column, value)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("i4", "fifty", "not an integer"),
        ("i4", True, "a boolean is not an integer"),
        ("i8", 2**70, "out of range"),
        ("i2", 40000, "out of range (-32768 to 32767)"),
        ("day", "2026-02-30", "not a date (day is out of range for month)"),
        ("ts", "2026-13-01 09:00", "not a date"),
        ("uid", "not-a-uuid", "not a UUID"),
        ("mood", "angry", "not a label of the enum (happy, sad)"),
        ("moods", ["happy", "cross"], "element 'cross': not a label of the enum (happy, sad)"),
        ("short", "abcdef", "longer than 5 characters (6)"),
        ("body", None, "NULL in a NOT NULL column"),
        ("body", "a\x00b", "holds a NUL byte"),
        ("doc", {"k": "a\x00"}, "holds a NUL byte"),
        ("num", "fifty", "not a number"),
        ("flag", "maybe", "not a boolean"),
        ("body", ["a"], "an array or object for a column"),
        ("i4", {"a": 1}, "an array or object for a column"),
    ],
)
def test_known_refusals(
    typed_table: TableSpec, database_url: str, column: str, value: Any, reason: str
) -> None:
    """Each of the issue's bad values is refused with its reason, and PostgreSQL agrees."""
    problem = column_check(typed_table.column_info[column])(value)
    assert problem is not None
    assert problem.startswith(reason)
    assert not _server_accepts(database_url, typed_table, column, value)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("day", "Jan 15 2026"),
        ("ts", "2026-01-15 09:00:00.123"),
        ("tstz", "2026-01-15T09:00:00Z"),
        ("flag", "yes"),
        ("num", "1e3"),
        ("i4", " 12 "),
        ("moods", ["happy"]),
        ("ints", [[1, 2], [3, 4]]),
        ("doc", {"nested": [1, {"b": None}]}),
        ("raw", [1, "two"]),
        ("uid", "6ba7b8109dad11d180b400c04fd430c8"),
    ],
)
def test_good_values_pass(
    typed_table: TableSpec, database_url: str, column: str, value: Any
) -> None:
    """Spellings PostgreSQL takes pass the check (and really go in)."""
    assert column_check(typed_table.column_info[column])(value) is None
    assert _server_accepts(database_url, typed_table, column, value)


def test_the_problem_names_table_column_value_and_type() -> None:
    """The message a user reads: table.column = value (type): reason; long values cut."""
    column = Column(
        "email", "character varying(5)", "varchar", "S", None, True, False, False, max_length=5
    )
    spec = TableSpec(
        name="people",
        schema="public",
        columns=frozenset({"email"}),
        nullable=frozenset(),
        unique_keys=frozenset(),
        column_info={"email": column},
    )
    checks = ValueChecks({"people": spec})
    assert checks.problem("people", {"email": "abc"}) is None
    assert checks.problem("people", {"email": "x" * 100}) == (
        "people.email = '"
        + "x" * 56
        + "... (string into character varying(5)): longer than 5 characters (100)"
    )
    assert checks.problem("elsewhere", {"email": None}) is None


@pytest.mark.parametrize("app", ["prisma", "django"])
def test_a_bad_value_late_in_the_log_writes_nothing(
    app: str, database_url: str, tmp_path: Path
) -> None:
    """A bad value in the log's last command: apply and plan exit 10 at its line; 0 rows."""
    scenario, migrations = (
        (PRISMA_APP, PRISMA_MIGRATIONS) if app == "prisma" else (DJANGO_LIBRARY, DJANGO_MIGRATIONS)
    )
    apply_migrations(database_url, migrations)
    import datetime as dt

    from seedctl.engine.scenarios import ScenarioParams

    params = ScenarioParams("s", dt.date(2026, 1, 15), 2)
    commands = list(scenario.generate(params))
    last = commands[-1]
    bad_column, bad_value = (
        ("name", "Onboard\x00ing") if app == "prisma" else ("published", "2026-02-30")
    )
    if app == "django":
        last = next(c for c in reversed(commands) if c.entity == "book")
    index = commands.index(last)
    commands[index] = type(last)(
        **{
            **{f: getattr(last, f) for f in last.__struct_fields__},
            "values": {**last.values, bad_column: bad_value},
        }
    )
    header = LogHeader(
        scenario=scenario.name,
        tenant=scenario.tenant(params),
        params=params.as_header(),
        generator=scenario.version,
    )
    log = tmp_path / "seed.log"
    append_commands(log, header, commands)
    line = index + 2
    with pytest.raises(BadValueError, match=rf"seed.log:{line}: \w+\.{bad_column} = ") as info:
        apply_log(log, database_url=database_url)
    assert info.value.exit_code == 10
    assert "nothing was written" in str(info.value)
    with pytest.raises(BadValueError):
        plan_log(log, database_url=database_url)
    with psycopg.connect(database_url) as conn:
        for table in scenario.entity_tables.values():
            counted = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # type: ignore[call-overload]
            assert counted == (0,), table
    assert json.dumps(bad_value)  # the value itself is in the message, shortened
