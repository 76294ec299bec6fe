"""Apply: bring the database up to the log, exactly once, resumably. Writes.

``applier`` runs the batches; ``batch_sql`` and ``batch_writer`` build and write
one batch (COPY, upsert, ledger rows, one transaction); ``copy_text`` and
``copy_binary`` encode rows; ``dispatch`` spreads batches over writers and
``prefetch`` prepares the next ones in a thread. ``unchanged`` reports a no-op rerun
without the database stack; ``result`` is what an apply reports.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.apply.applier import ApplyObserver, apply_log
    from seedctl.engine.apply.result import ApplyResult, EntityTally
    from seedctl.engine.apply.unchanged import nothing_to_do

__all__ = [
    "ApplyObserver",
    "ApplyResult",
    "EntityTally",
    "apply_log",
    "nothing_to_do",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".applier": ("ApplyObserver", "apply_log"),
        ".result": ("ApplyResult", "EntityTally"),
        ".unchanged": ("nothing_to_do",),
    },
)
