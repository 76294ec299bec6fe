"""Plan: the spec's dry run. What apply would do, batch by batch, and its markdown
report. Read-only: PostgreSQL itself refuses writes.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.plan.dry_run import plan_log
    from seedctl.engine.plan.report import (
        DEFAULT_REPORT_PATH,
        render_plan_report,
        write_plan_report,
    )
    from seedctl.engine.plan.result import EntityPlan, PlanResult

__all__ = [
    "DEFAULT_REPORT_PATH",
    "EntityPlan",
    "PlanResult",
    "plan_log",
    "render_plan_report",
    "write_plan_report",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".dry_run": ("plan_log",),
        ".report": ("DEFAULT_REPORT_PATH", "render_plan_report", "write_plan_report"),
        ".result": ("EntityPlan", "PlanResult"),
    },
)
