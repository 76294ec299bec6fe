"""``seedctl apply``, run as a subprocess against real PostgreSQL: summary, JSON, exit codes.

The helpers here (``seedctl``, ``write_okr_log``, ``scalar``, ``table_rows``) are shared by
test_cli_revert.py and test_cli_inspect.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg
from seedctl.engine.apply import apply_log
from seedctl.engine.db import describe
from seedctl.engine.generation import today_in_london
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import create_target_schema
from seedctl.ledger import verify_log

from tests.support.cli import seedctl, target_line
from tests.support.okr_log import okr_log, okr_tables

AS_OF = dt.date(2026, 1, 15)
LATER = dt.date(2026, 2, 15)
COMMANDS = 2820
CHECK_INS = 654
TENANT = "puzzel-cx-demo"
ORG_ID = "9db37585-85ed-5f07-882c-4b69f52fd4d1"
UNREACHABLE = "postgresql://postgres:secret@127.0.0.1:1/nodb"


@functools.cache
def _okr_log_bytes(as_ofs: tuple[dt.date, ...]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.jsonl"
        for as_of in as_ofs:
            okr_log(path, as_of=as_of)
        return path.read_bytes()


def write_okr_log(path: Path, *as_ofs: dt.date) -> Path:
    """The okr-demo log ``seedctl generate --as-of A [--as-of B ...]`` writes, made once."""
    path.write_bytes(_okr_log_bytes(as_ofs or (AS_OF,)))
    return path


def scalar(url: str, query: str) -> object:
    """The first column of the first row of ``query``."""
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def ledger_exists(url: str) -> bool:
    """Whether ``seedctl.runs`` exists in the database."""
    return scalar(url, "SELECT to_regclass('seedctl.runs') IS NOT NULL") is True


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The rows of rich tables in ``stdout``, keyed by their first cell."""
    rows = {}
    for line in stdout.splitlines():
        if line[:1] in {"│", "┃"}:
            cells = [c.strip() for c in line.strip("│┃").replace("┃", "│").split("│")]
            rows[cells[0]] = cells[1:]
    return rows


def test_apply_prints_the_summary_table_and_the_run_line(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``generate`` then ``apply --create-schema`` prints a row per entity and ``run <id>: ...``."""
    generated = seedctl(
        "generate", "--log", "L", "--as-of", "2026-01-15", env=seedctl_env, cwd=tmp_path
    )
    assert generated.returncode == 0, generated.stderr
    result = seedctl("apply", "--log", "L", "--create-schema", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == target_line(database_url)
    lines = result.stdout.splitlines()
    assert lines[0] == f"apply L -> {describe(database_url)}"
    rows = table_rows(result.stdout)
    assert rows["entity"] == [
        "commands", "before", "inserted", "updated", "unchanged", "deleted", "skipped", "rows",
    ]  # fmt: skip
    assert rows["user"] == ["200", "0", "200", "0", "0", "0", "0", "200"]
    assert rows["check_in"] == ["654", "0", "654", "0", "0", "0", "0", "654"]
    assert list(rows)[1:] == list(get_scenario("okr-demo").entity_tables)
    digest = verify_log(tmp_path / "L").digest
    assert re.fullmatch(
        rf"run [0-9a-f-]{{36}}: {COMMANDS} rows written in \d+\.\d\ds; log digest {digest}",
        lines[-1],
    )
    assert scalar(database_url, "SELECT count(*) FROM users") == 200


def test_second_apply_has_nothing_to_apply(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Applying the same log again exits 0, says ``nothing to apply`` and starts no run."""
    apply_log(write_okr_log(tmp_path / "L"), database_url=database_url, create_schema=True)
    again = seedctl("apply", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1].startswith("nothing to apply: ")
    assert "no table was written" in again.stdout
    assert scalar(database_url, "SELECT count(*) FROM seedctl.runs") == 1


def test_an_older_log_whose_commands_are_all_applied_has_nothing_to_apply(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A log whose commands are all in the ledger (another file was applied) writes nothing."""
    later = write_okr_log(tmp_path / "later.jsonl", AS_OF, LATER)
    apply_log(later, database_url=database_url, create_schema=True)
    write_okr_log(tmp_path / "L")
    result = seedctl("apply", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        rf"nothing to apply: all {COMMANDS} commands are already in the ledger; "
        r"no table was written \(\d+\.\d\ds\)",
        result.stdout.splitlines()[-1],
    )
    assert scalar(database_url, "SELECT count(*) FROM seedctl.runs") == 1


def test_apply_json_is_one_object(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """``--json`` prints one object with entities, written, pending and run_id; rerun 0/null."""
    write_okr_log(tmp_path / "L")
    result = seedctl(
        "apply", "--log", "L", "--create-schema", "--json", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    out = json.loads(result.stdout)
    assert (out["written"], out["pending"]) == (COMMANDS, COMMANDS)
    assert uuid.UUID(out["run_id"])
    assert (out["tenant"], out["scenario"], out["log_path"]) == (TENANT, "okr-demo", "L")
    assert out["entities"]["user"] == {
        "commands": 200, "already": 0, "inserted": 200, "updated": 0, "unchanged": 0,
        "skipped": 0, "expected_rows": 200, "found_rows": 200, "drift_overwritten": 0,
        "drift_skipped": 0, "deleted": 0, "absent": 0, "kept": 0, "dropped": 0,
    }  # fmt: skip
    assert sum(e["commands"] for e in out["entities"].values()) == COMMANDS

    again = json.loads(
        seedctl("apply", "--log", "L", "--json", env=seedctl_env, cwd=tmp_path).stdout
    )
    assert (again["written"], again["pending"], again["run_id"]) == (0, 0, None)
    assert again["unchanged_since_run"] == out["run_id"]


def test_apply_without_log_generates_the_default_log(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Bare ``apply`` generates into $SEEDCTL_HOME/logs; without tables exit 10, else it applies."""
    default_log = Path(seedctl_env["SEEDCTL_HOME"]) / "logs" / "okr-demo.log"
    missing = seedctl("apply", env=seedctl_env, cwd=tmp_path)
    assert missing.returncode == 10
    today = today_in_london().isoformat()
    assert missing.stdout == (
        f"generated okr-demo into {default_log}: as_of={today}, scale=1: generation 1, "
        f"{COMMANDS} new commands, 0 rows removed, 0 already there\n"
    )
    assert missing.stderr.startswith(
        target_line(database_url)
        + "error: the database does not have the scenario's target schema "
        "(table public.organizations is missing; "
    )
    assert missing.stderr.endswith("Run `seedctl schema create`, or pass --create-schema.\n")
    assert "Traceback" not in missing.stderr
    assert verify_log(default_log).commands == COMMANDS
    assert not ledger_exists(database_url)

    applied = seedctl("apply", "--create-schema", env=seedctl_env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.startswith(
        f"generated okr-demo into {default_log}: as_of={today} (kept from the log), "
        f"scale=1 (kept from the log): no change ({COMMANDS} commands already there)\n"
    )
    assert applied.stdout.splitlines()[-1].startswith("run ")
    assert scalar(database_url, "SELECT count(*) FROM users") == 200


def test_unreachable_database_exits_4_with_one_line(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """An unreachable server exits 4: one line, host and database, no password or traceback."""
    write_okr_log(tmp_path / "L")
    result = seedctl(
        "apply", "--log", "L", "--database-url", UNREACHABLE, env=seedctl_env, cwd=tmp_path
    )
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr.startswith(
        "error: cannot connect to database nodb on 127.0.0.1:1 as postgres: "
    )
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr
    assert "Traceback" not in result.stderr


def test_torn_log_exits_3_with_path_and_line(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A log whose last line is torn exits 3 naming ``path:line`` and writes nothing."""
    log = write_okr_log(tmp_path / "L")
    log.write_bytes(log.read_bytes()[:-40])
    result = seedctl("apply", "--log", "L", "--create-schema", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == target_line(database_url) + (
        f"error: L:{COMMANDS + 2}: last line is torn: the file ends mid-line "
        "(a crash while writing?); `seedctl log repair` cuts it off\n"
    )
    assert not ledger_exists(database_url)
    assert scalar(database_url, "SELECT to_regclass('public.users') IS NULL") is True


def test_collision_exits_5_and_writes_nothing(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """A row holding the seed's natural key under another id exits 5 naming table, key and id."""
    write_okr_log(tmp_path / "L")
    create_target_schema(database_url, get_scenario("okr-demo"))
    theirs = "11111111-1111-1111-1111-111111111111"
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO organizations (id, slug, name, timezone) VALUES (%s, %s, 'Theirs', 'UTC')",
            (theirs, TENANT),
        )
    result = seedctl("apply", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (5, "")
    assert result.stderr == target_line(database_url) + (
        "error: rows with the seed's natural key exist that seedctl did not write; "
        "nothing was written:\n"
        f"  organizations slug={TENANT}: existing id {theirs}, seed id {ORG_ID}\n"
    )
    assert scalar(database_url, "SELECT string_agg(id::text, ',') FROM organizations") == theirs
    for table in okr_tables():
        if table != "organizations":
            assert scalar(database_url, f"SELECT count(*) FROM {table}") == 0, table
    assert scalar(database_url, "SELECT count(*) FROM seedctl.runs") == 0
    assert scalar(database_url, "SELECT count(*) FROM seedctl.applied") == 0


def test_no_wait_while_the_tenant_lock_is_held_exits_6(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``--no-wait`` while another session holds the tenant's advisory lock exits 6 naming it."""
    write_okr_log(tmp_path / "L")
    with psycopg.connect(database_url, autocommit=True, application_name="holder") as holder:
        holder.execute("SELECT pg_advisory_lock(24301, hashtext(%s))", (TENANT,))
        result = seedctl(
            "apply", "--log", "L", "--create-schema", "--no-wait", env=seedctl_env, cwd=tmp_path
        )
        pid = holder.info.backend_pid
    assert (result.returncode, result.stdout) == (6, "")
    assert result.stderr.startswith(
        target_line(database_url)
        + f"error: tenant '{TENANT}' is locked by another session (session pid {pid}, "
        "application 'holder', connected "
    )
    assert result.stderr.endswith("wait for it, or run without --no-wait to queue behind it\n")
    assert scalar(database_url, "SELECT to_regclass('public.users') IS NULL") is True


def test_production_database_needs_allow_production(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """On a database marked production apply exits 7 naming --allow-production, which allows it."""
    write_okr_log(tmp_path / "L")
    marked = seedctl("env", "set", "production", env=seedctl_env, cwd=tmp_path)
    assert marked.returncode == 0, marked.stderr
    assert marked.stdout == f"{describe(database_url)} is now marked production\n"

    refused = seedctl("apply", "--log", "L", "--create-schema", env=seedctl_env, cwd=tmp_path)
    assert (refused.returncode, refused.stdout) == (7, "")
    assert refused.stderr == target_line(database_url) + (
        "error: this database is marked production; refusing to apply. Pass --allow-production "
        "to apply anyway.\n"
    )
    assert scalar(database_url, "SELECT count(*) FROM seedctl.runs") == 0

    allowed = seedctl(
        "apply",
        "--log",
        "L",
        "--create-schema",
        "--allow-production",
        env=seedctl_env,
        cwd=tmp_path,
    )
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.splitlines()[-1].startswith("run ")
    assert scalar(database_url, "SELECT count(*) FROM users") == 200


def test_garbage_as_of_exits_2(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """``--as-of garbage`` exits 2 naming the value and the format; no log is made."""
    result = seedctl("apply", "--as-of", "garbage", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "error: --as-of must be a date as YYYY-MM-DD, not 'garbage'\n"
    assert not (Path(seedctl_env["SEEDCTL_HOME"]) / "logs").exists()


def test_generation_options_with_log_need_scenario(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """``--as-of`` next to ``--log`` without ``--scenario`` exits 2 rather than being ignored."""
    write_okr_log(tmp_path / "L")
    result = seedctl("apply", "--log", "L", "--as-of", "2026-01-15", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --seed, --as-of and --scale need --scenario (they generate a log)\n"
    )


def test_summary_title_prints_a_log_path_with_brackets_verbatim(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """The summary's title shows the log path as given, even when it looks like rich markup."""
    write_okr_log(tmp_path / "seed[red].jsonl")
    result = seedctl(
        "apply", "--log", "seed[red].jsonl", "--create-schema", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("apply seed[red].jsonl -> ")


def test_nothing_to_apply_lists_entities_in_dependency_order(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """The rerun's summary lists entities parents first, as the first apply's does."""
    log = write_okr_log(tmp_path / "L")
    apply_log(log, database_url=database_url, create_schema=True)
    again = seedctl("apply", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert list(table_rows(again.stdout))[1:] == list(get_scenario("okr-demo").entity_tables)


_RERUN_REPORTING_IMPORTS = """
import sys
from seedctl.cli.app import main
sys.argv = ["seedctl", *sys.argv[1:]]
try:
    main()
finally:
    said = "imported sqlalchemy" if "sqlalchemy" in sys.modules else "no sqlalchemy"
    print(said, file=sys.stderr)
"""


def _rerun(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``seedctl apply --log L --json args`` in a Python that says whether it imported
    SQLAlchemy, on the last line of stderr."""
    return subprocess.run(
        [sys.executable, "-c", _RERUN_REPORTING_IMPORTS, "apply", "--log", "L", "--json", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_a_rerun_of_the_same_file_answers_without_the_database_stack(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """The no-op rerun needs psycopg alone, and reports exactly what the full path reports."""
    write_okr_log(tmp_path / "L")
    first = seedctl(
        "apply", "--log", "L", "--create-schema", "--json", env=seedctl_env, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    quick = _rerun(seedctl_env, tmp_path)
    assert quick.returncode == 0, quick.stderr
    assert quick.stderr.splitlines()[-1] == "no sqlalchemy"
    assert quick.stderr.startswith(target_line(database_url))
    # A run recorded before seedctl kept the entity order takes the full path: same answer.
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE seedctl.runs SET counts = counts - 'entity_order'")
    full = _rerun(seedctl_env, tmp_path)
    assert full.returncode == 0, full.stderr
    assert full.stderr.splitlines()[-1] == "imported sqlalchemy"
    assert full.stderr.startswith(target_line(database_url))
    fast_out, full_out = json.loads(quick.stdout), json.loads(full.stdout)
    assert fast_out.pop("elapsed_s") >= 0 and full_out.pop("elapsed_s") >= 0
    assert fast_out == full_out
    assert fast_out["unchanged_since_run"] == json.loads(first.stdout)["run_id"]
    assert list(fast_out["entities"]) == list(json.loads(first.stdout)["entities"])


def test_a_rerun_leaves_every_doubt_to_the_full_path(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Production mark, an edited ledger, a changed file: the full run answers each."""
    write_okr_log(tmp_path / "L")
    assert (
        seedctl("apply", "--log", "L", "--create-schema", env=seedctl_env, cwd=tmp_path).returncode
        == 0
    )
    assert seedctl("env", "set", "production", env=seedctl_env, cwd=tmp_path).returncode == 0
    refused = _rerun(seedctl_env, tmp_path)
    assert refused.returncode == 7, refused.stderr
    assert "refusing to apply" in refused.stderr
    allowed = _rerun(seedctl_env, tmp_path, "--allow-production")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stderr.splitlines()[-1] == "no sqlalchemy"

    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM seedctl.applied WHERE entity = 'organization'")
    edited = _rerun(seedctl_env, tmp_path, "--allow-production")
    assert edited.returncode == 0, edited.stderr
    assert edited.stderr.splitlines()[-1] == "imported sqlalchemy"
    out = json.loads(edited.stdout)
    assert out["unchanged_since_run"] is None
    assert out["entities"]["organization"]["unchanged"] == 1


def test_a_rerun_while_another_run_holds_the_tenant_lock_is_the_full_runs_to_answer(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """Another run holds the lock (its run row may not exist yet): --no-wait exits 6 as the
    full run would, rather than reporting the last apply's state."""
    write_okr_log(tmp_path / "L")
    first = seedctl("apply", "--log", "L", "--create-schema", env=seedctl_env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (0x5EED, TENANT))
        busy = _rerun(seedctl_env, tmp_path, "--no-wait")
    assert busy.returncode == 6, busy.stderr
    assert "is locked by another session" in busy.stderr
    free = _rerun(seedctl_env, tmp_path, "--no-wait")
    assert free.returncode == 0, free.stderr
    assert free.stderr.splitlines()[-1] == "no sqlalchemy"
