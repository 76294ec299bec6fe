"""The no-op rerun's question, asked with psycopg alone: is this file what the ledger has?

A rerun of the exact file the tenant's last successful apply covered, with the
ledger holding what that run left, writes nothing. The CLI asks it before the
database stack is imported (most of a small rerun's time), and ``apply_log`` asks it
again under the tenant's lock, on its own connection. Any doubt (no ledger, another
version, a production mark, another run holding the tenant's lock) answers None:
the full run then decides, and says why (or waits). Read-only, in one snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from seedctl.ledger.version import LEDGER_SCHEMA_VERSION, TENANT_LOCK_CLASS

__all__ = ["LastApply", "unchanged_last_apply"]

_LAST_RUN = """
SELECT r.run_id::text, r.kind, r.status, r.log_file_sha256, r.log_digest, r.scenario, r.counts,
    (SELECT value FROM seedctl.meta WHERE key = 'schema_version'),
    (SELECT value FROM seedctl.meta WHERE key = 'environment')
FROM seedctl.runs r WHERE r.tenant = %s ORDER BY r.started_at DESC LIMIT 1
"""


@dataclass(frozen=True)
class LastApply:
    """The successful apply whose file this is, with what it counted."""

    run_id: str
    scenario: str
    log_digest: str
    commands: dict[str, int]
    rows: dict[str, int]
    entity_order: list[str] | None
    """The scenario's entities, parents first; None for a run recorded before seedctl
    kept it (the caller then asks the scenario)."""


def unchanged_last_apply(
    conn: psycopg.Connection[Any],
    tenant: str,
    log_sha256: Callable[[], str],
    *,
    allow_production: bool,
) -> LastApply | None:
    """The last run, if it applied this exact file whole and the ledger still holds what it
    left; None if in any doubt. ``conn`` must not be in a transaction; it ends in none.

    ``log_sha256`` is asked only once a successful apply could match: hashing a large
    file takes a while, and a first apply need not wait for it here."""
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # A run under way holds the tenant's lock, perhaps before its run row exists:
        # then this is not the last apply's state; the full run waits, or fails at once.
        cur.execute(
            "SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", (TENANT_LOCK_CLASS, tenant)
        )
        locked = cur.fetchone()
        if locked is None or not locked[0]:
            return None
        cur.execute(
            "SELECT to_regclass('seedctl.runs') IS NOT NULL AND "
            "to_regclass('seedctl.meta') IS NOT NULL AND to_regclass('seedctl.applied') IS NOT NULL"
        )
        found = cur.fetchone()
        if found is None or not found[0]:
            return None
        cur.execute(_LAST_RUN, (tenant,))
        last = cur.fetchone()
        if last is None:
            return None
        run_id, kind, status, file_sha, digest, scenario, counts, version, environment = last
        if (
            version != str(LEDGER_SCHEMA_VERSION)
            or (environment == "production" and not allow_production)
            or kind != "apply"
            or status != "succeeded"
            or file_sha != log_sha256()
            or not isinstance(counts, dict)
            or not isinstance(counts.get("ledger_rows"), int)
        ):
            return None
        cur.execute("SELECT count(*) FROM seedctl.applied WHERE tenant = %s", (tenant,))
        counted = cur.fetchone()
        if counted is None or counted[0] != counts["ledger_rows"]:
            return None  # someone edited the ledger since: the full run takes the exact path
        return LastApply(
            run_id=run_id,
            scenario=scenario or "",
            log_digest=digest or "",
            commands=dict(counts.get("commands", {})),
            rows=dict(counts.get("rows", {})),
            entity_order=_entity_order(counts.get("entity_order")),
        )


def _entity_order(value: object) -> list[str] | None:
    return [str(e) for e in value] if isinstance(value, list) else None
