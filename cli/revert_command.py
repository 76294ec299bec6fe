"""``seedctl revert``: undo exactly what the ledger says the seed wrote."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from seedctl.cli.options import (
    BatchSizeOption,
    DatabaseUrlOption,
    JsonOption,
    RetryForOption,
    WaitTimeoutOption,
)
from seedctl.cli.output import console, error_console, print_json, print_table
from seedctl.cli.progress import RevertProgress
from seedctl.cli.target import announce_target

__all__ = ["revert_command"]


def revert_command(
    *,
    log: Annotated[
        Path | None, typer.Option("--log", help="Revert the tenant this log seeds.")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option(help="Revert this tenant (instead of --log).")
    ] = None,
    runs: Annotated[
        int | None, typer.Option("--runs", min=1, help="Undo only the latest N apply runs.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Revert even rows someone changed after the seed wrote them."),
    ] = False,
    cascade: Annotated[
        bool,
        typer.Option(
            "--cascade",
            help="Let the database delete or change rows outside the ledger that point at "
            "seeded rows (ON DELETE CASCADE, SET NULL, SET DEFAULT); listed in the summary.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Only say what revert would delete, restore and cascade. Read-only."
        ),
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask before reverting (only a terminal is asked)."),
    ] = False,
    allow_production: Annotated[
        bool,
        typer.Option("--allow-production", help="Revert even on a database marked production."),
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail at once if another run holds the tenant's lock.")
    ] = False,
    wait_timeout: WaitTimeoutOption = None,
    database_url: DatabaseUrlOption = None,
    batch_size: BatchSizeOption = 1000,
    retry_for: RetryForOption = 30.0,
    as_json: JsonOption = False,
) -> None:
    """Undo the seed newest first: inserted rows deleted, updated rows restored, ledger rows gone.

    On a terminal it asks first, naming the database and the rows (--yes skips the
    question; scripts and pipes are never asked). Resumable: a killed revert finishes
    when run again. Exit codes: 0 done, 1 declined at the question, 2 bad option or a
    tenant without apply runs, 3 bad log, 4 database unreachable (also after --retry-for)
    or a missing privilege, 6 lock busy (--no-wait or --wait-timeout) or locks held past
    --retry-for, 7 production guard, 9 drift (rows changed since seeded; nothing
    reverted), 10 unknown table, 12 rows outside the ledger would be deleted or changed
    (--cascade) or would make the delete fail, 130 interrupted (Ctrl-C; a rerun resumes).
    """
    import functools
    import sys

    from seedctl.cli.version import seedctl_version
    from seedctl.engine.db import RetryPolicy
    from seedctl.engine.revert import revert
    from seedctl.ledger import SeedctlError

    announce_target(database_url, log=log)
    run = functools.partial(
        revert,
        database_url=database_url,
        log_path=log,
        tenant=tenant,
        runs=runs,
        force=force,
        cascade=cascade,
        page_rows=batch_size,
        retry=RetryPolicy(window=retry_for),
        version=seedctl_version(),
        wait_timeout_s=wait_timeout,
    )
    if not dry_run and not yes and not as_json and sys.stdin.isatty():
        preview = run(dry_run=True)
        rows = sum(preview.deleted.values()) + sum(preview.restored.values())
        if rows and not typer.confirm(
            f"Revert tenant {preview.tenant} on {preview.database}: delete "
            f"{sum(preview.deleted.values())} and restore {sum(preview.restored.values())} rows"
            + (f", cascading to {sum(preview.cascaded.values())} more" if preview.cascaded else "")
            + "?",
            default=False,
            err=True,
        ):
            raise SeedctlError("revert declined at the question; nothing was reverted")
    observer = RevertProgress()
    try:
        result = run(
            dry_run=dry_run,
            allow_production=allow_production,
            wait=not no_wait,
            observer=observer,
        )
    finally:
        observer.close()
    if as_json:
        payload = dataclasses.asdict(result)
        payload["elapsed_s"] = round(result.elapsed_s, 3)
        payload["cascaded"] = result.cascaded
        print_json(payload)
        return
    tables = sorted(set(result.deleted) | set(result.restored))
    verb = "would delete" if result.dry_run else "deleted"
    print_table(
        f"revert {result.tenant} on {result.database}" + (" (dry run)" if result.dry_run else ""),
        ["table", verb, "would restore" if result.dry_run else "restored"],
        [(t, result.deleted.get(t, 0), result.restored.get(t, 0)) for t in tables],
    )
    for warning in result.warnings:
        error_console.print(f"warning: {warning}", markup=False)
    if result.dependents:
        print_table(
            "rows outside the ledger",
            ["table", "rows", "foreign key", "on delete", "refers to"],
            [(d.table, d.rows, d.key, d.action, d.parent) for d in result.dependents],
        )
    if result.dry_run:
        console.print("dry run: nothing was written", markup=False)
        return
    if not result.reverted_runs:
        console.print(
            "nothing to revert: the ledger holds no applied runs for this tenant", markup=False
        )
    else:
        console.print(
            f"reverted {len(result.reverted_runs)} apply run(s) in {result.elapsed_s:.2f}s"
            + (
                f"; ignored drift in {len(result.drift_ignored)} rows (--force)"
                if result.drift_ignored
                else ""
            ),
            markup=False,
        )
