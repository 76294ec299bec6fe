"""Which database, URL handling, and connection failures as one clear error.

``seedctl`` has no command yet that connects to a URL (only ``db url``, which starts the
embedded server), so connection failures are tested here at ``connect_engine``; the
CLI-level exit-4 test belongs with the first command that connects.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from seedctl.engine.db import (
    Database,
    connect_engine,
    describe,
    resolve_database,
    sqlalchemy_url,
)
from seedctl.engine.db.urls import describe_plain, plain_url
from seedctl.ledger import ConfigError, DatabaseUnavailableError
from sqlalchemy.engine import make_url

PASSWORD = "s3cret-Passw0rd"


def assert_one_clear_line(error: DatabaseUnavailableError, *fragments: str) -> None:
    """The message is one line, names every fragment, and never shows the password."""
    message = str(error)
    assert "\n" not in message
    assert PASSWORD not in message
    for fragment in fragments:
        assert fragment in message
    assert error.exit_code == 4


def test_good_url_connects(database_url: str) -> None:
    """connect_engine yields a working engine on a reachable database."""
    with connect_engine(database_url) as engine, engine.connect() as conn:
        name = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    assert name == make_url(database_url).database


def test_unreachable_server_is_one_clear_error() -> None:
    """Nothing listening (127.0.0.1 port 1): exit code 4, naming host, port and database."""
    url = f"postgresql://seedctl:{PASSWORD}@127.0.0.1:1/app_db"
    with pytest.raises(DatabaseUnavailableError) as info, connect_engine(url):
        pytest.fail("connected to port 1")
    assert str(info.value).startswith(
        "cannot connect to database app_db on 127.0.0.1:1 as seedctl: "
    )
    assert_one_clear_line(info.value, "Connection refused")


def test_bad_credentials_are_one_clear_error(database_url: str) -> None:
    """A role the server does not know: exit code 4, naming role, host and database."""
    real = make_url(database_url)
    url = real.set(username="no_such_role", password=PASSWORD).render_as_string(hide_password=False)
    host = real.host or str(real.query["host"])
    with pytest.raises(DatabaseUnavailableError) as info, connect_engine(url):
        pytest.fail("connected as a role that does not exist")
    assert str(info.value).startswith(f"cannot connect to database {real.database} on {host}")
    assert_one_clear_line(info.value, "as no_such_role", "no_such_role")


def test_describe_never_shows_the_password() -> None:
    """describe names database, host, port and user, and nothing else of the URL."""
    url = f"postgresql://app:{PASSWORD}@db.example.com:6543/shop"
    assert describe(url) == "database shop on db.example.com:6543 as app"
    socket = "postgresql://postgres:@/seedctl?host=/tmp/pgdata"
    assert describe(socket) == "database seedctl on /tmp/pgdata as postgres"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgres_urls_use_psycopg(scheme: str) -> None:
    """postgresql://, postgres:// and explicit psycopg URLs all get the psycopg 3 driver."""
    parsed = sqlalchemy_url(f"{scheme}://u:{PASSWORD}@h/db")
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.host, parsed.database, parsed.password) == ("h", "db", PASSWORD)


def test_other_databases_are_refused() -> None:
    """A URL of another database system is a ConfigError naming its scheme."""
    with pytest.raises(ConfigError, match=r"^seedctl needs a postgresql:// URL, not mysql://$"):
        sqlalchemy_url(f"mysql://u:{PASSWORD}@h/db")


def test_unparseable_url_is_refused_without_echoing_it() -> None:
    """Text that is no URL at all is a ConfigError that does not repeat it (it may hold secrets)."""
    with pytest.raises(ConfigError) as info:
        sqlalchemy_url(f"not a url {PASSWORD}")
    assert str(info.value) == "not a database URL: <unparseable URL>"
    assert info.value.exit_code == 2


def test_explicit_url_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """--database-url wins over SEEDCTL_DATABASE_URL, which wins over the embedded server."""
    monkeypatch.setenv("SEEDCTL_DATABASE_URL", "postgresql://env@h/envdb")
    assert resolve_database("postgresql://flag@h/flagdb") == Database(
        "postgresql://flag@h/flagdb", embedded=False
    )
    assert resolve_database(None) == Database("postgresql://env@h/envdb", embedded=False)


def test_bad_url_in_the_environment_is_refused_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """A malformed SEEDCTL_DATABASE_URL is a ConfigError before any connection attempt."""
    monkeypatch.setenv("SEEDCTL_DATABASE_URL", "mysql://u@h/db")
    with pytest.raises(ConfigError, match="needs a postgresql:// URL"):
        resolve_database(None)


PLAIN_CANDIDATES = [
    f"postgresql://app:{PASSWORD}@db.example.com:6543/shop",
    "postgres://app@db.example.com/shop",
    "postgresql+psycopg://app@db.example.com:5432/shop?sslmode=require",
    "postgresql://postgres:@/seedctl?host=/tmp/pgdata",
    "postgresql://postgres@/seedctl?host=%2Ftmp%2Fpg%20data",
    "postgresql://u@[::1]:5433/db",
    "postgresql://u@[::1]/db",
    "postgresql:///db",
    "postgresql://h",
    "postgresql://h/",
    "postgresql://u@h/db?connect_timeout=3&application_name=x",
    # SQLAlchemy and libpq may read these differently: plain_url must refuse them.
    "postgresql://h1,h2/db",
    "postgresql://u@h/d%20b",
    "postgresql://u%40x@h/db",
    "postgresql://u@h/db?dbname=a+b",
    "postgresql://u@h/db?host=/tmp",
    "postgresql://u@h/db?host=/a&host=/b",
    "postgresql://u@h/db?sslmode=",
    "postgresql://u@h/db?sslmode",
    "postgresql://u@h/db?nonsense=1",
    "mysql://u@h/db",
    "postgresql://u@h:99999/db",
]
REFUSED = PLAIN_CANDIDATES[PLAIN_CANDIDATES.index("postgresql://h1,h2/db") :]


@pytest.mark.parametrize(
    "environment",
    [{}, {"PGHOST": "envhost", "PGPORT": "7777", "PGUSER": "envuser", "PGDATABASE": "envdb"}],
)
def test_the_no_op_rerun_describes_a_plain_url_as_the_full_run_does(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """describe_plain (no SQLAlchemy) equals describe on every URL plain_url lets through,
    and plain_url refuses the URLs the two parsers could read differently."""
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGDATABASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    accepted = 0
    for url in PLAIN_CANDIDATES:
        plain = plain_url(url)
        if url in REFUSED:
            assert plain is None, url
            continue
        assert plain is not None, url
        assert describe_plain(plain) == describe(url), url
        accepted += 1
    assert accepted == len(PLAIN_CANDIDATES) - len(REFUSED)
