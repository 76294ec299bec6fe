"""``seedctl config``: every effective setting and where it came from. Reads only."""

from __future__ import annotations

import os

from seedctl.cli import clicklib as click
from seedctl.cli import config as settings
from seedctl.cli.options import DatabaseUrlOption, JsonOption
from seedctl.cli.output import console, print_json, print_table

__all__ = ["config"]

DEFAULTS: dict[str, object] = {
    "database_url": "the embedded server in home",
    "log": "<home>/logs/<scenario>.log",
    "scenario": "okr-demo",
    "seed": "the scenario's own",
    "as_of": "today in Europe/London",
    "scale": 1,
    "batch_size": 1000,
    "writers": 2,
    "lock_timeout": "PostgreSQL's (no limit)",
    "wait_timeout": "wait as long as the lock is held",
    "create_schema": "only on the embedded database",
    "log_format": "console",
    "log_level": "info with json, else warning",
}


def config(database_url: DatabaseUrlOption = None, as_json: JsonOption = False) -> None:
    """Print every effective setting and its source: flag, env, file or default. Read-only.

    Settings come from seedctl.toml or [tool.seedctl] in pyproject.toml (the nearest,
    upward from here), SEEDCTL_* variables and flags; flags beat the environment, which
    beats the file. Passwords are masked. Exit codes: 0 shown, 2 a bad settings file.
    """
    ctx = click.get_current_context()
    root = ctx.find_root()
    flags: dict[str, object] = {}
    if ctx.get_parameter_source("database_url") is click.ParameterSource.COMMANDLINE:
        flags["database_url"] = database_url
    for key in ("log_format", "log_level"):
        if root.get_parameter_source(key) is click.ParameterSource.COMMANDLINE:
            value = root.params[key]
            flags[key] = getattr(value, "value", value)
    file = settings.load_config_file()
    # The home was exported before the command ran; report the rule that chose it.
    home = settings.current_home(file)
    values = settings.effective_settings(file, flags, DEFAULTS, home=home)
    ignored = os.environ.get("DATABASE_URL")
    if as_json:
        print_json(
            {
                "file": str(file.path) if file else None,
                "settings": {
                    v.key: {"value": settings.mask(v.value), "source": v.source} for v in values
                },
                "database_url_ignored": settings.mask(ignored) if ignored else None,
            }
        )
        return
    print_table(
        f"settings (file: {file.path if file else 'none found'})",
        ["setting", "value", "source"],
        [(v.key, str(settings.mask(v.value)), v.source) for v in values],
    )
    if ignored:
        console.print(
            f"note: DATABASE_URL is set ({settings.mask(ignored)}) but seedctl does not read it; "
            'pass --database-url "$DATABASE_URL" or set SEEDCTL_DATABASE_URL to use it.',
            markup=False,
        )
