"""apply and revert across a server restart or stop, on a private embedded server.

A fast or immediate restart, or a stop shorter than ``--retry-for``, is retried and
the run ends with the database a clean run leaves; a server that stays down ends
with exit 4 and one ``error:`` paragraph, and the next run resumes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.dbstate import dump_ledger, dump_tables
from tests.support.okr_log import okr_log, okr_tables
from tests.support.private_server import PrivateServer, Watched


@pytest.fixture(scope="module")
def private() -> Iterator[tuple[PrivateServer, str]]:
    """One embedded server for this module's tests, owned by them alone."""
    # Not under pytest's 0700 basetemp: the server runs as its own user when we are root.
    home = Path(tempfile.mkdtemp(prefix="seedctl-private-pg-"))
    home.chmod(0o755)
    server = PrivateServer(home)
    try:
        admin_url = server.start()
        yield server, admin_url
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(home, ignore_errors=True)


def _apply_args(log: Path, *extra: str) -> list[str]:
    return [
        "seedctl", "--log-format", "json", "--log-level", "debug", "apply", "--log", str(log),
        "--create-schema", "--batch-size", "5", "--writers", "2", *extra,
    ]  # fmt: skip


def _reference(tmp_path: Path, server: PrivateServer, admin_url: str) -> tuple[object, object]:
    """What a clean, uninterrupted apply of the same log leaves."""
    url = server.new_database(admin_url)
    env = {**server.env(), "SEEDCTL_DATABASE_URL": url}
    done = Watched.start(_apply_args(tmp_path / "L"), env).finish()
    assert done[0] == 0, done[2]
    return dump_tables(url, okr_tables()), dump_ledger(url)


def _status(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT kind, status FROM seedctl.runs ORDER BY started_at").fetchall()
    return [(str(k), str(s)) for k, s in rows]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_apply_survives_a_server_restart_mid_run(
    private: tuple[PrivateServer, str], tmp_path: Path, mode: str
) -> None:
    """A `pg_ctl restart -m fast|immediate` during apply is retried; the result is a clean run's."""
    server, admin_url = private
    okr_log(tmp_path / "L")
    url = server.new_database(admin_url)
    env = {**server.env(), "SEEDCTL_DATABASE_URL": url}
    run = Watched.start(_apply_args(tmp_path / "L"), env)
    assert run.wait_for('"batch_applied"', times=40), "".join(run.lines)
    server.pg_ctl("-m", mode, "restart")
    code, _, stderr = run.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "transient_error_retry" in stderr  # the restart really hit the run
    assert (dump_tables(url, okr_tables()), dump_ledger(url)) == _reference(
        tmp_path, server, admin_url
    )
    assert _status(url) == [("apply", "succeeded")]


def test_apply_survives_a_stop_shorter_than_the_retry_window(
    private: tuple[PrivateServer, str], tmp_path: Path
) -> None:
    """An immediate stop, 3 s down, then a start: apply waits it out and finishes the same."""
    server, admin_url = private
    okr_log(tmp_path / "L")
    url = server.new_database(admin_url)
    env = {**server.env(), "SEEDCTL_DATABASE_URL": url}
    run = Watched.start(_apply_args(tmp_path / "L", "--retry-for", "60"), env)
    assert run.wait_for('"batch_applied"', times=40), "".join(run.lines)
    server.pg_ctl("-m", "immediate", "stop")
    time.sleep(3)
    server.start_again()
    code, _, stderr = run.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert (dump_tables(url, okr_tables()), dump_ledger(url)) == _reference(
        tmp_path, server, admin_url
    )


def test_revert_survives_a_server_restart_mid_run(
    private: tuple[PrivateServer, str], tmp_path: Path
) -> None:
    """A fast restart during revert is retried; the database ends empty, the ledger too."""
    server, admin_url = private
    okr_log(tmp_path / "L")
    url = server.new_database(admin_url)
    env = {**server.env(), "SEEDCTL_DATABASE_URL": url}
    assert Watched.start(_apply_args(tmp_path / "L"), env).finish()[0] == 0
    revert = [
        "seedctl", "--log-format", "json", "--log-level", "debug", "revert", "--log",
        str(tmp_path / "L"), "--batch-size", "5",
    ]  # fmt: skip
    run = Watched.start(revert, env)
    assert run.wait_for('"revert_page"', times=40), "".join(run.lines)
    server.pg_ctl("-m", "fast", "restart")
    code, _, stderr = run.finish()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "transient_error_retry" in stderr
    assert all(rows == [] for rows in dump_tables(url, okr_tables()).values())
    assert dump_ledger(url) == []
    assert _status(url) == [("apply", "reverted"), ("revert", "succeeded")]


def test_a_server_that_stays_down_is_exit_4_and_the_next_run_resumes(
    private: tuple[PrivateServer, str], tmp_path: Path
) -> None:
    """Down longer than --retry-for: exit 4, one error paragraph; later the run is interrupted
    and a new apply finishes to a clean run's result."""
    server, admin_url = private
    okr_log(tmp_path / "L")
    url = server.new_database(admin_url)
    env = {**server.env(), "SEEDCTL_DATABASE_URL": url}
    run = Watched.start(_apply_args(tmp_path / "L", "--retry-for", "2"), env)
    assert run.wait_for('"batch_applied"', times=40), "".join(run.lines)
    server.pg_ctl("-m", "immediate", "stop")
    try:
        code, stdout, stderr = run.finish()
    finally:
        server.start_again()
    assert (code, stdout) == (4, "")
    assert "Traceback" not in stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    errors = [str(e["message"]) for e in events if e.get("event") == "command_failed"]
    assert len(errors) == 1, stderr
    assert "lost the connection to the server and could not get it back for 2s" in errors[0]
    assert "run again to resume" in errors[0]
    again = Watched.start(_apply_args(tmp_path / "L"), env).finish()
    assert again[0] == 0, again[2]
    assert _status(url) == [("apply", "interrupted"), ("apply", "succeeded")]
    assert (dump_tables(url, okr_tables()), dump_ledger(url)) == _reference(
        tmp_path, server, admin_url
    )
