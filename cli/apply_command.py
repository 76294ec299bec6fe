"""``seedctl apply``: replay the log into PostgreSQL exactly once."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from seedctl.cli.options import (
    BatchSizeOption,
    DatabaseUrlOption,
    JsonOption,
    RetryForOption,
    WaitTimeoutOption,
)
from seedctl.cli.output import console, print_json, print_table, say
from seedctl.cli.progress import ApplyProgress
from seedctl.cli.scenario_options import (
    AsOfOption,
    ScaleOption,
    ScenarioOption,
    SeedOption,
    ensure_log,
)
from seedctl.cli.target import announce_target, quick_rerun

if TYPE_CHECKING:
    from seedctl.engine.apply import ApplyResult

__all__ = ["apply"]


class DriftPolicy(StrEnum):
    fail = "fail"
    skip = "skip"
    overwrite = "overwrite"


def apply(
    *,
    log: Annotated[
        Path | None,
        typer.Option(
            "--log",
            help="The log to apply. Without it, the scenario is generated into "
            "$SEEDCTL_HOME/logs/<scenario>.log (./.seedctl by default) first, then applied.",
        ),
    ] = None,
    scenario: ScenarioOption = None,
    seed: SeedOption = None,
    as_of: AsOfOption = None,
    scale: ScaleOption = None,
    database_url: DatabaseUrlOption = None,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Fail at once if another run holds the tenant's lock.")
    ] = False,
    wait_timeout: WaitTimeoutOption = None,
    allow_production: Annotated[
        bool, typer.Option("--allow-production", help="Apply even to a database marked production.")
    ] = False,
    create_schema: Annotated[
        bool | None,
        typer.Option(
            "--create-schema/--no-create-schema",
            help="Create the scenario's tables if missing "
            "[default: only on the embedded database].",
        ),
    ] = None,
    lock_timeout: Annotated[
        float | None,
        typer.Option(
            "--lock-timeout",
            help="Seconds to wait for a row or table lock before retrying the batch.",
            min=0.001,
        ),
    ] = None,
    on_drift: Annotated[
        DriftPolicy,
        typer.Option(
            "--on-drift",
            help="What to do with a pending command whose row someone changed since the "
            "seed wrote it: fail (exit 9, nothing written), skip it (it stays pending) or "
            "overwrite (the before-image stays in the ledger).",
        ),
    ] = DriftPolicy.fail,
    batch_size: BatchSizeOption = 1000,
    writers: Annotated[
        int,
        typer.Option(
            "--writers",
            help="Connections writing batches at once (only batches of one table with "
            "disjoint rows and no self-reference overlap).",
            min=1,
            max=16,
        ),
    ] = 2,
    retry_for: RetryForOption = 30.0,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune/--no-prune",
            help="Delete the rows a later generation of the log no longer makes (only rows "
            "this tenant's seed wrote; their images stay in the ledger for revert). "
            "--no-prune keeps them and leaves their deletes pending.",
        ),
    ] = True,
    cascade: Annotated[
        bool,
        typer.Option(
            "--cascade",
            help="Let those deletes take rows seedctl did not write along by ON DELETE "
            "CASCADE or SET NULL keys (without it such rows stop the run, exit 12).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Apply every pending command of the log: target rows and ledger rows commit together.

    A rerun writes nothing; a killed run resumes where it stopped. Exit codes: 0 done,
    1 PostgreSQL refused a batch, 2 bad option, 3 bad log, 4 database unreachable (also
    after --retry-for) or a missing privilege, 5 collision, 6 lock busy (--no-wait or
    --wait-timeout) or locks held past --retry-for, 7 production guard, 8 post-seed check
    failed, 9 drift (--on-drift fail), 10 the log does not fit the tables or a value its
    column, 11 ledger from a newer seedctl, 12 a row to remove has rows seedctl did not
    write hanging on it (see --cascade, --no-prune), 130 interrupted (Ctrl-C; a rerun
    resumes).
    """
    from seedctl.cli.version import seedctl_version
    from seedctl.ledger.logfile import file_sha256_soon

    # Hash a given log while the database stack imports; a generated one once written.
    hashing = file_sha256_soon(log) if log is not None and scenario is None else None
    log_path = ensure_log(log, scenario, seed, as_of, scale, quiet=as_json)
    if hashing is None:
        hashing = file_sha256_soon(log_path)
    quick = quick_rerun(
        database_url, log=log_path, log_sha256=hashing, allow_production=allow_production
    )
    if quick is not None:
        render_apply(quick, as_json)
        return
    announce_target(database_url, log=log_path)
    from seedctl.engine.apply import apply_log
    from seedctl.engine.db import RetryPolicy

    progress = ApplyProgress()
    try:
        result = apply_log(
            log_path,
            database_url=database_url,
            wait=not no_wait,
            wait_timeout_s=wait_timeout,
            allow_production=allow_production,
            create_schema=create_schema,
            observer=progress,
            max_rows=batch_size,
            writers=writers,
            log_sha256=hashing,
            on_drift=on_drift.value,
            retry=RetryPolicy(window=retry_for),
            lock_timeout_ms=None if lock_timeout is None else int(lock_timeout * 1000),
            version=seedctl_version(),
            on_warning=warn,
            prune=prune,
            cascade=cascade,
        )
    finally:
        progress.close()
    render_apply(result, as_json)


def warn(event: str, text: str) -> None:
    """An engine warning, shown before the run writes anything."""
    say(event, f"warning: {text}")


def render_apply(result: ApplyResult, as_json: bool) -> None:
    """The summary table, or one JSON object."""
    if as_json:
        payload = dataclasses.asdict(result)
        payload["written"] = result.written
        payload["pending"] = result.pending
        payload["elapsed_s"] = round(result.elapsed_s, 3)
        print_json(payload)
        return
    rows = [
        (
            e,
            t.commands,
            t.already,
            t.inserted,
            t.updated,
            t.unchanged,
            t.deleted,
            t.skipped,
            t.found_rows,
        )
        for e, t in result.entities.items()
    ]
    overwritten = sum(t.drift_overwritten for t in result.entities.values())
    kept = sum(t.drift_skipped for t in result.entities.values())
    kept_removed = sum(t.kept for t in result.entities.values())
    columns = [
        "entity",
        "commands",
        "before",
        "inserted",
        "updated",
        "unchanged",
        "deleted",
        "skipped",
        "rows",
    ]
    print_table(f"apply {result.log_path} -> {result.database}", columns, rows)
    if result.unchanged_since_run is not None:
        console.print(
            f"nothing to apply: the log is unchanged since run {result.unchanged_since_run}, "
            "which applied all of it; no table was written "
            f"({result.elapsed_s:.2f}s). `seedctl verify` re-checks the rows.",
            markup=False,
        )
    elif result.run_id is None:
        console.print(
            f"nothing to apply: all {sum(t.commands for t in result.entities.values())} commands "
            f"are already in the ledger; no table was written ({result.elapsed_s:.2f}s)",
            markup=False,
        )
    else:
        console.print(
            f"run {result.run_id}: {result.written} rows written in {result.elapsed_s:.2f}s; "
            f"log digest {result.log_digest}",
            markup=False,
        )
    if overwritten:
        console.print(
            f"overwrote {overwritten} rows changed since the seed wrote them (--on-drift "
            "overwrite); `seedctl audit` shows their before-images",
            markup=False,
        )
    if kept:
        console.print(
            f"left {kept} rows changed since the seed wrote them as they are (--on-drift skip); "
            "their commands stay pending",
            markup=False,
        )
    if kept_removed:
        console.print(
            f"kept {kept_removed} rows a later generation of the log removed (--no-prune); "
            "their deletes stay pending",
            markup=False,
        )
