"""``seedctl env ...``: mark a database so that apply and revert treat production with care."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from seedctl.cli.options import DatabaseUrlOption, JsonOption
from seedctl.cli.output import console, print_json
from seedctl.cli.target import announce_target

app = typer.Typer(
    help="Mark a database as development, staging or production.", no_args_is_help=True
)


class Environment(StrEnum):
    development = "development"
    staging = "staging"
    production = "production"


@app.command("set")
def set_(
    name: Environment,
    allow_production: Annotated[
        bool,
        typer.Option(
            "--allow-production", help="Needed to mark a database that is marked production."
        ),
    ] = False,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Mark the database. On production, apply and revert need --allow-production, and so
    does changing the mark of a production database.

    Exit codes: 0 marked, 2 not a known environment, 4 database unreachable, 7 lifting a
    production mark without --allow-production, 11 ledger from a newer seedctl.
    """
    announce_target(database_url)
    from seedctl.engine.db import environment

    where = environment.set_environment(
        name.value, database_url=database_url, allow_production=allow_production
    )
    if as_json:
        print_json({"database": where, "environment": name.value})
    else:
        console.print(f"{where} is now marked {name.value}", markup=False)


@app.command("show")
def show(database_url: DatabaseUrlOption = None, as_json: JsonOption = False) -> None:
    """Print the database's marking. Read-only. Exit codes: 0 shown, 4 database unreachable."""
    announce_target(database_url)
    from seedctl.engine.db import environment

    where, marked = environment.get_environment(database_url=database_url)
    if as_json:
        print_json({"database": where, "environment": marked})
    else:
        console.print(f"{where}: {marked or 'unmarked'}", markup=False)
