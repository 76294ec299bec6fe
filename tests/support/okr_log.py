"""Build okr-demo logs in process, the way ``seedctl generate`` writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from seedctl.engine.scenarios import ScenarioParams, get_scenario
from seedctl.ledger import LogHeader, append_commands

SEED = "puzzel-cx-demo-seed-2025"
AS_OF = dt.date(2026, 1, 15)


def okr_log(path: Path, *, scale: int = 1, as_of: dt.date = AS_OF) -> Path:
    """Write (or append) the okr-demo scenario's commands to ``path``."""
    scenario = get_scenario("okr-demo")
    params = ScenarioParams(seed=SEED, as_of=as_of, scale=scale)
    header = LogHeader(
        scenario=scenario.name,
        tenant=scenario.tenant(params),
        params=params.as_header(),
        generator=scenario.version,
    )
    append_commands(path, header, scenario.generate(params))
    return path


def okr_tables() -> list[str]:
    """The okr-demo target tables, parents first."""
    return [t.name for t in get_scenario("okr-demo").metadata.sorted_tables]
