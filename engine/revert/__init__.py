"""Revert: undo what the ledger says this tenant's seed wrote, newest first. Writes."""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.revert.reverter import RevertObserver, RevertProgress, RevertResult, revert

__all__ = [
    "RevertObserver",
    "RevertProgress",
    "RevertResult",
    "revert",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".reverter": ("RevertObserver", "RevertProgress", "RevertResult", "revert"),
    },
)
