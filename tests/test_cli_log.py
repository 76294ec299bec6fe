"""``seedctl`` itself and ``seedctl log ...``, run as a subprocess: exit codes and message text."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import msgspec
import pytest
from seedctl.ledger import append_commands, verify_log

from tests.support.cli import seedctl as run_seedctl
from tests.test_logfile import HEADER, canonical, lines, rehash, sample_commands, write_lines

LOG = "seed.log"


def seedctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed ``seedctl`` console script in ``cwd``; never raises on exit codes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEEDCTL_")}
    env["SEEDCTL_HOME"] = str(cwd / ".seedctl")  # never start a server in the checkout
    return run_seedctl(*args, env=env, cwd=cwd, timeout=60)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A good log ``seed.log`` in the working directory: header and four commands."""
    path = tmp_path / LOG
    append_commands(path, HEADER, sample_commands())
    return path


def test_help_names_the_command_groups(tmp_path: Path) -> None:
    """``seedctl --help`` exits 0 and describes the tool and its log and db groups."""
    result = seedctl("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "Usage: seedctl [OPTIONS] COMMAND [ARGS]..." in result.stdout
    assert "An event-sourced seed ledger for PostgreSQL" in result.stdout
    for group in ("log ", "db ", "--version", "--debug"):
        assert group in result.stdout
    assert result.stderr == ""


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    """``seedctl --version`` prints ``seedctl <version>`` of the installed package."""
    result = seedctl("--version", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"seedctl {version('seedctl')}\n")


def test_log_verify_prints_digest_and_counts(log: Path) -> None:
    """``log verify`` on a good log prints a table per entity, the count and the digest."""
    summary = verify_log(log)
    result = seedctl("log", "verify", LOG, cwd=log.parent)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith(f"{LOG}: ok\n")
    for entity in ("organization", "team", "user", "workspace"):
        assert any(entity in row and row.rstrip(" │").endswith("1") for row in out.splitlines())
    assert out.endswith(f"commands: 4\ndigest:   {summary.digest}\n")


def test_log_verify_json_is_one_object(log: Path) -> None:
    """``log verify --json`` prints exactly one JSON object with digest, commands and entities."""
    result = seedctl("log", "verify", "--json", LOG, cwd=log.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == {
        "path": LOG,
        "ok": True,
        "digest": verify_log(log).digest,
        "commands": 4,
        "entities": {"organization": 1, "team": 1, "user": 1, "workspace": 1},
        "scenario": "okr-demo",
        "tenant": "puzzel-cx-demo",
        "params": HEADER.params,
        "generator": HEADER.generator,
        "format": "seedctl-log/2",
        "generations": [
            {
                "generation": 1,
                "params": HEADER.params,
                "generator": HEADER.generator,
                "commands": 4,
                "removed": 0,
                "rows": 4,
                "line": 6,
            }
        ],
    }


def edit_value(path: Path) -> None:
    content = lines(path)
    content[2] = content[2].replace(b'"name":"Founder"', b'"name":"Boss"')
    write_lines(path, content)


def edit_and_rehash(path: Path) -> None:
    content = lines(path)
    record = json.loads(content[2])
    record["values"]["name"] = "Boss"
    content[2] = canonical(rehash(record))
    write_lines(path, content)


def tear(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-40])


def bad_hash(path: Path) -> None:
    content = lines(path)
    content[1] = canonical({**json.loads(content[1]), "hash": "f" * 64})
    write_lines(path, content)


def wrong_format(path: Path) -> None:
    content = lines(path)
    content[0] = canonical({**json.loads(content[0]), "format": "seedctl-log/9"})
    write_lines(path, content)


def plain_text(path: Path) -> None:
    path.write_text("# not a log\nhello\n")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def remove_line(path: Path) -> None:
    content = lines(path)
    del content[3]
    write_lines(path, content)


def swap_lines(path: Path) -> None:
    content = lines(path)
    content[1], content[2] = content[2], content[1]
    write_lines(path, content)


FAULTS: list[tuple[Callable[[Path], None], int, str]] = [
    (edit_value, 3, "hash does not match the command's content (edited?)"),
    (edit_and_rehash, 4, "chain broken: prev does not match line 3 (edited or removed?)"),
    (
        tear,
        6,
        "last line is torn: the file ends mid-line (a crash while writing?); "
        "`seedctl log repair` cuts it off",
    ),
    (bad_hash, 2, "hash does not match the command's content (edited?)"),
    (
        wrong_format,
        1,
        "unsupported log format 'seedctl-log/9'; this seedctl reads 'seedctl-log/1' and "
        "'seedctl-log/2'",
    ),
    (plain_text, 1, "not a seedctl log (line 1 is not JSON)"),
    (empty, 1, "empty file, not a seedctl log"),
    (remove_line, 4, "seq is 4, expected 3 (lines reordered or removed?)"),
    (swap_lines, 2, "seq is 2, expected 1 (lines reordered or removed?)"),
]


@pytest.mark.parametrize(
    ("damage", "line", "message"), FAULTS, ids=[damage.__name__ for damage, _, _ in FAULTS]
)
def test_log_verify_reports_each_fault(
    log: Path, damage: Callable[[Path], None], line: int, message: str
) -> None:
    """Each fault exits 3 with one ``error: path:line: ...`` line on stderr and no traceback."""
    damage(log)
    result = seedctl("log", "verify", LOG, cwd=log.parent)
    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == f"error: {LOG}:{line}: {message}\n"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such log file"),
        (lambda p: p.mkdir(), "is a directory, not a log file"),
    ],
    ids=["missing", "directory"],
)
@pytest.mark.parametrize("command", ["verify", "repair"])
def test_unusable_path_exits_3(
    tmp_path: Path, make: Callable[[Path], None], message: str, command: str
) -> None:
    """A missing file or a directory exits 3 naming the path, for verify and repair alike."""
    make(tmp_path / "x.log")
    result = seedctl("log", command, "x.log", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == f"error: x.log: {message}\n"


def test_debug_shows_the_traceback(log: Path) -> None:
    """With ``--debug`` the same error also shows its traceback."""
    empty(log)
    result = seedctl("--debug", "log", "verify", LOG, cwd=log.parent)
    assert result.returncode == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.endswith(f"error: {LOG}:1: empty file, not a seedctl log\n")


def two_generations(path: Path) -> bytes:
    """Rewrite ``path`` as a log of two generations; return the bytes of the first."""
    path.unlink()
    first, second = sample_commands()[:2], sample_commands()[2:]
    append_commands(path, HEADER, first)
    good = path.read_bytes()
    append_commands(path, HEADER, second)
    return good


def test_log_repair_cuts_a_torn_tail(log: Path) -> None:
    """``log repair`` cuts a torn last line and the lines of the generation it was in, says
    how much, and the log verifies again with the generations before."""
    good = two_generations(log)
    tear(log)
    result = seedctl("log", "repair", LOG, cwd=log.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{LOG}: cut a torn last line of ")
    assert "; cut 2 lines of an unfinished generation (" in result.stdout
    assert result.stdout.endswith(" bytes); the log verifies.\n")
    assert log.read_bytes() == good
    assert verify_log(log).commands == 2


def test_log_repair_json(log: Path) -> None:
    """``log repair --json`` prints the bytes removed and the lines of the unfinished
    generation as one JSON object."""
    good = two_generations(log)
    size = log.stat().st_size
    tear(log)
    result = seedctl("log", "repair", "--json", LOG, cwd=log.parent)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "path": LOG,
        "bytes_removed": size - 40 - len(good),
        "unfinished_lines": 2,
    }


def test_log_repair_of_a_good_log(log: Path) -> None:
    """``log repair`` on a good log changes nothing and says so."""
    before = log.read_bytes()
    result = seedctl("log", "repair", LOG, cwd=log.parent)
    assert (result.returncode, result.stdout) == (0, f"{LOG}: nothing to repair.\n")
    assert log.read_bytes() == before


def test_log_repair_reports_what_it_cannot_repair(log: Path) -> None:
    """``log repair`` on an edited log exits 3 with the fault rather than claiming success."""
    edit_value(log)
    result = seedctl("log", "repair", LOG, cwd=log.parent)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == (
        f"error: {LOG}:3: hash does not match the command's content (edited?)\n"
    )


def test_log_show_lists_every_generation(log: Path) -> None:
    """``log show`` lists each generation's params and counts; ``--json`` is one object."""
    other = msgspec.structs.replace(HEADER, params={**HEADER.params, "as_of": "2026-02-01"})
    append_commands(log, other, sample_commands()[:1], remove_missing=True)
    shown = seedctl("log", "show", LOG, cwd=log.parent)
    assert shown.returncode == 0, shown.stderr
    assert "as_of=2026-02-01" in shown.stdout and "the database reflects" in shown.stdout
    result = seedctl("log", "show", "--json", LOG, cwd=log.parent)
    payload = json.loads(result.stdout)
    assert [
        (g["generation"], g["commands"], g["removed"], g["rows"]) for g in payload["generations"]
    ] == [
        (1, 4, 0, 4),
        (2, 3, 3, 1),
    ]
    assert payload["digest"] == verify_log(log).digest


def test_log_upgrade_rewrites_format_1_keeping_every_hash(log: Path) -> None:
    """``log upgrade`` turns a format-1 log into format 2 with the same command hashes and
    keeps the old file; a second upgrade has nothing to do."""
    from tests.test_generations import write_format_1

    old = log.parent / "old.log"
    write_format_1(log, old)
    hashes = [json.loads(line)["hash"] for line in lines(old)[1:]]
    result = seedctl("log", "upgrade", "old.log", cwd=log.parent)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout
        == "old.log: upgraded to seedctl-log/2; the format-1 file is kept as old.log.v1\n"
    )
    records = [json.loads(line) for line in lines(old)[1:]]
    assert [r["hash"] for r in records if r["op"] != "generation"] == hashes
    assert records[-1]["upgraded_from"] == "seedctl-log/1"
    again = seedctl("log", "upgrade", "--json", "old.log", cwd=log.parent)
    assert json.loads(again.stdout) == {"path": "old.log", "upgraded": False}
