"""Bad input through the CLI: one ``error:`` paragraph, the documented exit code, nothing
written, no traceback, and quickly: malformed URLs, log paths that are no regular file,
lines past the length bound, logs that cannot be written, a damaged ledger version.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.ledger.logfile import MAX_LINE_BYTES

from tests.support.cli import seedctl
from tests.support.okr_log import okr_log


def _one_error(stderr: str) -> str:
    """The one error line, after the target line a database command prints first."""
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if not line.startswith("target: ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert stderr.endswith("\n"), stderr
    return lines[0][len("error: ") :]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql://u:secret@h:abc/db",
            "the database URL's port 'abc' is not a number from 1 to 65535: "
            "postgresql://u:***@h:abc/db",
        ),
        (
            "postgresql://u@[::1/db",
            "the database URL's host has an unclosed '[' (write an IPv6 address as [::1]): "
            "postgresql://u@[::1/db",
        ),
        (
            "postgresql://u@h:70000/db",
            "the database URL's port '70000' is not a number from 1 to 65535: "
            "postgresql://u@h:70000/db",
        ),
        (
            "postgresql://u@h/db?foo=bar",
            "the database URL's query names 'foo', not a libpq connection parameter "
            "(such as host, port, sslmode, connect_timeout, options)",
        ),
        (
            "postgresql+asyncpg://u@h/db",
            "seedctl needs a postgresql:// URL, not postgresql+asyncpg://",
        ),
    ],
)
def test_a_malformed_url_is_exit_2_naming_the_part(
    seedctl_env: dict[str, str], tmp_path: Path, url: str, message: str
) -> None:
    """Port, host brackets, query parameter and driver are checked before connecting: exit 2."""
    okr_log(tmp_path / "L")
    for command in ("apply", "plan", "revert"):
        result = seedctl(
            command, "--log", "L", "--database-url", url, env=seedctl_env, cwd=tmp_path
        )
        assert (result.returncode, result.stdout) == (2, ""), (command, result.stderr)
        assert _one_error(result.stderr) == message, command
        assert "secret" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_a_log_path_that_is_no_regular_file_is_exit_3_at_once(
    seedctl_env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    """A FIFO, /dev/zero and a directory are refused before being read, by every command."""
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
        what = "is a named pipe (FIFO), not a log file"
    elif kind == "device":
        path = Path("/dev/zero")
        what = "is a character device, not a log file"
    else:
        path = tmp_path / "folder"
        path.mkdir()
        what = "is a directory, not a log file"
    for args in (
        ("log", "verify", str(path)),
        ("apply", "--log", str(path)),
        ("plan", "--log", str(path), "--no-report"),
        ("generate", "--log", str(path)),
    ):
        started = time.monotonic()
        result = seedctl(*args, env=seedctl_env, cwd=tmp_path, timeout=20)
        assert time.monotonic() - started < 10
        assert (result.returncode, result.stdout) == (3, ""), (args, result.stderr)
        assert _one_error(result.stderr) == f"{path}: {what}", args


def test_a_line_past_the_bound_is_exit_3_with_bounded_memory(tmp_path: Path) -> None:
    """A valid header then 2 GiB of zeros (a sparse file): exit 3 naming line 2, in bounded
    memory (the reader never holds more than one bound's worth of the line)."""
    log = okr_log(tmp_path / "L")
    header = log.read_bytes().split(b"\n", 1)[0] + b"\n"
    zeros = tmp_path / "Z"
    with zeros.open("wb") as f:
        f.write(header)
        f.truncate(2 << 30)
    report = tmp_path / "maxrss"
    script = (
        "import resource, sys\n"
        "from seedctl.cli.app import main\n"
        "try:\n"
        f"    main(['log', 'verify', {str(zeros)!r}])\n"
        "finally:\n"
        f"    open({str(report)!r}, 'w').write(str(resource.getrusage(resource.RUSAGE_SELF)"
        ".ru_maxrss))\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    elapsed = time.monotonic() - started
    assert (result.returncode, result.stdout) == (3, "")
    assert _one_error(result.stderr) == (
        f"{zeros}:2: line is longer than {MAX_LINE_BYTES >> 20} MiB, the bound for one "
        "command: not a seedctl log line"
    )
    # KiB: the interpreter and seedctl's imports plus a few bounds, not the 2 GiB line.
    assert int(report.read_text()) < 200 * 1024
    assert elapsed < 20


def test_generate_onto_a_full_disk_is_exit_3_and_leaves_no_partial(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """ENOSPC while writing a new log (its .partial is /dev/full): exit 3, nothing left behind."""
    (tmp_path / "L.partial").symlink_to("/dev/full")
    result = seedctl("generate", "--log", "L", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert _one_error(result.stderr) == (
        "L: cannot write the log: No space left on device; nothing was written"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_generate_under_a_file_is_exit_3_naming_the_path(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """A log path whose parent is a file: exit 3 naming it; no log, no .partial."""
    (tmp_path / "file").write_text("not a folder")
    result = seedctl("generate", "--log", "file/L", env=seedctl_env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert _one_error(result.stderr) == ("file/L: cannot create the log's folder file: File exists")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_damaged_schema_version_is_exit_11(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """seedctl.meta's schema_version is not a number: apply, status and revert exit 11."""
    log = okr_log(tmp_path / "L")
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE seedctl.meta SET value = 'three' WHERE key = 'schema_version'")
    for args in (("apply", "--log", "L"), ("status",), ("revert", "--log", "L")):
        result = seedctl(*args, env=seedctl_env, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (11, ""), (args, result.stderr)
        assert _one_error(result.stderr) == (
            "seedctl.meta holds schema_version 'three', not a version number: the ledger is "
            "damaged. Restore it, or set it to the version its tables have."
        ), args


def test_revert_of_a_tenant_without_runs_is_exit_2_by_log_or_tenant(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """A tenant the ledger never applied: exit 2 whether --log or --tenant names it."""
    other = okr_log(tmp_path / "other")
    apply_log(other, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE seedctl.runs SET tenant = 'someone-else'")
        conn.execute("UPDATE seedctl.applied SET tenant = 'someone-else'")
    for args in (("--log", "other"), ("--tenant", "puzzel-cx-demo")):
        result = seedctl("revert", *args, env=seedctl_env, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, ""), (args, result.stderr)
        assert _one_error(result.stderr) == (
            "the ledger has no apply run for tenant 'puzzel-cx-demo'"
        ), args
