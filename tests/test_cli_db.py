"""``seedctl db url`` and ``seedctl db stop``: the embedded server, run as a subprocess.

These start a second embedded PostgreSQL under a temporary ``SEEDCTL_HOME`` (the test
server of conftest.py lives elsewhere) and always stop it again, pass or fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.db import embedded


def seedctl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``seedctl`` with ``SEEDCTL_HOME=home`` and no database URL configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDCTL_")}
    env["SEEDCTL_HOME"] = str(home)
    return subprocess.run(
        ["seedctl", *args],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A fresh SEEDCTL_HOME whose embedded server, if a test starts one, is stopped after it."""
    path = tmp_path / "home"
    try:
        yield path
    finally:
        embedded.stop(path)


def test_db_url_starts_a_server_and_db_stop_stops_it(home: Path) -> None:
    """``db url`` starts a server psycopg connects to; ``db stop`` stops it, and says so."""
    result = seedctl("db", "url", home=home)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert result.stdout == f"{url}\n"
    assert url.startswith("postgresql://")
    assert f"host={home / 'pgdata'}" in url
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SELECT current_database(), 1 + 1").fetchone()
    assert row == ("seedctl", 2)

    again = seedctl("db", "url", "--json", home=home)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"url": url, "pgdata": str(home / "pgdata")}

    stopped = seedctl("db", "stop", home=home)
    assert (stopped.returncode, stopped.stdout) == (0, "stopped\n")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5)
    not_running = seedctl("db", "stop", "--json", home=home)
    assert (not_running.returncode, json.loads(not_running.stdout)) == (0, {"stopped": False})


def test_db_stop_without_a_server(home: Path) -> None:
    """``db stop`` with no server ever started exits 0 and says it was not running."""
    result = seedctl("db", "stop", home=home)
    assert (result.returncode, result.stdout) == (0, "the embedded server was not running\n")
    assert not home.exists() or not (home / "pgdata").exists()


def test_first_start_says_it_creates_a_server_and_names_the_target(home: Path) -> None:
    """The first command on a new home says it creates the server, and where; DATABASE_URL is
    mentioned, not used; the target line names the embedded database before any work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDCTL_")}
    env.update(SEEDCTL_HOME=str(home), DATABASE_URL="postgresql://app:pw@prod.example/app")
    result = subprocess.run(
        ["seedctl", "status"],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    note, creating, target = result.stderr.splitlines()
    assert note.startswith("note: DATABASE_URL is set, but seedctl does not read it")
    assert creating.startswith(f"creating an embedded PostgreSQL server in {home / 'pgdata'} ")
    assert target == (
        f"target: database seedctl on {home / 'pgdata'}:5432 as postgres "
        f"(embedded server in {home}; no database URL given)"
    )
    again = subprocess.run(
        ["seedctl", "status"],
        cwd=home.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "creating" not in again.stderr
