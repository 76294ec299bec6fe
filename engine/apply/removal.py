"""Before the first write: what apply's pending deletes would remove, and whom it would hurt.

A generation that no longer makes a row records a delete; apply removes the row
only if this tenant's seed wrote it. Deleting it may reach rows seedctl did not
write through foreign keys (an app row pointing at a seeded user, ``ON DELETE
CASCADE``): those stop the run before anything is written, as they stop a revert,
unless ``--cascade`` lets the database take them along. Writes no row.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from seedctl.engine.db import RunSession
from seedctl.engine.pending import LogScan, removable_rows
from seedctl.engine.target import Dependent, Doomed, Target, find_dependents
from seedctl.ledger import store

__all__ = ["Removal", "survey_removal"]


@dataclass
class Removal:
    """Per table: command ids of the pending deletes, and the rows they would remove now."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    digests: set[bytes] = field(default_factory=set)
    removable: dict[str, list[str]] = field(default_factory=dict)
    dependents: list[Dependent] = field(default_factory=list)


def survey_removal(
    session: RunSession, scan: LogScan, target: Target, applied: Container[bytes]
) -> Removal:
    """The pending deletes of ``scan`` (those not ``applied``), what they would remove, and
    the rows outside the ledger that hang on those. One pass over the log; writes no row
    (it refreshes the ledger's statistics when they are stale)."""
    removal = Removal()
    if not scan.deletes:
        return removal
    for _, digest, command in scan.entries(applied):
        raw = bytes.fromhex(digest)
        if command.op == "delete" and raw not in applied:
            removal.ids.setdefault(command.table, []).append(command.id)
            removal.digests.add(raw)
    tenant = session.tenant
    with session.transaction() as conn:
        store.analyze_if_stale(conn)  # a large first apply just wrote the ledger
    with session.transaction(), session.raw.cursor() as cur:
        for table, ids in removal.ids.items():
            found = removable_rows(cur, target.tables[table], ids, tenant=tenant)
            if found:
                removal.removable[table] = found
        specs = [target.tables[t] for t in removal.removable]
        if specs:
            removal.dependents = find_dependents(
                cur, specs, Doomed.removing(tenant, removal.removable)
            )
    return removal
