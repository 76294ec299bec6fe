"""``seedctl status`` and ``seedctl audit``: what exactly did the seed write."""

from __future__ import annotations

import dataclasses
import difflib
import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from seedctl.cli.options import DatabaseUrlOption, JsonOption
from seedctl.cli.output import console, print_json, print_table
from seedctl.cli.target import announce_target
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
    """Show recent runs, applied commands per entity and (with --log) pending ones. Read-only.

    A run still marked running shows as `running` while a session holds its tenant's lock,
    else as `running (dead)`. Exit codes: 0 shown, 2 bad option or a --tenant the ledger
    does not know, 3 bad log, 4 database unreachable, 10 unknown table or column.
    """
    announce_target(database_url, log=log)
    from seedctl.engine.inspect import status as ledger_status

    report = ledger_status(database_url=database_url, log_path=log, tenant=tenant, limit=runs)
    if tenant is not None and tenant not in report.tenants:
        raise ConfigError(unknown_tenant(tenant, report.tenants))
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
                _status_text(r.status, r.alive),
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


def _status_text(status: str, alive: bool | None) -> str:
    if alive is False:
        return f"{status} (dead: no session holds the lock)"
    return status


def unknown_tenant(tenant: str, tenants: list[str]) -> str:
    """The message for a --tenant the ledger has never seen."""
    close = difflib.get_close_matches(tenant, tenants, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"--tenant {tenant!r} matches no tenant in the ledger; tenants: "
        f"{', '.join(tenants) or 'none'}{hint}"
    )


def _known_entities(applied: list[str]) -> list[str]:
    from seedctl.engine.scenarios import get_scenario, registry

    names = set(applied)
    for name in registry.scenario_names():
        names.update(get_scenario(name).entity_tables)
    return sorted(names)


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

    Read-only. Newest first. Exit codes: 0 shown (also when nothing matches), 2 bad
    option, or an --entity or --tenant that matches nothing known, 4 database unreachable.
    """
    if row_id is not None:
        try:
            row_id = str(uuid.UUID(row_id))
        except ValueError:
            raise ConfigError(f"--id must be a UUID, not {row_id!r}") from None
    announce_target(database_url)
    from seedctl.engine.inspect import audit as audit_entries

    entries = audit_entries(
        database_url=database_url, tenant=tenant, entity=entity, row_id=row_id, limit=limit
    )
    if not entries and (entity is not None or tenant is not None):
        _explain_no_match(database_url, entity, tenant)
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


def _explain_no_match(database_url: str | None, entity: str | None, tenant: str | None) -> None:
    """Raise when a filter names an entity or tenant nothing knows (a typo, not an empty match)."""
    from seedctl.engine.inspect import status as ledger_status

    report = ledger_status(database_url=database_url, limit=1)
    if tenant is not None and tenant not in report.tenants:
        raise ConfigError(unknown_tenant(tenant, report.tenants))
    if entity is not None:
        known = _known_entities(list(report.applied))
        if entity not in known:
            close = difflib.get_close_matches(entity, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"--entity {entity!r} is not an entity of any known scenario; "
                f"known: {', '.join(known)}{hint}"
            )
