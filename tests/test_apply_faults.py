"""Faults around a running apply, through the CLI: other sessions holding its rows or its
tenant lock, retries that run out. Each ends in one ``error:`` paragraph with its
documented exit code, never a traceback, and never a hang.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.engine.db import LOCK_CLASS
from seedctl.ledger import LogCorruptError, LogReader

from tests.support.okr_log import okr_log
from tests.support.private_server import Watched

TENANT = "puzzel-cx-demo"
LATER = dt.date(2026, 2, 20)


def _updates_pending(database_url: str, log: Path) -> None:
    """Apply ``log`` whole, then append a later generation: check-in updates are pending."""
    okr_log(log)
    apply_log(log, database_url=database_url, create_schema=True)
    okr_log(log, as_of=LATER)


def _apply(log: Path, *extra: str) -> list[str]:
    return [
        "seedctl", "--log-format", "json", "--log-level", "debug", "apply", "--log", str(log),
        *extra,
    ]  # fmt: skip


def test_writers_never_hang_on_a_session_that_holds_a_row_and_waits_for_the_tenant_lock(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """A session holding the check-in rows and queueing for the tenant lock: --writers 2 ends
    with exit 6 within the retry window instead of hanging for ever."""
    log = tmp_path / "L"
    _updates_pending(database_url, log)
    # The second batch's rows: the first goes to the run's own session, the second to
    # its sibling writer, which then waits on this session in PostgreSQL while the run's
    # session waits on the sibling in seedctl, where no deadlock detector looks.
    with LogReader(log) as reader:
        # The second generation starts after the first's 2820 commands and its record.
        second = [r.id for r, _ in reader if 2821 + 100 < r.seq <= 2821 + 200]
    holder = psycopg.connect(database_url)
    locked = holder.execute(
        "SELECT id FROM check_ins WHERE id = ANY(%s::uuid[]) FOR UPDATE", (second,)
    ).fetchall()
    assert len(locked) == 100
    run = Watched.start(
        _apply(log, "--writers", "2", "--batch-size", "100", "--retry-for", "3"), seedctl_env
    )
    try:
        assert run.wait_for('"apply_planned"'), "".join(run.lines)
        queued = threading.Thread(
            target=lambda: holder.execute(
                "SELECT pg_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, TENANT)
            ),
            daemon=True,
        )
        queued.start()
        started = time.monotonic()
        code, stdout, stderr = run.finish(timeout=60)
        elapsed = time.monotonic() - started
    except subprocess.TimeoutExpired:
        run.proc.kill()
        raise
    finally:
        queued.join(timeout=30)
        holder.close()
    assert (code, stdout) == (6, ""), stderr
    assert "Traceback" not in stderr
    errors = _failures(stderr)
    assert len(errors) == 1, stderr
    assert "table check_ins" in errors[0]
    assert "for 3s (--retry-for), so seedctl gave up" in errors[0]
    assert elapsed < 30


def test_a_row_lock_held_past_the_retry_window_is_exit_6_not_a_traceback(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """Another session keeps the rows locked: with --lock-timeout 0.2 and --retry-for 1 apply
    gives up with exit 6 and one error paragraph; nothing of the locked batch is written."""
    log = tmp_path / "L"
    _updates_pending(database_url, log)
    holder = psycopg.connect(database_url)
    try:
        holder.execute("SELECT id FROM check_ins FOR UPDATE").fetchall()
        run = Watched.start(
            _apply(log, "--writers", "1", "--lock-timeout", "0.2", "--retry-for", "1"),
            seedctl_env,
        )
        code, stdout, stderr = run.finish(timeout=60)
    finally:
        holder.close()
    assert (code, stdout) == (6, ""), stderr
    assert "Traceback" not in stderr
    errors = _failures(stderr)
    assert errors == [
        "table check_ins, batch starting at log seq 2822: a lock stayed held by another "
        "session for 1s (--retry-for), so seedctl gave up: canceling statement due to lock "
        "timeout. Every batch committed before stays; run again to resume."
    ]
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM seedctl.applied WHERE seq > 2820").fetchone()
    assert row == (0,)


def _failures(stderr: str) -> list[str]:
    """The messages of the JSON log's ``command_failed`` events (``--log-format json``)."""
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return [str(e["message"]) for e in events if e.get("event") == "command_failed"]


class _AppendWhenStarted:
    """An observer that appends to the log the moment the run starts writing."""

    def __init__(self, append: Callable[[], None]) -> None:
        self._append = append

    def started(self, pending: Mapping[str, int]) -> None:
        self._append()

    def advanced(self, entity: str, rows: int) -> None:
        pass

    def finished(self) -> None:
        pass


def _ledger_rows(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM seedctl.applied").fetchone()
    assert row is not None
    return int(row[0])


def test_lines_appended_during_a_run_are_left_for_the_next_run(
    database_url: str, tmp_path: Path
) -> None:
    """A generation appended while apply writes is not applied by that run; the next run is."""
    log = okr_log(tmp_path / "L")
    first = apply_log(
        log,
        database_url=database_url,
        create_schema=True,
        max_rows=100,
        observer=_AppendWhenStarted(lambda: okr_log(log, as_of=LATER)),
    )
    assert first.written == 2820
    assert _ledger_rows(database_url) == 2820
    second = apply_log(log, database_url=database_url, create_schema=True)
    assert second.written == 654  # the appended check-in updates
    assert _ledger_rows(database_url) == 2820 + 654


def test_an_unverified_line_appended_during_a_run_is_never_written(
    database_url: str, tmp_path: Path
) -> None:
    """A chained line with a bogus hash appended mid-run is not applied; the next run is exit 3."""
    log = okr_log(tmp_path / "L")

    def append_bogus() -> None:
        last = log.read_bytes().splitlines()[-1]
        line = (
            b'{"conflict":["slug"],"entity":"organization","hash":"' + b"0" * 64 + b'",'
            b'"id":"11111111-1111-1111-1111-111111111111","insert_only":[],'
            b'"key":{"slug":"x"},"op":"upsert","prev":"'
            + hashlib.sha256(last).hexdigest().encode()
            + b'","seq":2822,"table":"organizations","values":{}}\n'
        )
        with log.open("ab") as f:
            f.write(line)

    result = apply_log(
        log,
        database_url=database_url,
        create_schema=True,
        observer=_AppendWhenStarted(append_bogus),
    )
    assert result.written == 2820
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM organizations WHERE id = '11111111-1111-1111-1111-111111111111'"
        ).fetchone()
    assert row == (0,)
    with pytest.raises(LogCorruptError) as caught:
        apply_log(log, database_url=database_url, create_schema=True)
    assert (caught.value.line, caught.value.exit_code) == (2823, 3)
