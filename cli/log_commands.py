"""``seedctl log ...``: check, list, repair and upgrade log files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from seedctl.cli.options import JsonOption
from seedctl.cli.output import console, print_json, print_table
from seedctl.ledger import repair_log, upgrade_log, verify_log
from seedctl.ledger.logfile import GenerationRecord, LogSummary

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
        "format": summary.header.format,
        "generations": [_generation(g) for g in summary.generations],
    }
    if as_json:
        print_json(result)
        return
    rows = [(entity, count) for entity, count in sorted(summary.entities.items())]
    print_table(f"{path}: ok", ["entity", "commands"], rows)
    console.print(f"commands: {summary.commands}\ndigest:   {summary.digest}", markup=False)


@app.command("show")
def show(path: PathArgument, as_json: JsonOption = False) -> None:
    """List the log's generations: params, what each changed, the rows after it.

    Verifies the whole log first (read-only). The last generation is what an apply of
    the log leaves in the database. Exit codes: 0 shown, 3 the first fault.
    """
    summary = verify_log(path)
    generations = [_generation(g) for g in summary.generations] or [_format_1(summary)]
    if as_json:
        print_json(
            {
                "path": str(path),
                "format": summary.header.format,
                "scenario": summary.header.scenario,
                "tenant": summary.header.tenant,
                "digest": summary.digest,
                "commands": summary.commands,
                "generations": generations,
            }
        )
        return
    columns = ("generation", "params", "generator", "commands", "removed", "rows", "line")
    rows = [
        tuple(_params_text(g[c]) if c == "params" else g[c] for c in columns) for g in generations
    ]
    print_table(
        f"{path}: {summary.header.scenario}, tenant {summary.header.tenant}",
        list(columns),
        rows,
    )
    console.print(
        f"the database reflects the last generation after `seedctl apply --log {path}`\n"
        f"digest: {summary.digest}",
        markup=False,
    )


def _params_text(params: object) -> str:
    items = params.items() if isinstance(params, dict) else ()
    return ", ".join(f"{k}={v}" for k, v in items)


def _generation(record: GenerationRecord) -> dict[str, object]:
    out: dict[str, object] = {
        "generation": record.generation,
        "params": record.params,
        "generator": record.generator,
        "commands": record.commands,
        "removed": record.removed,
        "rows": record.rows,
        "line": record.seq + 1,
    }
    if isinstance(record.upgraded_from, str):
        out["upgraded_from"] = record.upgraded_from
    return out


def _format_1(summary: LogSummary) -> dict[str, object]:
    """A format-1 log as one generation: it records no others (the header's params)."""
    return {
        "generation": 1,
        "params": summary.header.params,
        "generator": summary.header.generator,
        "commands": summary.commands,
        "removed": 0,
        "rows": None,
        "line": summary.lines + 1,
        "format": summary.header.format,
    }


@app.command("repair")
def repair(path: PathArgument, as_json: JsonOption = False) -> None:
    """Cut off what a crash mid-write leaves: a torn last line, an unfinished generation.

    Keeps every complete generation. Writes the file only when there is something to
    cut; then verifies the whole log. Exit codes: 0 repaired or nothing to repair, 3
    any other fault (the file unchanged).
    """
    done = repair_log(path)
    if as_json:
        print_json(
            {
                "path": str(path),
                "bytes_removed": done.bytes_removed,
                "unfinished_lines": done.unfinished_lines,
            }
        )
        return
    parts = []
    if done.torn_bytes:
        parts.append(f"cut a torn last line of {done.torn_bytes} bytes")
    if done.unfinished_lines:
        lines = "line" if done.unfinished_lines == 1 else "lines"
        parts.append(
            f"cut {done.unfinished_lines} {lines} of an unfinished generation "
            f"({done.unfinished_bytes} bytes)"
        )
    if parts:
        console.print(f"{path}: {'; '.join(parts)}; the log verifies.", markup=False)
    else:
        console.print(f"{path}: nothing to repair.", markup=False)


@app.command("upgrade")
def upgrade(path: PathArgument, as_json: JsonOption = False) -> None:
    """Rewrite a seedctl-log/1 log as seedctl-log/2; the old file stays as PATH.v1.

    Every command keeps its hash, so the ledger still knows what was applied;
    generate does this by itself before appending. Exit codes: 0 upgraded or already
    format 2, 3 the log does not verify (nothing changed).
    """
    upgraded = upgrade_log(path)
    if as_json:
        print_json({"path": str(path), "upgraded": upgraded})
    elif upgraded:
        console.print(
            f"{path}: upgraded to seedctl-log/2; the format-1 file is kept as {path}.v1",
            markup=False,
        )
    else:
        console.print(f"{path}: already seedctl-log/2; nothing to do.", markup=False)
