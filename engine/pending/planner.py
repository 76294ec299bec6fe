"""The planner: which commands are pending, cut into batches. Pure: no database, no I/O.

Apply and plan share it, so a dry run shows exactly what apply would do. Pending
means the command's hash is not in the ledger. Batches keep log order (every
scenario emits each generation in dependency order, spec section 9), hold one
table and one column shape each, at most ``max_rows`` rows (spec section 7), and
never the same row id twice (one ``INSERT ... ON CONFLICT`` cannot touch a row
twice), nor a command whose reference (``values_from``) names a row of the same
batch: apply resolves references before the batch is written, so the row referred
to must be in an earlier one.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from seedctl.ledger import Command

__all__ = ["MAX_BATCH_ROWS", "Batch", "PendingCommand", "plan_batches"]

MAX_BATCH_ROWS = 1000


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """A command the ledger lacks, with its place in the log."""

    seq: int
    hash: str
    command: Command


@dataclass
class Batch:
    """Commands for one set-based statement: same table, same columns, distinct ids."""

    entity: str
    table: str
    columns: tuple[str, ...]
    """Every column written: the commands' values, then their references."""
    conflict: tuple[str, ...]
    insert_only: tuple[str, ...]
    items: list[PendingCommand] = field(default_factory=list)
    op: str = "upsert"
    """``upsert``, or ``delete``: rows a later generation no longer makes."""
    refs: tuple[tuple[str, str], ...] = ()
    """``(column, referenced entity)`` for each column whose value is another row's key."""
    app_owned: tuple[str, ...] = ()
    """Columns the app owns once a row exists: written on insert, never updated."""

    @property
    def updatable(self) -> list[str]:
        """The columns an upsert sets: all but id, the natural key, insert-only and
        app-owned ones."""
        return [
            c
            for c in self.columns
            if c != "id"
            and c not in self.conflict
            and c not in self.insert_only
            and c not in self.app_owned
        ]

    def accepts(self, command: Command, ids: set[str], max_rows: int) -> bool:
        return (
            len(self.items) < max_rows
            and command.op == self.op
            and command.table == self.table
            and command.entity == self.entity
            and command.columns == self.columns
            and command.conflict == self.conflict
            and command.insert_only == self.insert_only
            and command.id not in ids
            and (_refs_fit(self, command, ids) if self.refs or command.refs else True)
        )


def _refs_fit(batch: Batch, command: Command, ids: set[str]) -> bool:
    refs = command.refs
    if tuple((c, r.entity) for c, r in refs.items()) != batch.refs:
        return False
    return not any(r.entity == batch.entity and r.id in ids for r in refs.values())


def plan_batches(
    entries: Iterable[tuple[int, str, Command]],
    applied: Container[bytes],
    *,
    max_rows: int = MAX_BATCH_ROWS,
    app_owned: Mapping[str, tuple[str, ...]] | None = None,
) -> Iterator[Batch]:
    """Yield the batches that bring the database from ``applied`` to the whole log.

    ``entries`` are ``(seq, hex hash, command)`` in log order; ``applied`` holds raw
    32-byte digests; ``app_owned`` per table the columns an update leaves alone.
    """
    owned = app_owned or {}
    if max_rows < 1:
        raise ValueError("max_rows must be at least 1")
    batch: Batch | None = None
    ids: set[str] = set()
    for seq, digest, command in entries:
        if bytes.fromhex(digest) in applied:
            continue
        if batch is None or not batch.accepts(command, ids, max_rows):
            if batch is not None:
                yield batch
            refs = command.refs
            batch = Batch(
                entity=command.entity,
                table=command.table,
                columns=command.columns,
                conflict=command.conflict,
                insert_only=command.insert_only,
                refs=tuple((c, r.entity) for c, r in refs.items()) if refs else (),
                app_owned=owned.get(command.table, ()),
                op=command.op,
            )
            ids = set()
        batch.items.append(PendingCommand(seq, digest, command))
        ids.add(command.id)
    if batch is not None:
        yield batch
