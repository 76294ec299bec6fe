"""``seedctl schema ...``: the scenario's target tables in the database."""

from __future__ import annotations

import typer
from seedctl.cli.options import DatabaseUrlOption, JsonOption
from seedctl.cli.output import console, print_json
from seedctl.cli.scenario_options import DEFAULT_SCENARIO, ScenarioOption
from seedctl.cli.target import announce_target

__all__ = ["app"]

app = typer.Typer(help="Create the scenario's target tables.", no_args_is_help=True)


@app.command("create")
def create(
    database_url: DatabaseUrlOption = None,
    scenario: ScenarioOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create the scenario's tables that are missing; leave existing ones alone.

    Writes DDL only, in one transaction; safe to run again. Never alters a table.
    Exit codes: 0 created or all existed, 1 DDL refused, 2 unknown scenario or bad URL,
    4 database unreachable, 10 an existing table lacks a column.
    """
    announce_target(database_url)
    from seedctl.engine.scenarios import get_scenario
    from seedctl.engine.target import create_target_schema

    result = create_target_schema(database_url, get_scenario(scenario or DEFAULT_SCENARIO))
    if as_json:
        print_json(
            {
                "database": result.database,
                "scenario": result.scenario,
                "created": result.created,
                "existing": result.existing,
            }
        )
        return
    if result.created:
        console.print(
            f"{result.database}: created {len(result.created)} tables "
            f"({', '.join(result.created)}); {len(result.existing)} already existed",
            markup=False,
        )
    else:
        console.print(
            f"{result.database}: all {len(result.existing)} {result.scenario} tables "
            "already exist; nothing to do",
            markup=False,
        )
