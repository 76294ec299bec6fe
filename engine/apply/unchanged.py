"""The no-op rerun's report, built without the database stack.

Most reruns are of the file the last apply applied: then nothing is scanned,
written or re-counted, and a small rerun's time is the interpreter and its imports.
The CLI asks the ledger's ``last_apply`` with psycopg alone, before SQLAlchemy, the
catalog or the scenario are imported, and reports with :func:`nothing_to_do`; so
does ``apply_log`` when it finds the same inside a full run.
"""

from __future__ import annotations

import time
from pathlib import Path

import structlog
from seedctl.engine.apply.result import ApplyResult, EntityTally
from seedctl.ledger.last_apply import LastApply

__all__ = ["CONNECT_TIMEOUT_S", "nothing_to_do"]

log = structlog.get_logger("seedctl.apply")

CONNECT_TIMEOUT_S = 10
"""As the full run's first connection: a server that is down fails here as it would there."""


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
    order = last.entity_order or []
    for entity, n in sorted(
        last.commands.items(),
        key=lambda item: order.index(item[0]) if item[0] in order else len(order),
    ):
        result.entities[entity] = EntityTally(
            commands=n, already=n, expected_rows=last.rows.get(entity, 0), found_rows=None
        )
    log.info("apply_nothing_to_do", tenant=tenant, unchanged_since_run=last.run_id)
    return result
