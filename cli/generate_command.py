"""``seedctl generate``: write a scenario's commands to a log, or append the ones it lacks."""

from __future__ import annotations

from seedctl.cli.options import JsonOption, LogPathOption
from seedctl.cli.output import console, print_json
from seedctl.cli.scenario_options import (
    DEFAULT_SCENARIO,
    AsOfOption,
    ScaleOption,
    ScenarioOption,
    SeedOption,
    describe_generation,
    parse_as_of,
)

__all__ = ["generate"]


def generate(
    *,
    log: LogPathOption,
    scenario: ScenarioOption = None,
    seed: SeedOption = None,
    as_of: AsOfOption = None,
    scale: ScaleOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate the scenario's seed commands into a log; append only those it lacks.

    Writes the log file only, never a database. Each run that changes anything appends
    one generation: another --as-of adds the check-ins it moves (also back in time), a
    larger --scale the new people and their objectives, a smaller one a delete for each
    row it no longer makes. Same params: nothing added. --as-of and --scale not given
    are the log's last generation's. Exit codes: 0 generated, 2 bad option, 3 the
    existing log is damaged or another tenant's, seed's or generator's.
    """
    from seedctl.engine.generation import generate_log

    result = generate_log(
        scenario or DEFAULT_SCENARIO, log, seed=seed, as_of=parse_as_of(as_of), scale=scale
    )
    summary = {
        "path": str(result.path),
        "scenario": result.scenario,
        "tenant": result.tenant,
        "generator": result.generator,
        "params": result.params,
        "created": result.created,
        "added": result.added,
        "skipped": result.skipped,
        "total": result.total,
        "digest": result.digest,
        "elapsed_s": round(result.elapsed_s, 3),
        "removed": result.removed,
        "generation": result.generation,
        "kept": list(result.kept),
        "upgraded": result.upgraded,
        "healed_lines": result.healed_lines,
    }
    if as_json:
        print_json(summary)
        return
    action = "created" if result.created else "appended to" if result.generation else "checked"
    console.print(
        f"{action} {result.path} ({result.scenario}: {describe_generation(result)})\n"
        f"added:   {result.added}\nremoved: {result.removed}\nskipped: {result.skipped}\n"
        f"total:   {result.total}\ndigest:  {result.digest}",
        markup=False,
    )
