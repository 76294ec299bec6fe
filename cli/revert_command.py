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
    WaitTimeoutOption,
)
from seedctl.cli.output import console, print_json, print_table
from seedctl.cli.progress import RevertProgress
from seedctl.cli.target import announce_target

__all__ = ["revert_command"]


def revert_command(
    *,
    log: Annotated[
        Path | None, typer.Option("--log", dir_okay=False, help="Revert the tenant this log seeds.")
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
    as_json: JsonOption = False,
) -> None:
    """Undo the seed newest first: inserted rows deleted, updated rows restored, ledger rows gone.

    Resumable: a killed revert finishes when run again. Exit codes: 0 done, 2 bad
    option, 3 bad log, 4 database unreachable, 6 lock busy (--no-wait or
    --wait-timeout), 7 production guard, 9 drift (rows changed since seeded; nothing
    reverted), 10 unknown table, 130 interrupted (Ctrl-C; a rerun resumes).
    """
    from seedctl.cli.version import seedctl_version
    from seedctl.engine.revert import revert

    announce_target(database_url, log=log)
    observer = RevertProgress()
    try:
        result = revert(
            database_url=database_url,
            log_path=log,
            tenant=tenant,
            runs=runs,
            force=force,
            allow_production=allow_production,
            wait=not no_wait,
            observer=observer,
            page_rows=batch_size,
            version=seedctl_version(),
            wait_timeout_s=wait_timeout,
        )
    finally:
        observer.close()
    if as_json:
        payload = dataclasses.asdict(result)
        payload["elapsed_s"] = round(result.elapsed_s, 3)
        print_json(payload)
        return
    tables = sorted(set(result.deleted) | set(result.restored))
    print_table(
        f"revert {result.tenant} on {result.database}",
        ["table", "deleted", "restored"],
        [(t, result.deleted.get(t, 0), result.restored.get(t, 0)) for t in tables],
    )
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
