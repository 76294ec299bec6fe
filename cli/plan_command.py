"""``seedctl plan``: the dry run. What apply would do, counted per entity, writing nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from seedctl.cli.options import DatabaseUrlOption, DefaultLogOption, JsonOption
from seedctl.cli.output import console, print_json, print_table
from seedctl.cli.progress import activity
from seedctl.cli.scenario_options import resolve_log
from seedctl.cli.target import announce_target
from seedctl.engine.plan import DEFAULT_REPORT_PATH

if TYPE_CHECKING:
    from seedctl.engine.plan import PlanResult

__all__ = ["plan"]


def plan(
    *,  # keyword-only: typer passes options by name, and no call site can mix them up
    log: DefaultLogOption = None,
    report: Annotated[
        Path,
        typer.Option(
            "--report",
            help="Where to write the markdown report (a file write, not a database write); "
            "parent directories are created.",
        ),
    ] = DEFAULT_REPORT_PATH,
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Write no report file; print the result only.")
    ] = False,
    database_url: DatabaseUrlOption = None,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            max=1000,
            help="Rows per batch, as given to apply's --batch-size, so the batches match.",
        ),
    ] = 1000,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="For CI: fail when apply would refuse (exit 5 collisions, 7 marked production, "
            "10 missing tables off the embedded database) or when anything is pending (exit 8).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Dry run: count what apply would insert, update, leave unchanged or collide on. Read-only.

    Every query runs in one READ ONLY transaction, so the database cannot change.
    The only write is the report file (default docs/audit/SEED_DRY_RUN_REPORT.md,
    under the current directory). Without --log, the log `seedctl apply` generates.
    Exit codes: 0 planned (also when rows would collide, unless --check), 2 bad
    option, 3 bad log, 4 database unreachable, 5 collisions (--check), 7 marked
    production (--check), 8 commands pending (--check), 10 unknown table or column, or
    missing tables (--check).
    """
    log = resolve_log(log, "plan")
    announce_target(database_url, log=log)
    from seedctl.engine.plan import plan_log

    with activity(f"plan: verifying {log}, comparing every pending row read-only"):
        result = plan_log(
            log,
            database_url=database_url,
            report_path=None if no_report else report,
            max_rows=batch_size,
        )
    render_plan(result, as_json)
    if check:
        check_plan(result)


def check_plan(result: PlanResult) -> None:
    """``plan --check``: raise what apply would refuse, else fail on anything pending."""
    from seedctl.ledger import (
        CollisionError,
        ProductionGuardError,
        UnknownNameError,
        VerificationFailedError,
    )

    if result.would_collide:
        raise CollisionError(
            f"plan --check: apply would refuse: {result.would_collide} rows collide with rows "
            "seedctl did not write (listed above)"
        )
    if result.environment == "production":
        raise ProductionGuardError(
            "plan --check: apply would refuse: the database is marked production (apply needs "
            "--allow-production there)"
        )
    if result.missing_tables and not result.embedded:
        raise UnknownNameError(
            f"plan --check: apply would refuse without --create-schema: "
            f"{len(result.missing_tables)} target tables are missing "
            f"({', '.join(result.missing_tables[:3])}"
            f"{', ...' if len(result.missing_tables) > 3 else ''}); run `seedctl schema create`"
        )
    if result.pending:
        raise VerificationFailedError(
            f"plan --check: {result.pending} commands of the log are pending; apply would "
            f"write {result.would_write} rows"
        )


def render_plan(result: PlanResult, as_json: bool) -> None:
    """The per-entity table and notes, or one JSON object."""
    if as_json:
        payload = dataclasses.asdict(result)
        payload.update(
            pending=result.pending,
            would_write=result.would_write,
            would_collide=result.would_collide,
        )
        print_json(payload)
        return
    columns = [
        "entity",
        "commands",
        "applied",
        "pending",
        "would insert",
        "would update",
        "unchanged",
        "would collide",
        "would delete",
        "batches",
    ]
    rows = [
        (
            name,
            e.commands,
            e.applied,
            e.pending,
            e.would_insert,
            e.would_update,
            e.unchanged,
            e.would_collide,
            e.would_delete,
            e.batches,
        )
        for name, e in result.entities.items()
    ]
    print_table(f"plan {result.log_path} -> {result.database}", columns, rows)
    console.print(
        f"{result.pending} commands pending in {result.batches} "
        f"batch{'' if result.batches == 1 else 'es'}; apply would write "
        f"{result.would_write} rows and remove {result.would_delete}; nothing was written "
        "to the database",
        markup=False,
    )
    for note in result.notes:
        console.print(f"note: {note}", markup=False)
    for collision in result.collisions:
        console.print(f"collision: {collision}", markup=False)
    for dependent in result.dependents:
        console.print(f"dependent: {dependent}", markup=False)
    if result.report_path:
        console.print(f"report written to {result.report_path}", markup=False)
