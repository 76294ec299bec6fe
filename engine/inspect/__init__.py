"""Inspect: read-only questions about the ledger, ``status`` and ``audit``."""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.inspect.queries import AuditEntry, RunInfo, StatusReport, audit, status

__all__ = [
    "AuditEntry",
    "RunInfo",
    "StatusReport",
    "audit",
    "status",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".queries": ("AuditEntry", "RunInfo", "StatusReport", "audit", "status"),
    },
)
