"""Real PostgreSQL for every test: the embedded server by default, or the server named by
``SEEDCTL_TEST_DATABASE_URL``. Each test that asks for ``database_url`` gets a fresh
database of its own, dropped afterwards. A missing server fails the run; it never skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import structlog
from hypothesis import settings
from psycopg import sql
from seedctl.engine.db import embedded
from sqlalchemy.engine import make_url

# Examples talk to files, subprocesses and a real server: wall-clock deadlines would only
# measure how busy the machine is. Under CI the examples are derandomized as well, so a
# red run can be reproduced exactly.
settings.register_profile("seedctl", deadline=None)
settings.register_profile("seedctl-ci", deadline=None, derandomize=True)
settings.load_profile("seedctl-ci" if os.environ.get("CI") else "seedctl")


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1)).set(database=database)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """In-process CLI runs configure structlog; no test inherits another's set-up."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An admin URL of the PostgreSQL server under test."""
    configured = os.environ.get("SEEDCTL_TEST_DATABASE_URL")
    if configured:
        with psycopg.connect(configured, connect_timeout=10) as conn:
            conn.execute("SELECT 1")
        yield configured
        return
    home = tmp_path_factory.mktemp("seedctl-home")
    server = embedded.start(home)
    try:
        yield server.admin_url
    finally:
        embedded.stop(home)


@pytest.fixture(scope="session")
def server_version(server_url: str) -> int:
    """The server's major version (15, 18, ...)."""
    with psycopg.connect(server_url) as conn:
        return int(conn.info.server_version // 10000)


@pytest.fixture
def database_url(server_url: str) -> Iterator[str]:
    """A fresh, empty database for one test; dropped when the test ends."""
    yield from _fresh_database(server_url)


def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"seedctl_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def other_database_url(database_url: str) -> Iterator[str]:
    """A second fresh database on the same server, e.g. for a reference run."""
    yield from _fresh_database(database_url)


@pytest.fixture
def seedctl_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for running ``seedctl`` as a subprocess against the test database."""
    env = dict(os.environ)
    env["SEEDCTL_DATABASE_URL"] = database_url
    env["SEEDCTL_HOME"] = str(tmp_path / ".seedctl")
    env.pop("SEEDCTL_TEST_DATABASE_URL", None)
    return env


@pytest.fixture
def reference_url(server_url: str, database_url: str) -> Iterator[str]:
    """A second fresh database on the same server, for the uninterrupted run."""
    name = database_url.rsplit("/", 1)[1].split("?", maxsplit=1)[0] + "_ref"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield with_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
