"""Settings: seedctl.toml or [tool.seedctl] found upward, SEEDCTL_* variables, flags first,
``seedctl config`` naming each value's source, DATABASE_URL mentioned, the home found upward."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.support.cli import seedctl, target_line
from tests.test_cli_apply import write_okr_log


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any SEEDCTL_* or DATABASE_URL variable, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEEDCTL_", "PG")) and k != "DATABASE_URL"
    }
    env.update(extra)
    return env


def settings(cwd: Path, *args: str, env: dict[str, str]) -> dict[str, dict[str, object]]:
    """``seedctl [args] config --json``'s settings."""
    result = seedctl(*args, "config", "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["settings"]  # type: ignore[no-any-return]


def test_config_file_is_found_upward_and_flags_beat_env_beat_file(tmp_path: Path) -> None:
    """seedctl.toml two folders up sets values; SEEDCTL_* beats it; a flag beats both."""
    file = tmp_path / "seedctl.toml"
    file.write_text(
        'database_url = "postgresql://ana:s3cret@db.example/app"\n'
        'batch_size = 500\nas_of = 2026-01-15\nlog_level = "error"\n'
    )
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    env = clean_env(SEEDCTL_BATCH_SIZE="200")
    found = settings(sub, env=env)
    assert found["database_url"] == {
        "value": "postgresql://ana:***@db.example/app",
        "source": f"file {file}",
    }
    assert found["batch_size"] == {"value": "200", "source": "env SEEDCTL_BATCH_SIZE"}
    assert found["as_of"] == {"value": "2026-01-15", "source": f"file {file}"}
    assert found["writers"] == {"value": 2, "source": "default"}
    assert found["home"] == {
        "value": str(tmp_path / ".seedctl"),
        "source": f"default (beside {file})",
    }
    flagged = settings(sub, "--log-level", "debug", env=env)
    assert flagged["log_level"] == {"value": "debug", "source": "flag"}
    result = seedctl("config", "--database-url", "postgresql://bo:pw@h/x", env=env, cwd=sub)
    assert result.returncode == 0, result.stderr
    assert "postgresql://bo:***@h/x" in result.stdout and "pw@" not in result.stdout
    assert "s3cret" not in result.stdout


def test_pyproject_tool_table_feeds_the_commands(tmp_path: Path) -> None:
    """[tool.seedctl] in pyproject.toml gives generate its --log and --as-of."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.seedctl]\nlog = "seeds/okr.jsonl"\nas_of = "2026-01-15"\n'
    )
    result = seedctl("generate", "--json", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["path"] == str(tmp_path / "seeds" / "okr.jsonl")
    assert out["params"]["as_of"] == "2026-01-15"


def test_a_bad_settings_file_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    """An unknown key or a wrong type in seedctl.toml is exit 2 naming the file and the key."""
    file = tmp_path / "seedctl.toml"
    file.write_text("batch_sise = 5\n")
    unknown = seedctl("config", env=clean_env(), cwd=tmp_path)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr.startswith(f"error: {file}: unknown setting 'batch_sise'; known: ")
    file.write_text('batch_size = "many"\n')
    typed = seedctl("config", env=clean_env(), cwd=tmp_path)
    assert (typed.returncode, typed.stderr) == (
        2,
        f"error: {file}: batch_size must be a whole number, not 'many'\n",
    )


def test_database_url_is_mentioned_not_used(tmp_path: Path) -> None:
    """With DATABASE_URL set and no seedctl URL, config says DATABASE_URL is not read."""
    env = clean_env(DATABASE_URL="postgresql://app:pw@prod/app")
    result = seedctl("config", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "note: DATABASE_URL is set (postgresql://app:***@prod/app) but seedctl does not read "
        'it; pass --database-url "$DATABASE_URL" or set SEEDCTL_DATABASE_URL to use it.\n'
    ) in result.stdout
    out = json.loads(seedctl("config", "--json", env=env, cwd=tmp_path).stdout)
    assert out["database_url_ignored"] == "postgresql://app:***@prod/app"
    assert out["settings"]["database_url"]["source"] == "default"


def test_embedded_home_is_found_upward(tmp_path: Path) -> None:
    """From a subfolder, the nearest .seedctl above is the home: no second cluster."""
    (tmp_path / ".seedctl").mkdir()
    sub = tmp_path / "src" / "deep"
    sub.mkdir(parents=True)
    found = settings(sub, env=clean_env())
    assert found["home"] == {
        "value": str(tmp_path / ".seedctl"),
        "source": "default (nearest .seedctl upward)",
    }
    assert not (sub / ".seedctl").exists()


def test_a_missing_log_fails_before_any_server_starts(tmp_path: Path) -> None:
    """``revert --log missing.jsonl`` exits 3 and creates no .seedctl anywhere."""
    result = seedctl("revert", "--log", "missing.jsonl", env=clean_env(), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (3, "error: missing.jsonl: no such log file\n")
    assert not (tmp_path / ".seedctl").exists()


def test_target_line_uses_libpq_variables(
    seedctl_env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    """``postgresql://`` plus PGHOST/PGPORT/PGDATABASE/PGUSER: the target line names them all."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        host, port, dbname, user = conn.info.host, conn.info.port, conn.info.dbname, conn.info.user
        password = conn.info.password
    env = dict(seedctl_env)
    env.update(
        SEEDCTL_DATABASE_URL="postgresql://", PGHOST=host, PGPORT=str(port), PGDATABASE=dbname
    )
    env["PGUSER"] = user
    if password:
        env["PGPASSWORD"] = password
    write_okr_log(tmp_path / "L")
    result = seedctl("status", "--log", "L", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == target_line(database_url)
    assert result.stdout.startswith(f"database {dbname} on {host}:{port} as {user} (environment: ")


def test_generation_settings_from_the_environment_do_not_block_apply_of_a_log(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """SEEDCTL_AS_OF set (as in CI) and ``apply --log L``: applied; the flag alone is exit 2."""
    write_okr_log(tmp_path / "L")
    env = {**seedctl_env, "SEEDCTL_AS_OF": "2026-01-15"}
    result = seedctl("apply", "--log", "L", "--create-schema", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    flag = seedctl("apply", "--log", "L", "--as-of", "2026-01-15", env=env, cwd=tmp_path)
    assert (flag.returncode, flag.stderr) == (
        2,
        "error: --seed, --as-of and --scale need --scenario (they generate a log)\n",
    )


def test_a_vanished_working_directory_is_exit_2_not_a_traceback(tmp_path: Path) -> None:
    """Run from a directory that was deleted, seedctl exits 2 saying so."""
    result = subprocess.run(
        ["bash", "-c", "mkdir gone && cd gone && rmdir ../gone && seedctl status"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stderr) == (
        2,
        "error: the current directory no longer exists; cd to one that does\n",
    )
