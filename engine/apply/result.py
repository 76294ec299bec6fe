"""What an apply did: per-entity tallies and the run's summary, for the table and ``--json``.

Plain data in a module of its own, so that the no-op rerun (``unchanged``) can answer
without importing the database stack the applier needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ApplyResult", "EntityTally"]


@dataclass
class EntityTally:
    """Per entity: commands in the log, what this run did with each, rows found after."""

    commands: int = 0
    already: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    expected_rows: int = 0
    found_rows: int | None = 0
    drift_overwritten: int = 0
    """Rows changed since the seed wrote them that this run overwrote (``--on-drift
    overwrite``); their before-images are in the ledger."""
    drift_skipped: int = 0
    """Commands left pending because their row changed since (``--on-drift skip``)."""
    deleted: int = 0
    """Rows this run removed: a later generation no longer makes them."""
    absent: int = 0
    """Deletes with nothing to remove (never applied, or gone already): recorded only."""
    kept: int = 0
    """Deletes left pending (``--no-prune``): the rows stay."""
    dropped: int = 0
    """Deletes a later generation overrode (it made the row again): never applied."""


@dataclass
class ApplyResult:
    """What an apply did, for the summary table and ``--json``."""

    tenant: str
    scenario: str
    log_path: str
    log_digest: str
    database: str
    run_id: str | None
    elapsed_s: float
    entities: dict[str, EntityTally] = field(default_factory=dict)
    unchanged_since_run: str | None = None
    """Set when the log file is byte-identical to the one the last successful apply
    covered whole: then nothing was scanned, written or re-counted."""

    @property
    def written(self) -> int:
        return sum(t.inserted + t.updated + t.deleted for t in self.entities.values())

    @property
    def pending(self) -> int:
        return sum(t.commands - t.already - t.dropped for t in self.entities.values())
