"""Errors as data: with ``--json`` every failure is one JSON object on stdout, for each exit
code; ``--log-format json`` ends with an error event; Ctrl-C says a rerun resumes."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.engine.db import set_environment
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import create_target_schema

from tests.support.cli import seedctl
from tests.test_cli_apply import TENANT, UNREACHABLE, scalar, write_okr_log

Setup = Callable[[str, Path], tuple[str, ...]]


@contextlib.contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    """A test run started in the background (``cmd &``) inherits SIGINT ignored, and so
    would a child it starts: ignoring survives exec, a handler does not. A handler here,
    while the child starts, gives the child the default, and Python's Ctrl-C with it."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _log(tmp: Path) -> None:
    write_okr_log(tmp / "L")


def usage(url: str, tmp: Path) -> tuple[str, ...]:
    return ("apply", "--no-such-flag")


def bad_date(url: str, tmp: Path) -> tuple[str, ...]:
    return ("apply", "--as-of", "2026-13-01")


def missing_log(url: str, tmp: Path) -> tuple[str, ...]:
    return ("verify", "--log", "nope.jsonl")


def torn_log(url: str, tmp: Path) -> tuple[str, ...]:
    log = write_okr_log(tmp / "L")
    log.write_bytes(log.read_bytes()[:-40])
    return ("apply", "--log", "L", "--create-schema")


def unreachable(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    return ("apply", "--log", "L", "--database-url", UNREACHABLE)


def collision(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    create_target_schema(url, get_scenario("okr-demo"))
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO organizations (id, slug, name, timezone) VALUES "
            "('11111111-1111-1111-1111-111111111111', %s, 'Theirs', 'UTC')",
            (TENANT,),
        )
    return ("apply", "--log", "L")


def production(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    set_environment("production", database_url=url)
    return ("apply", "--log", "L", "--create-schema")


def drifted(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    apply_log(tmp / "L", database_url=url, create_schema=True)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE users SET name = 'Zed' WHERE email = 'admin1@puzzelcx.local'")
    return ("verify", "--log", "L")


def revert_drift(url: str, tmp: Path) -> tuple[str, ...]:
    drifted(url, tmp)
    return ("revert", "--log", "L")


def missing_tables(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    return ("apply", "--log", "L")


def newer_ledger(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    apply_log(tmp / "L", database_url=url, create_schema=True)
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE seedctl.meta SET value = '99' WHERE key = 'schema_version'")
    return ("status",)


def refused_batch(url: str, tmp: Path) -> tuple[str, ...]:
    _log(tmp)
    create_target_schema(url, get_scenario("okr-demo"))
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE users ADD CONSTRAINT no_admins CHECK (email NOT LIKE 'admin%')")
    return ("apply", "--log", "L")


CASES: list[tuple[Setup, int, str, dict[str, object]]] = [
    (refused_batch, 1, "SeedctlError", {"table": "users"}),
    (usage, 2, "NoSuchOption", {}),
    (bad_date, 2, "ConfigError", {}),
    (missing_log, 3, "LogError", {"log": "nope.jsonl"}),
    (torn_log, 3, "LogCorruptError", {"log": "L:2822"}),
    (unreachable, 4, "DatabaseUnavailableError", {}),
    (collision, 5, "CollisionError", {"table": "organizations"}),
    (production, 7, "ProductionGuardError", {}),
    (drifted, 8, "VerificationFailedError", {}),
    (revert_drift, 9, "DriftError", {}),
    (missing_tables, 10, "UnknownNameError", {}),
    (newer_ledger, 11, "LedgerSchemaError", {}),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]}-{c[0].__name__}" for c in CASES])
def test_every_failure_is_one_json_object(
    case: tuple[Setup, int, str, dict[str, object]],
    seedctl_env: dict[str, str],
    tmp_path: Path,
    database_url: str,
) -> None:
    """With --json a failure prints exactly one JSON object: ok false, exit code, kind, where."""
    setup, code, kind, where = case
    args = setup(database_url, tmp_path)
    result = seedctl(*args, "--json", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    out = json.loads(lines[0])
    assert (out["ok"], out["exit_code"], out["error"]) == (False, code, kind)
    assert out["message"] and "Traceback" not in result.stderr
    for key, value in where.items():
        assert out[key] == value
    if kind == "VerificationFailedError":
        # The result and the error are one object.
        assert out["difference_counts"] == {"changed": 1}
        assert out["message"].startswith("verification failed for tenant ")


def test_lock_busy_is_one_json_object(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Exit 6 with --json: one object naming LockBusyError, and nothing written."""
    _log(tmp_path)
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(24301, hashtext(%s))", (TENANT,))
        result = seedctl(
            "apply",
            "--log",
            "L",
            "--create-schema",
            "--no-wait",
            "--json",
            env=seedctl_env,
            cwd=tmp_path,
        )
    assert result.returncode == 6
    out = json.loads(result.stdout)
    assert (out["ok"], out["exit_code"], out["error"]) == (False, 6, "LockBusyError")


def test_json_log_format_ends_with_an_error_event(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """``--log-format json``: every stderr line is JSON and the last is the error event."""
    result = seedctl(
        "--log-format", "json", "verify", "--log", "nope.jsonl", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 3
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[-1]["event"] == "command_failed"
    assert (events[-1]["level"], events[-1]["exit_code"], events[-1]["error"]) == (
        "error",
        3,
        "LogError",
    )
    assert events[-1]["message"] == "nope.jsonl: no such log file"


def test_ctrl_c_says_a_rerun_resumes_and_marks_the_run_interrupted(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """SIGINT mid-apply exits 130 saying so; the run is ``interrupted``; a rerun finishes it."""
    _log(tmp_path)
    env = {**seedctl_env, "SEEDCTL_PROGRESS_SECONDS": "0.1"}
    made = seedctl("schema", "create", env=seedctl_env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    # The last table stays locked against writes until the signal is sent, so the run is
    # surely mid-way when it arrives, however fast the batches before it go.
    holder = psycopg.connect(database_url)
    holder.execute("LOCK TABLE role_assignments IN SHARE MODE")
    with _sigint_not_ignored():
        process = subprocess.Popen(
            [
                "seedctl",
                "apply",
                "--log",
                "L",
                "--create-schema",
                "--batch-size",
                "1",
                "--writers",
                "1",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert process.stderr is not None
    for line in process.stderr:
        if "applying: " in line and " 0 of " not in line:
            break
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    holder.close()
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 130
    assert rest.endswith(
        "error: interrupted (Ctrl-C): every batch that committed stays applied and recorded, "
        "the run is marked interrupted; run the same command again to resume where it stopped\n"
    )
    assert scalar(database_url, "SELECT string_agg(status, ',') FROM seedctl.runs") == (
        "interrupted"
    )
    done = seedctl("apply", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert scalar(database_url, "SELECT count(*) FROM users") == 200
