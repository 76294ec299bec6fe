"""``seedctl db ...``: the embedded server and the database marking."""

from __future__ import annotations

import typer
from seedctl.cli.options import JsonOption
from seedctl.cli.output import console, print_json, say

app = typer.Typer(help="Manage the embedded PostgreSQL server.", no_args_is_help=True)


@app.command("url")
def url(as_json: JsonOption = False) -> None:
    """Print the embedded database's URL, starting the server if needed.

    Use it as: psql "$(seedctl db url)". Exit codes: 0 printed, 4 the server could not
    start.
    """
    from seedctl.engine.db import embedded

    home = embedded.seedctl_home()
    if not embedded.is_initialised(home):
        say(
            "embedded_creating",
            f"creating an embedded PostgreSQL server in {home / 'pgdata'} (first use)",
            pgdata=str(home / "pgdata"),
        )
    server = embedded.start(home)
    if as_json:
        print_json({"url": server.url, "pgdata": str(server.pgdata)})
    else:
        typer.echo(server.url)


@app.command("stop")
def stop(as_json: JsonOption = False) -> None:
    """Stop the embedded server; its data stays in <home>/pgdata. Exit codes: 0."""
    from seedctl.engine.db import embedded

    was_running = embedded.stop()
    if as_json:
        print_json({"stopped": was_running})
    else:
        console.print("stopped" if was_running else "the embedded server was not running")
