"""Verify: prove the database holds what the log and the ledger say. Read-only."""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.verify.verifier import (
        KINDS,
        Difference,
        EntityCheck,
        VerifyResult,
        verify_log,
    )

__all__ = [
    "KINDS",
    "Difference",
    "EntityCheck",
    "VerifyResult",
    "verify_log",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".verifier": ("KINDS", "Difference", "EntityCheck", "VerifyResult", "verify_log"),
    },
)
