"""Generate a scenario's log: the engine call behind ``seedctl generate``. Writes the log file.

This is where the spec's ``Date.now()`` lives: a new log's ``as_of`` defaults to
today in Europe/London, read here once and recorded in the log, never inside a
scenario. An existing log keeps the ``as_of`` and ``scale`` of its last generation
until they are given again, so generating (or a bare ``seedctl apply``) on a later
day adds nothing. Everything after that is a pure function of (seed, as_of, scale).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from seedctl.engine.generation.workers import encoded_in_workers, encoded_parts, worker_count
from seedctl.engine.scenarios import (
    Scenario,
    ScenarioParams,
    encodes_parts,
    get_scenario,
    has_parts,
)
from seedctl.ledger import ConfigError, JsonScalar, LogError
from seedctl.ledger.logfile import FORMAT_1, GenerationRecord, LogHeader, LogReader, last_generation
from seedctl.ledger.logwrite import EncodedBatch, append_encoded, encode_batches

__all__ = [
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "GenerateResult",
    "default_log_path",
    "generate_log",
    "scenario_params",
    "today_in_london",
]

DEFAULT_SEED: Final = "puzzel-cx-demo-seed-2025"
"""The spec's seed (section 3); used by scenarios that name no ``default_seed`` of their own."""
DEFAULT_SCALE: Final = 1
LONDON: Final = ZoneInfo("Europe/London")
# Check-ins count back up to a few months from as_of; keep clear of date.min/date.max.
_EARLIEST_AS_OF = dt.date(1900, 1, 1)
_LATEST_AS_OF = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class GenerateResult:
    """What one ``generate`` did to the log."""

    path: Path
    scenario: str
    tenant: str
    generator: str
    params: dict[str, JsonScalar]
    created: bool
    added: int
    skipped: int
    total: int
    digest: str
    elapsed_s: float
    removed: int = 0
    generation: int = 0
    """The generation this run recorded; 0 if it wrote nothing (same params, no change)."""
    kept: tuple[str, ...] = ()
    """Params taken from the log's last generation because none were given (``as_of``, ...)."""
    upgraded: bool = False
    healed_lines: int = 0


def today_in_london() -> dt.date:
    """Today's date in Europe/London: the default ``as_of``. Reads the clock."""
    return dt.datetime.now(LONDON).date()


def default_log_path(scenario: str) -> Path:
    """Where a scenario's log goes when no ``--log`` is given: ``<seedctl home>/logs/``."""
    # Imported here: seedctl.engine.db.embedded loads psycopg, which generating a log never needs.
    from seedctl.engine.db import seedctl_home

    return seedctl_home() / "logs" / f"{scenario}.log"


def _default_seed(scenario: Scenario) -> str:
    seed = getattr(scenario, "default_seed", DEFAULT_SEED)
    return seed if isinstance(seed, str) else DEFAULT_SEED


def scenario_params(
    scenario: Scenario, *, seed: str | None, as_of: dt.date | None, scale: int | None
) -> ScenarioParams:
    """The full parameters, defaults filled in and checked; a ConfigError names a bad one."""
    seed = _default_seed(scenario) if seed is None else seed
    if not seed:
        raise ConfigError("--seed must not be empty")
    scale = DEFAULT_SCALE if scale is None else scale
    if scale < 1:
        raise ConfigError(f"--scale must be a whole number of at least 1, not {scale}")
    as_of = today_in_london() if as_of is None else as_of
    if not _EARLIEST_AS_OF <= as_of <= _LATEST_AS_OF:
        raise ConfigError(
            f"--as-of must be between {_EARLIEST_AS_OF} and {_LATEST_AS_OF}, not {as_of}"
        )
    return ScenarioParams(seed=seed, as_of=as_of, scale=scale)


def _kept_params(
    path: Path, scenario: Scenario, as_of: dt.date | None, scale: int | None
) -> tuple[dt.date | None, int | None, tuple[str, ...]]:
    """``as_of`` and ``scale`` as given, else as the log's last generation had them.

    A format-1 log (also one upgraded since) records only its first generation's params,
    in its header: they are kept only if they make exactly the rows the log holds, each
    once (no later generation changed anything); else the user must say.
    """
    if as_of is not None and scale is not None:
        return as_of, scale, ()
    with LogReader(path) as reader:
        header = reader.header
    last: GenerationRecord | None = None
    if header.format != FORMAT_1:
        last = last_generation(path)
    params = last.params if last is not None else header.params
    if last is None or isinstance(last.upgraded_from, str):
        _check_format_1_params(path, scenario, params, last)
    kept = []
    if as_of is None and isinstance(params.get("as_of"), str):
        as_of = dt.date.fromisoformat(str(params["as_of"]))
        kept.append("as_of")
    if scale is None and isinstance(params.get("scale"), int):
        scale = int(str(params["scale"]))
        kept.append("scale")
    return as_of, scale, tuple(kept)


def _check_format_1_params(
    path: Path, scenario: Scenario, params: dict[str, JsonScalar], last: GenerationRecord | None
) -> None:
    """Refuse to guess the params of a format-1 log whose later generations changed it."""
    rows = commands = None
    if last is not None:
        rows, commands = last.rows, last.commands
    else:
        with LogReader(path) as reader:
            seen = {(r.entity, r.id) for r, _ in reader}
            commands = reader.summary().commands
        rows = len(seen)
    try:
        expected = sum(
            scenario.expected_counts(
                ScenarioParams(
                    seed=str(params["seed"]),
                    as_of=dt.date.fromisoformat(str(params["as_of"])),
                    scale=int(str(params.get("scale", 1))),
                )
            ).values()
        )
    except (KeyError, ValueError):
        expected = None
    if commands == rows == expected:
        return
    raise ConfigError(
        f"{path} was written as seedctl-log/1, which records only its first generation's "
        "params; later generations changed it, so its params now are unknown: pass --as-of "
        "and --scale (`seedctl log show` shows what it records)"
    )


def _check_same_origin(path: Path, header: LogHeader) -> None:
    """Refuse to mix seeds in one log. as_of, scale and the scenario's version may change:
    each generation records its own, and apply follows the last."""
    with LogReader(path) as reader:
        existing = reader.header
    if existing.scenario != header.scenario:
        return  # append_commands reports a scenario mismatch with the line number
    if existing.params.get("seed") != header.params["seed"]:
        raise LogError(
            f"this log was generated with seed {existing.params.get('seed')!r}, not "
            f"{header.params['seed']!r}; one log holds one seed: use another --log",
            path=str(path),
            line=1,
        )


class _Batches(Iterator[EncodedBatch], Protocol):
    """Encoded batches that may hold processes: closed when generate is done with them."""

    def close(self) -> None: ...


def _encoded(scenario: Scenario, params: ScenarioParams, workers: int | None) -> _Batches:
    """The scenario's commands, encoded in worker processes where that pays, else here."""
    if workers is None:
        workers = worker_count(scenario, params)
    if workers > 0 and has_parts(scenario):
        return encoded_in_workers(scenario, params, workers)
    if encodes_parts(scenario):
        return (batch for part in encoded_parts(scenario, params) for batch in part())
    return encode_batches(scenario.generate(params))


def generate_log(
    scenario_name: str,
    log_path: Path | str,
    *,
    seed: str | None = None,
    as_of: dt.date | None = None,
    scale: int | None = None,
    workers: int | None = None,
) -> GenerateResult:
    """Write the scenario's commands the log lacks, creating the log (and its folder) if needed.

    Writes the log file only. Each run that changes anything appends one generation:
    the commands whose rows changed (check-ins with another ``as_of``, the people a
    larger scale adds), a delete for each row it no longer makes (a smaller scale),
    and a generation record. A second run with the same parameters adds nothing;
    ``as_of`` and ``scale`` not given are the log's last generation's. ``workers``
    processes encode the commands (0: none, None: as many as pay off); the log's
    bytes are the same either way.
    """
    started = time.monotonic()
    scenario = get_scenario(scenario_name)
    path = Path(log_path)
    kept: tuple[str, ...] = ()
    if path.is_file():
        as_of, scale, kept = _kept_params(path, scenario, as_of, scale)
    params = scenario_params(scenario, seed=seed, as_of=as_of, scale=scale)
    header = LogHeader(
        scenario=scenario.name,
        tenant=scenario.tenant(params),
        params=params.as_header(),
        generator=scenario.version,
    )
    if path.exists():
        _check_same_origin(path, header)
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LogError(
                f"cannot create the log's folder {path.parent}: {e.strerror or e}",
                path=str(path),
            ) from e
    with closing(_encoded(scenario, params, workers)) as batches:
        appended = append_encoded(path, header, batches, remove_missing=True)
    return GenerateResult(
        path=appended.path,
        scenario=scenario.name,
        tenant=header.tenant,
        generator=header.generator,
        params=header.params,
        created=appended.created,
        added=appended.added,
        skipped=appended.skipped,
        total=appended.total,
        digest=appended.digest,
        elapsed_s=time.monotonic() - started,
        removed=appended.removed,
        generation=appended.generation,
        kept=kept,
        upgraded=appended.upgraded,
        healed_lines=appended.healed_lines,
    )
