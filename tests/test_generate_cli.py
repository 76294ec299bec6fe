"""``seedctl generate``, run as a subprocess: the log it writes, its summary, its errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from seedctl.ledger import LogReader, verify_log

from tests.support.cli import seedctl

SCALE_1_COMMANDS = 2820
SCALE_1_CHECK_INS = 654


def generate_json(*args: str, env: dict[str, str], cwd: Path) -> dict[str, object]:
    """``seedctl generate ... --json``, asserted to succeed, parsed."""
    result = seedctl("generate", *args, "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, object] = json.loads(result.stdout)
    return parsed


def test_generate_writes_a_log_and_prints_a_summary(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """A first run creates the log and prints what it added, skipped, the total and the digest."""
    result = seedctl(
        "generate", "--scenario", "okr-demo", "--as-of", "2026-01-15", "--log", "seed.jsonl",
        env=seedctl_env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = verify_log(tmp_path / "seed.jsonl")
    assert summary.commands == SCALE_1_COMMANDS
    assert "created " in result.stdout
    assert f"added:   {SCALE_1_COMMANDS}\n" in result.stdout
    assert "skipped: 0\n" in result.stdout
    assert f"total:   {SCALE_1_COMMANDS}\n" in result.stdout
    assert f"digest:  {summary.digest}" in result.stdout


def test_header_records_scenario_params_and_generator(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """The header names scenario, tenant, the run's seed, as_of and scale, and the version."""
    generate_json(
        "--seed", "s1", "--as-of", "2026-01-15", "--scale", "2", "--log", "s.jsonl",
        env=seedctl_env, cwd=tmp_path,
    )  # fmt: skip
    with LogReader(tmp_path / "s.jsonl") as reader:
        header = reader.header
    assert header.scenario == "okr-demo"
    assert header.tenant == "puzzel-cx-demo"
    assert header.params == {"seed": "s1", "as_of": "2026-01-15", "scale": 2}
    assert header.generator == "okr-demo/1"


def test_defaults_are_the_spec_seed_today_in_london_and_scale_1(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """Without options the seed is the spec's, as_of is today in Europe/London and scale is 1."""
    before = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    out = generate_json("--log", "d.jsonl", env=seedctl_env, cwd=tmp_path)
    after = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    params = out["params"]
    assert isinstance(params, dict)
    assert params["seed"] == "puzzel-cx-demo-seed-2025"
    assert params["as_of"] in {before, after}
    assert params["scale"] == 1


def test_second_run_adds_nothing(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """Generating the same parameters again appends nothing and keeps the digest."""
    args = ("--as-of", "2026-01-15", "--log", "seed.jsonl")
    first = generate_json(*args, env=seedctl_env, cwd=tmp_path)
    second = generate_json(*args, env=seedctl_env, cwd=tmp_path)
    assert first["created"] is True and second["created"] is False
    assert second["added"] == 0
    assert second["skipped"] == SCALE_1_COMMANDS
    assert second["total"] == SCALE_1_COMMANDS
    assert second["digest"] == first["digest"]


def test_later_as_of_appends_only_check_ins(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """A later --as-of appends one updated check-in per check-in and nothing else."""
    generate_json("--as-of", "2026-01-15", "--log", "seed.jsonl", env=seedctl_env, cwd=tmp_path)
    later = generate_json(
        "--as-of", "2026-01-22", "--log", "seed.jsonl", env=seedctl_env, cwd=tmp_path
    )
    assert later["added"] == SCALE_1_CHECK_INS
    assert later["total"] == SCALE_1_COMMANDS + SCALE_1_CHECK_INS
    summary = verify_log(tmp_path / "seed.jsonl")
    assert summary.entities["check_in"] == 2 * SCALE_1_CHECK_INS


def test_bad_as_of_is_a_config_error(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """An --as-of that is not YYYY-MM-DD exits 2 naming the value; no log is written."""
    result = seedctl(
        "generate", "--as-of", "15/01/2026", "--log", "x.jsonl", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "--as-of must be a date as YYYY-MM-DD, not '15/01/2026'" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_scale_below_one_is_a_config_error(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """--scale 0 exits 2 with a message saying the scale must be at least 1."""
    result = seedctl("generate", "--scale", "0", "--log", "x.jsonl", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 2
    assert "--scale must be a whole number of at least 1, not 0" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_another_seed_on_an_existing_log_is_refused(
    seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """Appending a different seed to a log exits 3 naming both seeds; the log is unchanged."""
    generate_json("--as-of", "2026-01-15", "--log", "seed.jsonl", env=seedctl_env, cwd=tmp_path)
    before = (tmp_path / "seed.jsonl").read_bytes()
    result = seedctl(
        "generate", "--seed", "other", "--log", "seed.jsonl", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 3
    assert (
        "seed.jsonl:1: this log was generated with seed 'puzzel-cx-demo-seed-2025', not 'other'"
        in result.stderr
    )
    assert (tmp_path / "seed.jsonl").read_bytes() == before


def test_unknown_scenario_is_a_config_error(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """An unknown --scenario exits 2 and lists the known ones."""
    result = seedctl(
        "generate", "--scenario", "nope", "--log", "x.jsonl", env=seedctl_env, cwd=tmp_path
    )
    assert result.returncode == 2
    assert "unknown scenario 'nope'; known: " in result.stderr
    assert "okr-demo" in result.stderr
