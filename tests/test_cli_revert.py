"""``seedctl revert``, run as a subprocess against real PostgreSQL: summary, JSON, drift, guards."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
from seedctl.engine.apply import apply_log
from seedctl.engine.db import describe, set_environment
from seedctl.ledger.ids import user_key

from tests.support.cli import target_line
from tests.support.okr_log import okr_tables
from tests.test_cli_apply import (
    AS_OF,
    CHECK_INS,
    COMMANDS,
    LATER,
    TENANT,
    scalar,
    seedctl,
    table_rows,
    write_okr_log,
)

ADMIN_ID = str(user_key("admin1@puzzelcx.local").id)


def applied(database_url: str, log: Path) -> str:
    """Apply ``log`` in process (the CLI's apply is tested elsewhere); return the run id."""
    result = apply_log(log, database_url=database_url, create_schema=True)
    assert result.run_id is not None
    return result.run_id


def row_counts(database_url: str) -> dict[str, int]:
    """Rows per okr-demo table."""
    with psycopg.connect(database_url) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in okr_tables()
        }


def test_revert_empties_the_tables_and_prints_a_summary(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """After an apply, ``revert --log`` exits 0, deletes every seeded row and prints a summary."""
    run_id = applied(database_url, write_okr_log(tmp_path / "L"))
    result = seedctl("revert", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == target_line(database_url)
    lines = result.stdout.splitlines()
    assert lines[0] == f"revert {TENANT} on {describe(database_url)}"
    rows = table_rows(result.stdout)
    assert rows["table"] == ["deleted", "restored"]
    assert rows["users"] == ["200", "0"]
    assert rows["check_ins"] == [str(CHECK_INS), "0"]
    assert re.fullmatch(r"reverted 1 apply run\(s\) in \d+\.\d\ds", lines[-1])
    assert set(row_counts(database_url).values()) == {0}
    assert scalar(database_url, "SELECT count(*) FROM seedctl.applied") == 0
    assert (
        scalar(database_url, f"SELECT status FROM seedctl.runs WHERE run_id = '{run_id}'")
        == "reverted"
    )


def test_revert_json_and_a_second_revert(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``--json`` prints one object with per-table counts and the runs; again: nothing to revert."""
    run_id = applied(database_url, write_okr_log(tmp_path / "L"))
    result = seedctl("revert", "--log", "L", "--json", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    out = json.loads(result.stdout)
    assert set(out) == {
        "cascaded", "database", "deleted", "dependents", "drift_ignored", "dry_run", "elapsed_s",
        "restored", "reverted_runs", "run_id", "tenant", "warnings",
    }  # fmt: skip
    assert (out["tenant"], out["database"]) == (TENANT, describe(database_url))
    assert out["reverted_runs"] == [run_id]
    assert out["run_id"] not in (None, run_id)
    assert out["deleted"]["users"] == 200
    assert sum(out["deleted"].values()) == COMMANDS
    assert (out["restored"], out["drift_ignored"]) == ({}, [])
    assert (out["cascaded"], out["dependents"], out["dry_run"]) == ({}, [], False)

    again = seedctl("revert", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == (
        "nothing to revert: the ledger holds no applied runs for this tenant"
    )


def test_drift_exits_9_listing_the_rows_and_force_reverts(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A changed and a deleted seeded row stop revert with exit 9 listing both; --force reverts."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE users SET name = 'Zed' WHERE id = %s", (ADMIN_ID,))
        gone = conn.execute(
            "DELETE FROM check_ins WHERE id = (SELECT min(id::text)::uuid FROM check_ins) "
            "RETURNING id"
        ).fetchone()
    assert gone is not None
    before = row_counts(database_url)

    refused = seedctl("revert", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (9, "")
    assert refused.stderr.startswith(
        target_line(database_url)
        + "error: 2 seeded rows were changed or deleted since the seed wrote them; "
        "nothing was reverted. Rows:\n"
    )
    assert f"  users {ADMIN_ID}: changed\n" in refused.stderr
    assert f"  check_ins {gone[0]}: deleted\n" in refused.stderr
    assert refused.stderr.endswith(
        "Pass --force to revert anyway (changed rows are deleted or restored too).\n"
    )
    assert row_counts(database_url) == before

    forced = seedctl("revert", "--log", "L", "--force", env=seedctl_env, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.splitlines()[-1].endswith("; ignored drift in 2 rows (--force)")
    assert set(row_counts(database_url).values()) == {0}


def test_revert_of_the_latest_run_restores_before_images(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``--runs 1`` undoes only the later as_of's check-in updates, restoring their old dates."""
    applied(database_url, write_okr_log(tmp_path / "first.jsonl"))
    query = "SELECT string_agg(check_in_date::text, ',' ORDER BY id) FROM check_ins"
    first_dates = scalar(database_url, query)
    later = applied(database_url, write_okr_log(tmp_path / "L", AS_OF, LATER))
    assert scalar(database_url, query) != first_dates

    result = seedctl("revert", "--log", "L", "--runs", "1", "--json", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["reverted_runs"] == [later]
    assert (out["restored"], out["deleted"]) == ({"check_ins": CHECK_INS}, {})
    assert scalar(database_url, query) == first_dates
    assert scalar(database_url, "SELECT count(*) FROM users") == 200


def test_revert_without_a_ledger_says_so(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """On a database seedctl never wrote to, revert exits 2 saying there is no ledger."""
    write_okr_log(tmp_path / "L")
    result = seedctl("revert", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == target_line(database_url) + (
        f"error: {describe(database_url)} has no seedctl ledger: nothing to revert\n"
    )


def test_revert_of_an_unknown_tenant_exits_2(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``--tenant`` naming a tenant the ledger never applied exits 2 naming it; nothing changes."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    result = seedctl("revert", "--tenant", "nobody", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        target_line(database_url) + "error: the ledger has no apply run for tenant 'nobody'\n"
    )
    assert scalar(database_url, "SELECT count(*) FROM users") == 200


def test_revert_on_production_needs_allow_production(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """On a production database revert exits 7 and writes nothing; --allow-production reverts."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    set_environment("production", database_url=database_url)
    refused = seedctl("revert", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (7, "")
    assert refused.stderr == target_line(database_url) + (
        "error: this database is marked production; refusing to revert. Pass --allow-production "
        "to revert anyway.\n"
    )
    assert scalar(database_url, "SELECT count(*) FROM users") == 200
    allowed = seedctl("revert", "--log", "L", "--allow-production", env=seedctl_env, cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert scalar(database_url, "SELECT count(*) FROM users") == 0


def test_revert_refuses_a_tenant_that_contradicts_the_log(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``--log`` of one tenant with ``--tenant`` naming another exits 2 instead of reverting."""
    applied(database_url, write_okr_log(tmp_path / "L"))
    result = seedctl("revert", "--log", "L", "--tenant", "other", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert "--tenant" in result.stderr
    assert scalar(database_url, "SELECT count(*) FROM users") == 200
