"""Honest messages and team habits: each pins a message's text and its exit code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from seedctl.engine.apply import apply_log
from seedctl.engine.db import set_environment
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import create_target_schema

from tests.support.cli import seedctl, target_line
from tests.support.okr_log import okr_log
from tests.test_cli_apply import COMMANDS, TENANT, scalar, write_okr_log


def test_rows_from_another_log_are_extra_and_warned_before_writing(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A scale-2 apply then the scale-1 log: a warning first, then exit 8 saying rows are extra."""
    apply_log(
        okr_log(tmp_path / "big.jsonl", scale=2), database_url=database_url, create_schema=True
    )
    write_okr_log(tmp_path / "L")
    result = seedctl("apply", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 8
    warning, error = result.stderr.split("error: ", 1)
    assert warning.startswith(
        target_line(database_url) + f"warning: tenant {TENANT} was last applied"
    )
    assert "from another log: scale=2 (digest " in warning
    assert "this log has scale=1 (digest " in warning
    assert error.startswith(
        "post-seed check failed: the database holds seeded rows this log does not name "
        "(applied earlier from another log of the same tenant; `seedctl revert` then apply, "
        "or apply that log):\n  "
    )
    assert re.search(r"\n  user: \d+ extra \(the log names 200, the ledger holds \d+ seeded", error)
    assert "missing" not in error


def test_a_missing_column_is_not_told_to_pass_create_schema(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A table lacking a column, --create-schema: exit 10 saying seedctl never alters tables."""
    write_okr_log(tmp_path / "L")
    create_target_schema(database_url, get_scenario("okr-demo"))
    with psycopg.connect(database_url) as conn:
        conn.execute("ALTER TABLE users DROP COLUMN name")
    result = seedctl("apply", "--log", "L", "--create-schema", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (10, "")
    assert result.stderr == target_line(database_url) + (
        "error: the log does not fit the target tables as the database has them; nothing was "
        "written:\n  L:20: unknown column users.name (the table has no such column)\n"
        "seedctl never alters a table (`seedctl schema create` and --create-schema only create "
        "missing ones): add the missing columns to the table (ALTER TABLE ... ADD COLUMN, or the "
        "app's migration), or correct the scenario.\n"
    )


def test_verify_and_plan_read_the_default_log_as_apply_does(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """After a bare ``apply``, bare ``verify`` and ``plan --check`` succeed on the same log."""
    env = {**seedctl_env, "SEEDCTL_AS_OF": "2026-01-15"}
    applied = seedctl("apply", "--create-schema", env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    verified = seedctl("verify", env=env, cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith(f"verified tenant {TENANT} on ")
    planned = seedctl("plan", "--no-report", "--check", env=env, cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr
    assert "0 commands pending in 0 batches" in planned.stdout


def test_plan_check_fails_on_pending_commands_and_on_collisions(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``plan --check`` exits 8 while commands are pending, 7 on production, 5 on collisions."""
    write_okr_log(tmp_path / "L")
    create_target_schema(database_url, get_scenario("okr-demo"))
    pending = seedctl("plan", "--log", "L", "--no-report", "--check", env=seedctl_env, cwd=tmp_path)
    assert pending.returncode == 8
    assert pending.stderr.endswith(
        f"error: plan --check: {COMMANDS} commands of the log are pending; apply would write "
        f"{COMMANDS} rows\n"
    )
    plain = seedctl("plan", "--log", "L", "--no-report", env=seedctl_env, cwd=tmp_path)
    assert plain.returncode == 0
    set_environment("production", database_url=database_url)
    guarded = seedctl("plan", "--log", "L", "--no-report", "--check", env=seedctl_env, cwd=tmp_path)
    assert guarded.returncode == 7
    assert guarded.stderr.endswith(
        "error: plan --check: apply would refuse: the database is marked production (apply "
        "needs --allow-production there)\n"
    )
    set_environment("development", database_url=database_url, allow_production=True)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO organizations (id, slug, name, timezone) VALUES "
            "('11111111-1111-1111-1111-111111111111', %s, 'Theirs', 'UTC')",
            (TENANT,),
        )
    collide = seedctl("plan", "--log", "L", "--no-report", "--check", env=seedctl_env, cwd=tmp_path)
    assert collide.returncode == 5
    assert collide.stderr.endswith(
        "error: plan --check: apply would refuse: 1 rows collide with rows seedctl did not "
        "write (listed above)\n"
    )


def test_filters_that_match_nothing_known_exit_2(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``audit --entity users``, ``status``/``audit --tenant nope``: exit 2 naming what is known."""
    apply_log(write_okr_log(tmp_path / "L"), database_url=database_url, create_schema=True)
    entity = seedctl("audit", "--entity", "users", env=seedctl_env, cwd=tmp_path)
    assert (entity.returncode, entity.stdout) == (2, "")
    assert entity.stderr.startswith(
        target_line(database_url) + "error: --entity 'users' is not an entity of any known "
        "scenario; known: check_in, cycle, "
    )
    assert entity.stderr.endswith(" (did you mean 'user'?)\n")
    for command in ("status", "audit"):
        tenant = seedctl(command, "--tenant", "puzzel-cx-dem", env=seedctl_env, cwd=tmp_path)
        assert (tenant.returncode, tenant.stdout) == (2, "")
        assert tenant.stderr == target_line(database_url) + (
            "error: --tenant 'puzzel-cx-dem' matches no tenant in the ledger; tenants: "
            f"{TENANT} (did you mean '{TENANT}'?)\n"
        )
    known = seedctl("audit", "--entity", "user", "--limit", "1", env=seedctl_env, cwd=tmp_path)
    assert known.returncode == 0, known.stderr


def test_an_impossible_date_is_not_told_to_use_the_format_it_has(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """``--as-of 2026-02-30`` exits 2 saying the day does not exist, not "use YYYY-MM-DD"."""
    result = seedctl("apply", "--as-of", "2026-02-30", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --as-of 2026-02-30 is not a date in the calendar (day is out of range for month)\n"
    )


def test_global_options_after_the_command_are_accepted(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """``seedctl status --log-format json --log-level info`` works as if written before status."""
    result = seedctl(
        "status", "--log-format", "json", "--log-level", "info", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    event = json.loads(result.stderr.splitlines()[0])
    assert (event["event"], event["level"]) == ("target", "info")


def test_dry_run_points_at_plan_and_h_is_help(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """``apply --dry-run`` exits 2 with a hint naming plan (revert has a real one); ``-h``
    prints help like --help."""
    result = seedctl("apply", "--dry-run", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "Error: No such option: --dry-run" in result.stderr
    assert result.stderr.endswith(
        "hint: apply has no --dry-run: `seedctl plan` is the dry run (the same log, read-only; "
        "`seedctl plan --check` fails when apply would refuse or write anything).\n"
    )
    revert = seedctl("revert", "--dry-run", "--json", env=seedctl_env, cwd=tmp_path)
    assert revert.returncode == 2  # a real dry run: this database has no ledger yet
    assert json.loads(revert.stdout)["message"].endswith("has no seedctl ledger: nothing to revert")
    short = seedctl("apply", "-h", env=seedctl_env, cwd=tmp_path)
    assert short.returncode == 0
    assert short.stdout.startswith("Usage: seedctl apply [OPTIONS]")
    root = seedctl("-h", env=seedctl_env, cwd=tmp_path)
    assert "--install-completion" in root.stdout


def test_elapsed_times_are_rounded_in_json(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """apply and revert --json report elapsed_s with at most three decimals."""
    write_okr_log(tmp_path / "L")
    for args in (("apply", "--log", "L", "--create-schema"), ("revert", "--log", "L")):
        result = seedctl(*args, "--json", env=seedctl_env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        elapsed = json.loads(result.stdout)["elapsed_s"]
        assert elapsed == round(elapsed, 3)
        assert re.search(r'"elapsed_s":\d+(\.\d{1,3})?[,}]', result.stdout)


def test_a_lock_wait_names_the_holder_and_wait_timeout_bounds_it(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Queued behind a held lock, apply says who holds it at the default level, then exits 6."""
    write_okr_log(tmp_path / "L")
    with psycopg.connect(database_url, autocommit=True, application_name="holder") as holder:
        holder.execute("SELECT pg_advisory_lock(24301, hashtext(%s))", (TENANT,))
        started = time.monotonic()
        result = seedctl(
            "apply",
            "--log",
            "L",
            "--create-schema",
            "--wait-timeout",
            "1",
            env=seedctl_env,
            cwd=tmp_path,
        )
        waited = time.monotonic() - started
    assert (result.returncode, result.stdout) == (6, "")
    assert "waiting_for_tenant_lock" in result.stderr
    assert "application 'holder'" in result.stderr.split("error: ")[0]
    assert result.stderr.split("error: ")[1].startswith(
        f"tenant '{TENANT}' is still locked by another session (session pid "
    )
    assert "after --wait-timeout 1s; nothing was written." in result.stderr
    assert waited < 30
    assert scalar(database_url, "SELECT to_regclass('seedctl.runs') IS NULL") is True


def test_long_work_without_a_terminal_prints_progress_lines(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Off a terminal, apply prints ``seedctl: ...`` lines on stderr while it works."""
    write_okr_log(tmp_path / "L")
    env = {**seedctl_env, "SEEDCTL_PROGRESS_SECONDS": "0.05"}
    result = seedctl(
        "apply",
        "--log",
        "L",
        "--create-schema",
        "--batch-size",
        "20",
        "--writers",
        "1",
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == target_line(database_url).rstrip("\n")
    assert any(re.fullmatch(r"seedctl: applying: \d+ of 2820 commands \(\d+s\)", x) for x in lines)
    planned = seedctl("plan", "--log", "L", "--no-report", env=env, cwd=tmp_path)
    assert planned.returncode == 0
    assert "\x1b" not in planned.stderr


def test_status_tells_a_live_run_from_a_dead_one(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A ``running`` run shows as dead unless a session holds its tenant's lock."""
    apply_log(write_okr_log(tmp_path / "L"), database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO seedctl.runs (run_id, tenant, kind, started_at, status, seedctl_version) "
            "VALUES (gen_random_uuid(), %s, 'apply', now(), 'running', 'x')",
            (TENANT,),
        )
    dead = seedctl("status", "--json", env=seedctl_env, cwd=tmp_path)
    run = json.loads(dead.stdout)["runs"][0]
    assert (run["status"], run["alive"]) == ("running", False)
    table = seedctl("status", env=seedctl_env, cwd=tmp_path)
    assert "running (dead: no session holds the lock)" in table.stdout
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(24301, hashtext(%s))", (TENANT,))
        live = seedctl("status", "--json", env=seedctl_env, cwd=tmp_path)
    assert json.loads(live.stdout)["runs"][0]["alive"] is True


def test_tables_keep_numbers_whole_at_60_columns(tmp_path: Path) -> None:
    """At 60 columns the apply summary wraps headers, never a number (no 178...)."""
    code = (
        "from seedctl.cli import output\n"
        "from rich.console import Console\n"
        "output.console = Console(width=60, highlight=False)\n"
        "output.print_table('t', ['entity','commands','before','inserted','updated','unchanged',"
        "'skipped','rows'], [('objective_key_result', 178200, 0, 178200, 0, 0, 0, 178200),"
        "('user', 20000, 0, 20000, 0, 0, 0, 20000)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert result.stdout.count("178200") == 3
    assert "objective_key_result" in result.stdout


def test_a_terminal_sees_a_spinner_naming_the_phase(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """With stderr on a terminal, ``plan`` draws a spinner naming what it verifies."""
    import os
    import pty

    write_okr_log(tmp_path / "L")
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            ["seedctl", "plan", "--log", "L", "--no-report"],
            cwd=tmp_path,
            env={**seedctl_env, "TERM": "xterm", "COLUMNS": "120"},
            stdout=subprocess.PIPE,
            stderr=follower,
        )
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break  # the child closed the terminal
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "target: database " in text
    assert "plan: verifying L, comparing every pending row read-only" in text
