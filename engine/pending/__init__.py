"""What is pending: one verifying scan of the log, and the pure planner that cuts
the commands the ledger lacks into batches. Apply and plan share both, so a dry
run shows exactly what apply would do.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.pending.planner import MAX_BATCH_ROWS, Batch, PendingCommand, plan_batches
    from seedctl.engine.pending.scan import LogScan, iter_entries, scan_log

__all__ = [
    "MAX_BATCH_ROWS",
    "Batch",
    "LogScan",
    "PendingCommand",
    "iter_entries",
    "plan_batches",
    "scan_log",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".planner": ("MAX_BATCH_ROWS", "Batch", "PendingCommand", "plan_batches"),
        ".scan": ("LogScan", "iter_entries", "scan_log"),
    },
)
