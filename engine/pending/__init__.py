"""What is pending: one verifying scan of the log, and the pure planner that cuts
the commands the ledger lacks into batches; the drift, reference and removal
queries apply and plan share. Apply and plan share both, so a dry
run shows exactly what apply would do.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.pending.drift import (
        DRIFT_POLICIES,
        DriftedCommand,
        changed_rows,
        drifted_commands,
        drifted_rows,
    )
    from seedctl.engine.pending.planner import MAX_BATCH_ROWS, Batch, PendingCommand, plan_batches
    from seedctl.engine.pending.references import Resolved, resolve_references, unresolved
    from seedctl.engine.pending.removals import LATEST_ENTRIES, removable_rows
    from seedctl.engine.pending.scan import LogScan, iter_entries, scan_log

__all__ = [
    "DRIFT_POLICIES",
    "LATEST_ENTRIES",
    "MAX_BATCH_ROWS",
    "Batch",
    "DriftedCommand",
    "LogScan",
    "PendingCommand",
    "Resolved",
    "changed_rows",
    "drifted_commands",
    "drifted_rows",
    "iter_entries",
    "plan_batches",
    "removable_rows",
    "resolve_references",
    "scan_log",
    "unresolved",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".drift": (
            "DRIFT_POLICIES",
            "DriftedCommand",
            "changed_rows",
            "drifted_commands",
            "drifted_rows",
        ),
        ".planner": ("MAX_BATCH_ROWS", "Batch", "PendingCommand", "plan_batches"),
        ".references": ("Resolved", "resolve_references", "unresolved"),
        ".removals": ("LATEST_ENTRIES", "removable_rows"),
        ".scan": ("LogScan", "iter_entries", "scan_log"),
    },
)
