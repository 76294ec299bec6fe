"""The no-op rerun, answered before the database stack is imported.

Most reruns are of the file the last apply applied: then nothing is scanned,
written or re-counted, and a small rerun's time is the interpreter and its imports.
This path needs psycopg alone (the ledger's ``last_apply``), not SQLAlchemy, the
catalog or the scenario. Whatever it cannot vouch for, it leaves to ``apply_log``,
which asks the same question again and answers every other case.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import structlog
from seedctl.engine.apply.result import ApplyResult, EntityTally
from seedctl.ledger.last_apply import LastApply, unchanged_last_apply

__all__ = ["nothing_to_do", "unchanged_rerun"]

log = structlog.get_logger("seedctl.apply")

CONNECT_TIMEOUT_S = 10
"""As the full run's first connection: a server that is down fails here as it would there."""


def unchanged_rerun(
    conn: psycopg.Connection[tuple[object, ...]],
    *,
    tenant: str,
    log_path: Path,
    log_sha256: str,
    allow_production: bool,
    database: str,
    started: float,
) -> ApplyResult | None:
    """The result of applying ``log_path`` if the last apply covered this exact file, else
    None. Read-only; ``conn`` is any connection to the target."""
    last = unchanged_last_apply(conn, tenant, log_sha256, allow_production=allow_production)
    if last is None:
        return None
    return nothing_to_do(last, log_path, tenant, database, started)


def nothing_to_do(
    last: LastApply, log_path: Path, tenant: str, database: str, started: float
) -> ApplyResult:
    """What a rerun of the file ``last`` applied reports: every command already applied."""
    result = ApplyResult(
        tenant=tenant,
        scenario=last.scenario,
        log_path=str(log_path),
        log_digest=last.log_digest,
        database=database,
        run_id=None,
        elapsed_s=time.monotonic() - started,
        unchanged_since_run=last.run_id,
    )
    order = last.entity_order
    for entity, n in sorted(
        last.commands.items(),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    ):
        result.entities[entity] = EntityTally(
            commands=n, already=n, expected_rows=last.rows.get(entity, 0), found_rows=None
        )
    log.info("apply_nothing_to_do", tenant=tenant, unchanged_since_run=last.run_id)
    return result
