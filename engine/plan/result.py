"""What a dry run found: per-entity counts and notes. Plain data, shared by the
dry run that fills it and the report and CLI that render it."""

from __future__ import annotations

from dataclasses import dataclass, field

from seedctl.ledger import JsonScalar

__all__ = ["EntityPlan", "PlanResult"]


@dataclass
class EntityPlan:
    """Per entity: commands in the log, already applied, pending, and what apply would do."""

    table: str
    commands: int = 0
    applied: int = 0
    pending: int = 0
    would_insert: int = 0
    would_update: int = 0
    unchanged: int = 0
    would_collide: int = 0
    batches: int = 0
    would_delete: int = 0
    """Rows a later generation no longer makes that this tenant's seed wrote: apply removes them."""

    def count(self, outcome: str) -> None:
        """Add one row with ``outcome`` (insert, update, unchanged or collide)."""
        name = {"insert": "would_insert", "update": "would_update", "collide": "would_collide"}
        attribute = name.get(outcome, outcome)
        setattr(self, attribute, getattr(self, attribute) + 1)


@dataclass
class PlanResult:
    """The dry run: per-entity counts, batches, and what a user should know before applying."""

    tenant: str
    scenario: str
    params: dict[str, JsonScalar]
    log_path: str
    log_digest: str
    database: str
    embedded: bool
    environment: str | None
    ledger_exists: bool
    batch_size: int
    missing_tables: list[str] = field(default_factory=list)
    entities: dict[str, EntityPlan] = field(default_factory=dict)
    batches: int = 0
    collisions: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    """Pending commands whose row someone changed since the seed wrote it (``table id
    (log:line)``): apply stops on them unless told ``--on-drift skip|overwrite``."""
    notes: list[str] = field(default_factory=list)
    report_path: str | None = None
    removed: dict[str, list[str]] = field(default_factory=dict)
    """Per table, the command ids of the rows apply would remove."""
    dependents: list[str] = field(default_factory=list)
    """Rows seedctl did not write that hang on rows apply would remove (apply: exit 12)."""

    @property
    def pending(self) -> int:
        return sum(e.pending for e in self.entities.values())

    @property
    def would_write(self) -> int:
        """Rows apply would insert or update (none at all if any row collides)."""
        return sum(e.would_insert + e.would_update for e in self.entities.values())

    @property
    def would_delete(self) -> int:
        return sum(e.would_delete for e in self.entities.values())

    @property
    def would_collide(self) -> int:
        return sum(e.would_collide for e in self.entities.values())
