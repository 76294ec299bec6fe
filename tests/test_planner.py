"""The planner is pure: hypothesis alone pins how pending commands are cut into batches."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st
from seedctl.engine.pending import plan_batches
from seedctl.ledger import Command, command_hash

TABLES = {"org": "orgs", "person": "people"}


@st.composite
def commands(draw: st.DrawFn) -> Command:
    """A small command: few ids and two column shapes, so batches must cut on both."""
    entity = draw(st.sampled_from(sorted(TABLES)))
    row_id = str(uuid.UUID(int=draw(st.integers(0, 12))))
    values: dict[str, str | int | bool | None] = {"id": row_id, "name": draw(st.text(max_size=3))}
    if draw(st.booleans()):
        values["rank"] = draw(st.integers(0, 3))
    return Command(
        op="upsert",
        entity=entity,
        table=TABLES[entity],
        id=row_id,
        key=row_id,
        values=values,
        conflict=("id",),
    )


@given(
    log=st.lists(commands(), max_size=60),
    applied_mask=st.lists(st.booleans(), max_size=60),
    max_rows=st.integers(1, 7),
)
def test_batches_partition_the_pending_commands_in_log_order(
    log: list[Command], applied_mask: list[bool], max_rows: int
) -> None:
    """Every pending command lands in exactly one batch, in log order; applied ones in none."""
    entries = [(seq, command_hash(c), c) for seq, c in enumerate(log, start=1)]
    applied = {
        bytes.fromhex(h) for (_, h, _), done in zip(entries, applied_mask, strict=False) if done
    }
    batches = list(plan_batches(entries, applied, max_rows=max_rows))
    planned = [item.seq for batch in batches for item in batch.items]
    expected = [seq for seq, h, _ in entries if bytes.fromhex(h) not in applied]
    assert planned == expected
    for batch in batches:
        assert 1 <= len(batch.items) <= max_rows
        assert {item.command.table for item in batch.items} == {batch.table}
        assert {tuple(item.command.values) for item in batch.items} == {batch.columns}
        ids = [item.command.id for item in batch.items]
        assert len(ids) == len(set(ids)), "one statement cannot touch a row twice"


@given(log=st.lists(commands(), min_size=1, max_size=40))
def test_a_fully_applied_log_plans_nothing(log: list[Command]) -> None:
    """When the ledger holds every hash, there is nothing to do."""
    entries = [(seq, command_hash(c), c) for seq, c in enumerate(log, start=1)]
    applied = {bytes.fromhex(h) for _, h, _ in entries}
    assert list(plan_batches(entries, applied)) == []
