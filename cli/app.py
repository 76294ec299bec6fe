"""The ``seedctl`` typer app: global options, error handling and the command groups.

:func:`main` is the one place a failure becomes an exit code and a message: our own
errors, usage errors (with a hint where one helps) and Ctrl-C. Settings come from
:mod:`seedctl.cli.config` before the command runs.
"""

from __future__ import annotations

import sys
import traceback
from enum import StrEnum
from typing import Annotated

import typer
from seedctl.cli import (
    apply_command,
    config_command,
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
from seedctl.cli import clicklib as click
from seedctl.cli.logs import configure_logging
from seedctl.cli.output import error_console, flush_json, render_error, state
from seedctl.cli.version import seedctl_version
from seedctl.ledger import SeedctlError

__all__ = ["GLOBAL_OPTIONS", "app", "hoist_global_options", "main"]


app = typer.Typer(
    name="seedctl",
    help="An event-sourced seed ledger for PostgreSQL: generate a deterministic log of "
    "seed commands, apply it exactly once, audit it, revert it.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
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
app.command("config")(config_command.config)


class LogFormat(StrEnum):
    console = "console"
    json = "json"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


GLOBAL_OPTIONS = {"--debug": False, "--log-format": True, "--log-level": True}
"""The root options that may also be written after the command: name -> takes a value."""


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
    """Global options; they may go before or after the command name."""
    _State.debug = debug
    state.json_log = log_format is LogFormat.json
    level = log_level or (LogLevel.info if log_format is LogFormat.json else LogLevel.warning)
    configure_logging(log_format.value, level.value)


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options written after the command name in front of it.

    ``seedctl apply --log-level info`` then means ``seedctl --log-level info apply``.
    Nothing after ``--`` is touched.
    """
    front: list[str] = []
    rest: list[str] = []
    i, seen_command = 0, False
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            takes_value = GLOBAL_OPTIONS[name] and "=" not in arg
            chunk = args[i : i + (2 if takes_value else 1)]
            (front if seen_command else rest).extend(chunk)
            i += len(chunk)
            continue
        if not arg.startswith("-"):
            seen_command = True
        rest.append(arg)
        i += 1
    if not front:
        return list(args)
    # The global options go first; the rest keeps its order.
    return front + rest


def _usage_hint(error: click.UsageError) -> str | None:
    """A pointer to the right place for a usage error we can explain better."""
    if isinstance(error, click.NoSuchOption) and error.option_name == "--dry-run":
        command = error.ctx.info_name if error.ctx else ""
        if command == "apply":
            return (
                "apply has no --dry-run: `seedctl plan` is the dry run (the same log, read-only; "
                "`seedctl plan --check` fails when apply would refuse or write anything)."
            )
    return None


def _json_requested(args: list[str]) -> bool:
    head = args[: args.index("--")] if "--" in args else args
    return "--json" in head


def _json_log_requested(args: list[str]) -> bool:
    import os

    head = args[: args.index("--")] if "--" in args else args
    for i, arg in enumerate(head):
        if arg == "--log-format=json" or (
            arg == "--log-format" and i + 1 < len(head) and head[i + 1] == "json"
        ):
            return True
    return os.environ.get("SEEDCTL_LOG_FORMAT") == "json"


INTERRUPTED = (
    "interrupted (Ctrl-C): every batch that committed stays applied and recorded, the run is "
    "marked interrupted; run the same command again to resume where it stopped"
)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and turn every failure into an exit code."""
    from seedctl.cli import config

    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    state.reset()
    state.json = _json_requested(args)
    state.json_log = _json_log_requested(args)
    state.defer_json = True
    command = typer.main.get_command(app)
    config.bind_environment(command)
    code: int = 0
    try:
        settings_file = config.load_config_file()
        config.apply_home(settings_file)
        rv = command.main(
            args=args,
            prog_name="seedctl",
            standalone_mode=False,
            default_map=config.default_map(command, settings_file),
        )
        code = rv if isinstance(rv, int) else 0
    except click.UsageError as e:
        hint = _usage_hint(e)
        if state.json or state.json_log:
            render_error(e, 2, message=e.format_message() + (f"; hint: {hint}" if hint else ""))
        else:
            e.show()
            if hint:
                error_console.print(f"hint: {hint}", markup=False)
        sys.exit(2)
    except typer.Abort:
        code = 130
    except SeedctlError as e:
        _fail(e)
    except Exception as e:
        translated = _driver_error(e)
        if translated is None:
            raise  # a bug: the traceback is the report
        _fail(translated)
    if code == 130:
        render_error(KeyboardInterrupt(), 130, message=INTERRUPTED)
        sys.exit(130)
    flush_json()
    if code:
        sys.exit(code)
    return 0


def _fail(error: SeedctlError) -> None:
    """One ``error:`` paragraph (or, with --json, one JSON object) and the error's exit
    code; the traceback only with --debug."""
    if _State.debug:
        traceback.print_exc()
    render_error(error, error.exit_code)
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
