"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "BatchSizeOption",
    "DatabaseUrlOption",
    "DefaultLogOption",
    "JsonOption",
    "LogPathOption",
    "RetryForOption",
    "WaitTimeoutOption",
]

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the result as one JSON object on stdout.")
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="SEEDCTL_DATABASE_URL",
        help="postgresql:// URL of the target database. Without it (and without "
        "SEEDCTL_DATABASE_URL or database_url in seedctl.toml) seedctl starts an embedded "
        "PostgreSQL in its home (the nearest .seedctl/ upward). DATABASE_URL is not read.",
        show_envvar=True,
    ),
]
LogPathOption = Annotated[
    Path,
    typer.Option("--log", help="Path of the seed log (JSON Lines)."),
]
BatchSizeOption = Annotated[
    int,
    typer.Option(
        "--batch-size",
        min=1,
        max=1000,
        help="Rows per transaction, at most 1000 (the client's cap on one transaction).",
    ),
]
DefaultLogOption = Annotated[
    Path | None,
    typer.Option(
        "--log",
        help="Path of the seed log (JSON Lines) [default: the log `seedctl apply` "
        "generates, $SEEDCTL_HOME/logs/okr-demo.log].",
    ),
]
WaitTimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--wait-timeout",
        min=0.0,
        help="Queue at most this many seconds behind another run's tenant lock, then fail "
        "(exit 6) [default: wait as long as it is held].",
    ),
]
RetryForOption = Annotated[
    float,
    typer.Option(
        "--retry-for",
        min=0,
        max=3600,
        help="Seconds to keep retrying a step that fails transiently (the server restarting, "
        "a lost connection, a lock timeout, a deadlock) before giving up.",
    ),
]
