"""``seedctl verify``: prove the database holds exactly what the log and the ledger say."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer
from seedctl.cli.options import DatabaseUrlOption, DefaultLogOption, JsonOption
from seedctl.cli.output import console, print_json, print_table
from seedctl.cli.progress import activity
from seedctl.cli.scenario_options import resolve_log
from seedctl.cli.target import announce_target

if TYPE_CHECKING:
    from seedctl.engine.verify import VerifyResult

__all__ = ["verify"]


def verify(
    *,  # keyword-only: typer passes options by name, and no call site can mix them up
    log: DefaultLogOption = None,
    database_url: DatabaseUrlOption = None,
    max_differences: Annotated[
        int,
        typer.Option(
            "--max-differences", min=1, help="List at most this many differences (all are counted)."
        ),
    ] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Check counts, drift, pending commands and foreign keys against the log. Read-only.

    Every seeded row must still equal its last applied image, every command of the
    log must be applied, row counts must match the scenario's expected counts and
    every foreign key must resolve. Without --log, the log `seedctl apply` generates.
    Exit codes: 0 verified, 2 bad option, 3 bad log, 4 database unreachable,
    8 differences found (listed, also with --json), 10 unknown table or column.
    """
    log = resolve_log(log, "verify")
    announce_target(database_url, log=log)
    from seedctl.engine.verify import verify_log

    with activity(f"verify: verifying {log}, comparing counts, rows and foreign keys"):
        result = verify_log(log, database_url=database_url, max_differences=max_differences)
    render_verify(result, as_json)
    result.raise_if_failed()


def render_verify(result: VerifyResult, as_json: bool) -> None:
    """A short summary when all holds, else a table of the differences; or one JSON object."""
    if as_json:
        payload = dataclasses.asdict(result)
        payload.update(ok=result.ok, truncated=result.truncated)
        print_json(payload)
        return
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    if result.ok:
        rows = sum(e.found_rows for e in result.entities.values())
        commands = sum(e.commands for e in result.entities.values())
        console.print(
            f"verified tenant {result.tenant} on {result.database}: {rows} seeded rows equal "
            f"their last applied images and match the expected counts ({result.expected_from}); "
            f"all {commands} commands of the log are applied; "
            f"{result.foreign_keys} foreign keys resolve",
            markup=False,
        )
        return
    print_table(
        f"differences: {result.log_path} vs {result.database}",
        ["entity", "row id", "kind", "detail"],
        [(d.entity, d.row_id or "", d.kind, d.detail) for d in result.differences],
    )
    if result.truncated:
        total = sum(result.difference_counts.values())
        console.print(
            f"showing {len(result.differences)} of {total} differences (--max-differences)",
            markup=False,
        )
