"""Scenario options shared by ``generate`` and ``apply``, and the log they lead to."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from seedctl.cli.output import console
from seedctl.ledger import ConfigError, LogError

if TYPE_CHECKING:
    from seedctl.engine.generation import GenerateResult

__all__ = [
    "DEFAULT_SCENARIO",
    "AsOfOption",
    "ScaleOption",
    "ScenarioOption",
    "SeedOption",
    "describe_generation",
    "ensure_log",
    "parse_as_of",
    "resolve_log",
]

DEFAULT_SCENARIO = "okr-demo"

ScenarioOption = Annotated[
    str | None,
    typer.Option("--scenario", help=f"Scenario to use [default: {DEFAULT_SCENARIO}]."),
]
SeedOption = Annotated[
    str | None,
    typer.Option("--seed", help="Seed of the keyed randomness [default: the scenario's]."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date (YYYY-MM-DD, or 'today' in Europe/London) that check-in offsets count "
        "back from [default: the log's last generation's; today for a new log].",
    ),
]
ScaleOption = Annotated[
    int | None,
    typer.Option(
        "--scale",
        help="Grow the tenant N-fold by the same rules "
        "[default: the log's last generation's; 1 for a new log].",
    ),
]


def parse_as_of(text: str | None) -> dt.date | None:
    """``YYYY-MM-DD``, ``today`` (Europe/London) or None; anything else is a clear error,
    saying which part is wrong."""
    if text is None:
        return None
    if text == "today":
        from seedctl.engine.generation import today_in_london

        return today_in_london()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ConfigError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise ConfigError(f"--as-of {text} is not a date in the calendar ({e})") from None


def resolve_log(log: Path | None, command: str) -> Path:
    """``--log`` as given, else the default log ``seedctl apply`` generates; it must exist."""
    if log is not None:
        return log
    from seedctl.engine.generation import default_log_path

    path = default_log_path(DEFAULT_SCENARIO)
    if not path.exists():
        raise LogError(
            f"no such log file; without --log, {command} reads the log `seedctl apply` "
            "generates, and none was generated here yet: run `seedctl apply`, or pass --log PATH",
            path=str(path),
        )
    return path


def _given_on_the_command_line(*names: str) -> bool:
    """Whether any of these options was typed as a flag (not set by a variable or file)."""
    from seedctl.cli.clicklib import ParameterSource, get_current_context

    ctx = get_current_context(silent=True)
    if ctx is None:
        return True
    return any(
        ctx.params.get(n) is not None
        and ctx.get_parameter_source(n)
        not in {ParameterSource.ENVIRONMENT, ParameterSource.DEFAULT_MAP}
        for n in names
    )


def ensure_log(
    log: Path | None,
    scenario: str | None,
    seed: str | None,
    as_of: str | None,
    scale: int | None,
    *,
    quiet: bool,
) -> Path:
    """The log to apply: ``--log`` as given, or the scenario generated into the default log."""
    generating = scenario is not None or log is None
    if not generating:
        if _given_on_the_command_line("seed", "as_of", "scale"):
            raise ConfigError("--seed, --as-of and --scale need --scenario (they generate a log)")
        assert log is not None
        return log  # settings from the environment or the file only shape generation
    from seedctl.engine.generation import default_log_path, generate_log

    name = scenario or DEFAULT_SCENARIO
    path = log or default_log_path(name)
    result = generate_log(name, path, seed=seed, as_of=parse_as_of(as_of), scale=scale)
    if not quiet:
        console.print(
            f"generated {name} into {result.path}: {describe_generation(result)}", markup=False
        )
    return path


def describe_generation(result: GenerateResult) -> str:
    """One line: the params used (and which the log kept), what the generation changed."""
    params = ", ".join(
        f"{k}={v}{' (kept from the log)' if k in result.kept else ''}"
        for k, v in result.params.items()
        if k != "seed"
    )
    if result.generation:
        change = (
            f"generation {result.generation}, {result.added - result.removed} new commands, "
            f"{result.removed} rows removed, {result.skipped} already there"
        )
    else:
        change = f"no change ({result.skipped} commands already there)"
    notes = ""
    if result.upgraded:
        notes += "; upgraded the log to seedctl-log/2 (the old file is kept as .v1)"
    if result.healed_lines:
        notes += (
            f"; cut {result.healed_lines} lines of an unfinished generation "
            "(a crashed generate) first"
        )
    return f"{params}: {change}{notes}"
