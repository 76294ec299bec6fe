"""``seedctl status`` and ``seedctl audit``: what exactly did the seed write."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from seedctl.cli.options import DatabaseUrlOption, JsonOption
from seedctl.cli.output import console, print_json, print_table
from seedctl.ledger import ConfigError

__all__ = ["audit", "status"]


def status(
    *,
    log: Annotated[
        Path | None,
        typer.Option("--log", help="Also count this log's pending commands."),
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    runs: Annotated[int, typer.Option(help="How many recent runs to list.", min=1)] = 10,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show recent runs, applied commands per entity and (with --log) pending ones. Read-only."""
    from seedctl.engine.inspect import status as ledger_status

    report = ledger_status(database_url=database_url, log_path=log, tenant=tenant, limit=runs)
    if as_json:
        print_json(dataclasses.asdict(report))
        return
    console.print(
        f"{report.database} (environment: {report.environment or 'unmarked'}); "
        f"tenants: {', '.join(report.tenants) or 'none'}",
        markup=False,
    )
    print_table(
        "runs (newest first)",
        ["run", "tenant", "kind", "status", "started", "finished", "by"],
        [
            (
                r.run_id,
                r.tenant,
                r.kind,
                r.status,
                f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                f"{r.finished_at:%H:%M:%S}" if r.finished_at else "",
                f"{r.os_user or '?'}@{r.host or '?'}",
            )
            for r in report.runs
        ],
    )
    entities = sorted(set(report.applied) | set(report.pending or {}))
    columns = ["entity", "applied"] + (["pending"] if report.pending is not None else [])
    rows = [
        (
            e,
            report.applied.get(e, 0),
            *([report.pending.get(e, 0)] if report.pending is not None else []),
        )
        for e in entities
    ]
    print_table("commands per entity", columns, rows)


def audit(
    *,
    entity: Annotated[str | None, typer.Option(help="Only rows of this entity.")] = None,
    row_id: Annotated[str | None, typer.Option("--id", help="Only this row id (UUID).")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries.", min=1)] = 100,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """For each seeded row: the commands that wrote it, their run, time, outcome, before and after.

    Read-only. Newest first.
    """
    if row_id is not None:
        try:
            row_id = str(uuid.UUID(row_id))
        except ValueError:
            raise ConfigError(f"--id must be a UUID, not {row_id!r}") from None
    from seedctl.engine.inspect import audit as audit_entries

    entries = audit_entries(
        database_url=database_url, tenant=tenant, entity=entity, row_id=row_id, limit=limit
    )
    if as_json:
        print_json({"entries": [dataclasses.asdict(e) for e in entries]})
        return
    if not entries:
        console.print("no ledger entries match", markup=False)
        return
    for e in entries:
        console.print(
            f"{e.applied_at:%Y-%m-%d %H:%M:%S} {e.outcome:<9} {e.entity} {e.row_id} "
            + (f"key {json.dumps(e.row_key, sort_keys=True)} " if e.row_key else "")
            + f"(seq {e.seq}, command {e.command_hash[:12]}, "
            f"run {e.run_id} {e.run_kind}/{e.run_status})",
            markup=False,
        )
        if e.before is not None:
            changed = {k: (e.before.get(k), v) for k, v in e.after.items() if e.before.get(k) != v}
            for column, (old, new) in changed.items():
                console.print(f"    {column}: {json.dumps(old)} -> {json.dumps(new)}", markup=False)
        else:
            console.print(f"    after: {json.dumps(e.after, sort_keys=True)}", markup=False)
