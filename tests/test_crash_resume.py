"""Kill -9 at many points, concurrent runs, and a stuck-lock check: the real CLI, the real server.

Each kill lands at a different place in the run (during start-up, between batches,
mid-transaction). After every kill the database must be consistent (every target
row has its ledger row and no ledger row lacks its target row), and the run that
finally completes must leave exactly what an uninterrupted run leaves.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql
from seedctl.ledger import verify_log

from tests.support.dbstate import dump_ledger, dump_tables
from tests.support.okr_log import okr_log, okr_tables

KILLS = 24


def _seedctl(*args: str) -> list[str]:
    return ["seedctl", "--log-format", "json", "--log-level", "debug", *args]


def _consistent(url: str, tables: list[str]) -> tuple[int, int]:
    """(target rows, ledger rows); on a fresh database every applied command inserted one row.

    One snapshot for both: a killed run's last COMMIT may land after the process is gone."""
    with psycopg.connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = 0
        for table in tables:
            exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
            if exists and exists[0]:
                counted = conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                ).fetchone()
                rows += counted[0] if counted else 0
        ledger = conn.execute("SELECT to_regclass('seedctl.applied') IS NOT NULL").fetchone()
        entries = 0
        if ledger and ledger[0]:
            counted = conn.execute("SELECT count(*) FROM seedctl.applied").fetchone()
            entries = counted[0] if counted else 0
    return rows, entries


def _run_and_kill(
    args: list[str], env: dict[str, str], event: str, rng: random.Random, early: bool
) -> int | None:
    """Start seedctl; SIGKILL it after its first ``event`` plus a few ms (or during start-up)."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    if early:
        time.sleep(rng.uniform(0.05, 0.6))
    else:
        for line in proc.stderr:
            if event in line:
                time.sleep(rng.uniform(0, 0.01))
                break
    if proc.poll() is not None:
        proc.stderr.read()
        return proc.returncode
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return None


def test_apply_killed_at_24_points_resumes_to_the_uninterrupted_result(
    database_url: str, reference_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """SIGKILL apply 24 times at spread points; the database stays consistent and ends equal."""
    log = okr_log(tmp_path / "okr.log")
    tables = okr_tables()
    apply = _seedctl("apply", "--log", str(log), "--create-schema", "--batch-size", "15")
    reference_env = {**seedctl_env, "SEEDCTL_DATABASE_URL": reference_url}
    subprocess.run(apply, env=reference_env, check=True, capture_output=True)

    rng = random.Random(20261125)
    kills, progress = 0, []
    for attempt in range(KILLS):
        returncode = _run_and_kill(apply, seedctl_env, "batch_applied", rng, early=attempt % 6 == 0)
        rows, entries = _consistent(database_url, tables)
        assert rows == entries, f"kill {attempt}: {rows} target rows but {entries} ledger rows"
        progress.append(entries)
        if returncode is not None:
            assert returncode == 0
            break
        kills += 1
    assert kills >= 20
    assert progress == sorted(progress)
    assert len({p for p in progress if p > 0}) >= 10, progress  # kills really spread over the run

    final = subprocess.run(apply, env=seedctl_env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert dump_tables(database_url, tables) == dump_tables(reference_url, tables)
    assert dump_ledger(database_url) == dump_ledger(reference_url)
    with psycopg.connect(database_url) as conn:
        statuses = {s for (s,) in conn.execute("SELECT status FROM seedctl.runs").fetchall()}
    assert statuses <= {"interrupted", "succeeded"}


def test_revert_killed_at_20_points_finishes_with_the_database_as_before(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """SIGKILL revert 20+ times; each state is consistent and the final revert empties the seed."""
    log = okr_log(tmp_path / "okr.log")
    tables = okr_tables()
    subprocess.run(
        _seedctl("apply", "--log", str(log), "--create-schema"),
        env=seedctl_env,
        check=True,
        capture_output=True,
    )
    revert = _seedctl("revert", "--log", str(log), "--batch-size", "20")
    rng = random.Random(7)
    kills = 0
    for attempt in range(KILLS):
        returncode = _run_and_kill(revert, seedctl_env, "revert_page", rng, early=attempt % 6 == 0)
        rows, entries = _consistent(database_url, tables)
        assert rows == entries, f"kill {attempt}: {rows} target rows but {entries} ledger rows"
        if returncode is not None:
            assert returncode == 0
            break
        kills += 1
    assert kills >= 20
    final = subprocess.run(revert, env=seedctl_env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert _consistent(database_url, tables) == (0, 0)


def test_concurrent_applies_never_duplicate_and_a_killed_run_leaves_no_lock(
    database_url: str, reference_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """Two applies at once make one row per command; after kill -9, --no-wait starts at once."""
    log = okr_log(tmp_path / "okr.log")
    tables = okr_tables()
    apply = _seedctl("apply", "--log", str(log), "--create-schema", "--batch-size", "100")
    subprocess.run(
        apply,
        env={**seedctl_env, "SEEDCTL_DATABASE_URL": reference_url},
        check=True,
        capture_output=True,
    )

    first = subprocess.Popen(
        apply, env=seedctl_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    second = subprocess.Popen(
        apply, env=seedctl_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    assert first.wait(timeout=120) == 0
    assert second.wait(timeout=120) == 0
    assert dump_tables(database_url, tables) == dump_tables(reference_url, tables)
    assert dump_ledger(database_url) == dump_ledger(reference_url)

    okr_log(log, as_of=dt.date(2026, 2, 20))  # something pending again, to kill mid-batch
    killed = _run_and_kill(apply, seedctl_env, "batch_applied", random.Random(1), early=False)
    assert killed is None
    started = time.monotonic()
    after = subprocess.run(
        [*apply, "--no-wait"], env=seedctl_env, capture_output=True, text=True, check=False
    )
    assert after.returncode == 0, after.stderr
    assert time.monotonic() - started < 60


def _live_and_rows(url: str, tables: list[str]) -> tuple[int, int]:
    """(target rows, rows the ledger says the seed holds now): one snapshot, as above. On a
    database only the seed wrote, the two are equal after every commit."""
    rows, _ = _consistent(url, tables)
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('seedctl.applied') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return rows, 0
        live = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT ON (table_name, row_id) outcome "
            "FROM seedctl.applied ORDER BY table_name, row_id, applied_at DESC, seq DESC) l "
            "WHERE outcome <> 'deleted'"
        ).fetchone()
    return rows, int(live[0]) if live else 0


def test_generations_applied_through_kills_equal_a_fresh_apply_of_the_last(
    database_url: str, reference_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """Three generations (scale 2, then scale 1 a month later: removals and moved check-ins,
    then scale 2 at the first date again: rows back, dates back), each generated and applied
    with SIGKILLs at random points of both: the database ends equal to a fresh apply of the
    last generation alone, and consistent after every kill."""
    log = tmp_path / "okr.log"
    tables = okr_tables()
    rng = random.Random(20261202)
    steps = [("2026-01-15", "2"), ("2026-02-15", "1"), ("2026-01-15", "2")]
    kills = 0
    for as_of, scale in steps:
        generate = _seedctl("generate", "--log", str(log), "--as-of", as_of, "--scale", scale)
        for _ in range(3):
            if _run_and_kill(generate, seedctl_env, "", rng, early=True) is not None:
                break
        finished = subprocess.run(
            generate, env=seedctl_env, capture_output=True, text=True, check=False
        )
        assert finished.returncode == 0, finished.stderr
        apply = _seedctl("apply", "--log", str(log), "--create-schema", "--batch-size", "40")
        for attempt in range(8):
            returncode = _run_and_kill(
                apply, seedctl_env, "batch_applied", rng, early=attempt % 4 == 0
            )
            rows, live = _live_and_rows(database_url, tables)
            assert rows == live, f"{as_of}: {rows} target rows but {live} live ledger rows"
            if returncode is not None:
                assert returncode == 0
                break
            kills += 1
        final = subprocess.run(apply, env=seedctl_env, capture_output=True, text=True, check=False)
        assert final.returncode == 0, final.stderr
    assert kills >= 12

    fresh = tmp_path / "fresh.log"
    reference_env = {**seedctl_env, "SEEDCTL_DATABASE_URL": reference_url}
    for args in (
        ("generate", "--log", str(fresh), "--as-of", steps[-1][0], "--scale", steps[-1][1]),
        ("apply", "--log", str(fresh), "--create-schema"),
    ):
        subprocess.run(_seedctl(*args), env=reference_env, check=True, capture_output=True)
    assert dump_tables(database_url, tables) == dump_tables(reference_url, tables)
    assert verify_log(log).generations[-1].generation == 3
