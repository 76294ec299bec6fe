"""The read-only commands, run as a subprocess against real PostgreSQL: ``status``, ``audit``,
``plan`` and ``verify``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
from seedctl.engine.apply import apply_log
from seedctl.engine.db import describe
from seedctl.ledger import verify_log
from seedctl.ledger.ids import user_key

from tests.support.cli import target_line
from tests.test_cli_apply import (
    AS_OF,
    CHECK_INS,
    COMMANDS,
    LATER,
    TENANT,
    ledger_exists,
    scalar,
    seedctl,
    table_rows,
    write_okr_log,
)

FOUNDER_ID = str(user_key("founder@puzzelcx.local").id)
ADMIN_ID = str(user_key("admin1@puzzelcx.local").id)
ENTRY = re.compile(
    r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<outcome>\w+) +(?P<entity>\w+) (?P<id>[0-9a-f-]{36}) "
    r"\(seq \d+, command [0-9a-f]{12}, run (?P<run>[0-9a-f-]{36}) apply/succeeded\)"
)


def applied(database_url: str, log: Path) -> str:
    """Apply ``log`` in process (the CLI's apply is tested elsewhere); return the run id."""
    result = apply_log(log, database_url=database_url, create_schema=True)
    assert result.run_id is not None
    return result.run_id


def first_check_in(database_url: str) -> str:
    """The id of one seeded check-in."""
    return str(scalar(database_url, "SELECT min(id::text) FROM check_ins"))


def test_status_lists_runs_and_applied_commands(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``status`` names the database and tenants, lists the run and the applied commands."""
    run_id = applied(database_url, write_okr_log(tmp_path / "L"))
    result = seedctl("status", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{describe(database_url)} (environment: unmarked); tenants: {TENANT}"
    rows = table_rows(result.stdout)
    assert rows[run_id][:3] == [TENANT, "apply", "succeeded"]
    assert rows["user"] == ["200"]
    assert rows["check_in"] == [str(CHECK_INS)]

    out = json.loads(seedctl("status", "--json", env=seedctl_env, cwd=tmp_path).stdout)
    assert (out["tenants"], out["environment"], out["pending"]) == ([TENANT], None, None)
    assert sum(out["applied"].values()) == COMMANDS
    assert [(r["run_id"], r["kind"], r["status"]) for r in out["runs"]] == [
        (run_id, "apply", "succeeded")
    ]


def test_status_with_log_counts_pending_commands(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """After ``generate`` with a later --as-of, ``status --log`` shows moved check-ins pending."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    generated = seedctl(
        "generate", "--log", "L", "--as-of", LATER.isoformat(), env=seedctl_env, cwd=tmp_path
    )
    assert generated.returncode == 0, generated.stderr
    result = seedctl("status", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert rows["entity"] == ["applied", "pending"]
    assert rows["check_in"] == [str(CHECK_INS), str(CHECK_INS)]
    assert rows["user"] == ["200", "0"]

    out = json.loads(
        seedctl("status", "--log", "L", "--json", env=seedctl_env, cwd=tmp_path).stdout
    )
    assert out["pending"] == {"check_in": CHECK_INS}
    assert out["log_digest"] == verify_log(tmp_path / "L").digest


def test_audit_by_entity_with_limit(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``audit --entity user --limit 2`` prints two inserted users, newest first, and their rows."""
    run_id = applied(database_url, write_okr_log(tmp_path / "L"))
    result = seedctl("audit", "--entity", "user", "--limit", "2", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    for entry, after in zip(lines[::2], lines[1::2], strict=True):
        match = ENTRY.fullmatch(entry)
        assert match, entry
        assert (match["outcome"], match["entity"], match["run"]) == ("inserted", "user", run_id)
        assert after.startswith('    after: {"email": ')

    out = json.loads(
        seedctl(
            "audit", "--entity", "user", "--limit", "2", "--json", env=seedctl_env, cwd=tmp_path
        ).stdout
    )
    assert [(e["entity"], e["outcome"], e["before"]) for e in out["entries"]] == [
        ("user", "inserted", None)
    ] * 2
    assert out["entries"][0]["applied_at"] >= out["entries"][1]["applied_at"]


def test_audit_by_id_shows_inserts_and_updates(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``audit --id``: a user stays one insert; a check-in moved by a later as_of shows the update's
    before and after above its insert."""
    first_run = applied(database_url, write_okr_log(tmp_path / "first.jsonl"))
    check_in = first_check_in(database_url)
    later_run = applied(database_url, write_okr_log(tmp_path / "L", AS_OF, LATER))

    user = seedctl("audit", "--id", FOUNDER_ID.upper(), env=seedctl_env, cwd=tmp_path)
    assert user.returncode == 0, user.stderr
    lines = user.stdout.splitlines()
    assert len(lines) == 2
    match = ENTRY.fullmatch(lines[0])
    assert match
    assert (match["outcome"], match["id"], match["run"]) == ("inserted", FOUNDER_ID, first_run)
    assert '"email": "founder@puzzelcx.local"' in lines[1]

    result = seedctl("audit", "--id", check_in, env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    entries = [ENTRY.fullmatch(line) for line in result.stdout.splitlines()]
    found = [(m["outcome"], m["id"], m["run"]) for m in entries if m]
    assert found == [("updated", check_in, later_run), ("inserted", check_in, first_run)]

    out = json.loads(
        seedctl("audit", "--id", check_in, "--json", env=seedctl_env, cwd=tmp_path).stdout
    )
    update, insert = out["entries"]
    assert (update["outcome"], insert["outcome"], insert["before"]) == ("updated", "inserted", None)
    assert update["before"] == insert["after"]
    old, new = update["before"]["check_in_date"], update["after"]["check_in_date"]
    assert new > old
    assert f'    check_in_date: "{old}" -> "{new}"\n' in result.stdout


def test_audit_rejects_an_id_that_is_not_a_uuid(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """``audit --id not-a-uuid`` exits 2 naming the value, before touching the database."""
    result = seedctl("audit", "--id", "not-a-uuid", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: --id must be a UUID, not 'not-a-uuid'\n"


def test_audit_rejects_a_negative_limit(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """``audit --limit -1`` is a usage error (exit 2), not a traceback from PostgreSQL's LIMIT."""
    result = seedctl("audit", "--limit", "-1", env=seedctl_env, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert "--limit" in result.stderr


def test_status_rejects_a_negative_run_count(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """``status --runs -1`` is a usage error (exit 2), not a traceback from PostgreSQL's LIMIT."""
    result = seedctl("status", "--runs", "-1", env=seedctl_env, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert "--runs" in result.stderr


def test_plan_writes_the_report_and_nothing_else(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``plan --log L --report R`` exits 0, counts every command pending, writes R and no table."""
    write_okr_log(tmp_path / "L")
    result = seedctl("plan", "--log", "L", "--report", "out/R.md", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        f"{COMMANDS} commands pending in 12 batches; apply would write {COMMANDS} rows and "
        "remove 0; nothing was written to the database\n"
    ) in result.stdout
    assert result.stdout.endswith("report written to out/R.md\n")
    assert table_rows(result.stdout)["user"] == ["200", "0", "200", "200", "0", "0", "0", "0", "1"]
    assert (tmp_path / "out" / "R.md").read_text().startswith("# Seed dry run report\n")
    assert not ledger_exists(database_url)
    assert scalar(database_url, "SELECT to_regclass('public.users') IS NULL") is True


def test_plan_exit_codes(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """``plan`` without --log reads apply's default log (exit 3 naming it while none was
    generated) and exits 3 on a log that does not exist."""
    default_log = Path(seedctl_env["SEEDCTL_HOME"]) / "logs" / "okr-demo.log"
    missing_option = seedctl("plan", env=seedctl_env, cwd=tmp_path)
    assert (missing_option.returncode, missing_option.stdout) == (3, "")
    assert missing_option.stderr == (
        f"error: {default_log}: no such log file; without --log, plan reads the log "
        "`seedctl apply` generates, and none was generated here yet: run `seedctl apply`, "
        "or pass --log PATH\n"
    )
    missing_file = seedctl("plan", "--log", "nope.jsonl", env=seedctl_env, cwd=tmp_path)
    assert (missing_file.returncode, missing_file.stderr) == (
        3,
        "error: nope.jsonl: no such log file\n",
    )


def test_verify_exits_0_then_8_after_drift(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``verify`` exits 0 on a fresh apply and 8 listing the row once someone changes it."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    ok = seedctl("verify", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(
        f"verified tenant {TENANT} on {describe(database_url)}: {COMMANDS} seeded rows equal "
        "their last applied images and match the expected counts (scenario); "
        f"all {COMMANDS} commands of the log are applied; "
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE users SET name = 'Zed' WHERE id = %s", (ADMIN_ID,))
    drifted = seedctl("verify", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert drifted.returncode == 8
    assert drifted.stderr == target_line(database_url) + (
        f"error: verification failed for tenant {TENANT}: 1 difference (1 changed)\n"
    )
    row = table_rows(drifted.stdout)["user"]
    assert row[:2] == [ADMIN_ID, "changed"]
    assert row[2].startswith("name: ") and row[2].endswith(' -> "Zed"')

    out = json.loads(
        seedctl("verify", "--log", "L", "--json", env=seedctl_env, cwd=tmp_path).stdout
    )
    assert (out["ok"], out["difference_counts"]) == (False, {"changed": 1})
    assert out["differences"][0]["columns"] == ["name"]


def test_verify_prints_changed_values_verbatim(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A changed value that looks like rich markup is printed as it is, not styled away."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE users SET name = '[bold]Zed' WHERE id = %s", (ADMIN_ID,))
    result = seedctl("verify", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 8
    assert '-> "[bold]Zed"' in result.stdout
