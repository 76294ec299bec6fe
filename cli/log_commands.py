"""``seedctl log ...``: check and repair log files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from seedctl.cli.options import JsonOption
from seedctl.cli.output import console, print_json, print_table
from seedctl.ledger import repair_torn_tail, verify_log

app = typer.Typer(help="Inspect and repair seed log files.", no_args_is_help=True)

PathArgument = Annotated[Path, typer.Argument(help="The log file.")]


@app.command("verify")
def verify(path: PathArgument, as_json: JsonOption = False) -> None:
    """Check every line's hash and the chain; print the log's digest and counts per entity.

    Read-only. Exit codes: 0 the log verifies, 3 the first fault (file and line).
    """
    summary = verify_log(path)
    result = {
        "path": str(path),
        "ok": True,
        "digest": summary.digest,
        "commands": summary.commands,
        "scenario": summary.header.scenario,
        "tenant": summary.header.tenant,
        "params": summary.header.params,
        "generator": summary.header.generator,
        "entities": dict(sorted(summary.entities.items())),
    }
    if as_json:
        print_json(result)
        return
    rows = [(entity, count) for entity, count in sorted(summary.entities.items())]
    print_table(f"{path}: ok", ["entity", "commands"], rows)
    console.print(f"commands: {summary.commands}\ndigest:   {summary.digest}", markup=False)


@app.command("repair")
def repair(path: PathArgument, as_json: JsonOption = False) -> None:
    """Cut off a torn last line left by a crash mid-write. Keeps every complete line.

    Writes the file only when its last line is torn; then verifies the whole log.
    Exit codes: 0 repaired or nothing to repair, 3 any other fault (the file unchanged).
    """
    removed = repair_torn_tail(path)
    if as_json:
        print_json({"path": str(path), "bytes_removed": removed})
    elif removed:
        console.print(
            f"{path}: cut a torn last line of {removed} bytes; the log verifies.", markup=False
        )
    else:
        console.print(f"{path}: nothing to repair.", markup=False)
