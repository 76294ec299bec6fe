"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "BatchSizeOption",
    "DatabaseUrlOption",
    "JsonOption",
    "LogPathOption",
    "RetryForOption",
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
        "SEEDCTL_DATABASE_URL) seedctl starts an embedded PostgreSQL in ./.seedctl/.",
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
        help="Rows per transaction (spec section 7 caps it at 1000).",
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
