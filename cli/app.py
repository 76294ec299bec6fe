"""The ``seedctl`` typer app: global options, error handling and the command groups."""

from __future__ import annotations

import sys
import traceback
from enum import StrEnum
from typing import Annotated

import typer
from seedctl.cli import (
    apply_command,
    db_commands,
    env_commands,
    generate_command,
    inspect_commands,
    log_commands,
    plan_command,
    revert_command,
    schema_commands,
    verify_command,
)
from seedctl.cli.logs import configure_logging
from seedctl.cli.output import error_console
from seedctl.cli.version import seedctl_version
from seedctl.ledger import SeedctlError

__all__ = ["app", "main"]


app = typer.Typer(
    name="seedctl",
    help="An event-sourced seed ledger for PostgreSQL: generate a deterministic log of "
    "seed commands, apply it exactly once, audit it, revert it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(log_commands.app, name="log")
app.add_typer(db_commands.app, name="db")
app.add_typer(schema_commands.app, name="schema")
app.command("generate")(generate_command.generate)
app.add_typer(env_commands.app, name="env")
app.command("plan")(plan_command.plan)
app.command("apply")(apply_command.apply)
app.command("verify")(verify_command.verify)
app.command("revert")(revert_command.revert_command)
app.command("status")(inspect_commands.status)
app.command("audit")(inspect_commands.audit)


class LogFormat(StrEnum):
    console = "console"
    json = "json"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class _State:
    debug = False


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"seedctl {seedctl_version()}")
        raise typer.Exit


@app.callback()
def root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when a command fails.")
    ] = False,
    log_format: Annotated[
        LogFormat, typer.Option(help="How structlog events on stderr are rendered.")
    ] = LogFormat.console,
    log_level: Annotated[
        LogLevel | None,
        typer.Option(help="Lowest event level shown [default: info with json, else warning]."),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Global options; they go before the command name."""
    _State.debug = debug
    level = log_level or (LogLevel.info if log_format is LogFormat.json else LogLevel.warning)
    configure_logging(log_format.value, level.value)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and turn every failure into an exit code."""
    # Standalone mode lets typer handle usage errors and --help itself (exit 2 and 0);
    # only our own errors propagate out of it.
    try:
        app(args=argv, prog_name="seedctl")
    except SeedctlError as e:
        _fail(e)
    except Exception as e:
        translated = _driver_error(e)
        if translated is None:
            raise  # a bug: the traceback is the report
        _fail(translated)
    return 0


def _fail(error: SeedctlError) -> None:
    """One ``error:`` paragraph and the error's exit code; the traceback only with --debug."""
    if _State.debug:
        traceback.print_exc()
    error_console.print(f"error: {error}", markup=False)
    sys.exit(error.exit_code)


def _driver_error(error: Exception) -> SeedctlError | None:
    """A PostgreSQL error no engine step translated, as a seedctl error; None for anything else.

    The engine translates what it can say more about; this is the floor under it, so a
    driver error never reaches a user as a traceback.
    """
    if type(error).__module__.split(".", 1)[0] not in {"psycopg", "sqlalchemy"}:
        return None
    from seedctl.engine.db import translate_driver_error

    return translate_driver_error(error, doing="")
