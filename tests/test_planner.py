"""The planner is pure: hypothesis alone pins how pending commands are cut into batches."""

from __future__ import annotations

import itertools
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seedctl.engine.pending import MAX_BATCH_ROWS, Batch, plan_batches
from seedctl.ledger import Command, command_hash

ENTITIES = ("org", "person")
TABLES = ("orgs", "people", "people_archive")
"""Entities and tables drawn independently, so a batch must cut on each of them."""


@st.composite
def commands(draw: st.DrawFn) -> Command:
    """A small command: few ids, and entity, table, column shape, conflict target and
    insert-only columns each drawn from a few choices, so batches must cut on every one."""
    entity = draw(st.sampled_from(ENTITIES))
    row_id = str(uuid.UUID(int=draw(st.integers(0, 12))))
    values: dict[str, str | int | bool | None] = {"id": row_id, "name": draw(st.text(max_size=3))}
    if draw(st.booleans()):
        values["rank"] = draw(st.integers(0, 3))
    return Command(
        op="upsert",
        entity=entity,
        table=draw(st.sampled_from(TABLES)),
        id=row_id,
        key=row_id,
        values=values,
        conflict=draw(st.sampled_from([("id",), ("name",), ("id", "name")])),
        insert_only=draw(st.sampled_from([(), ("name",)])),
    )


def pending(log: list[Command]) -> list[tuple[int, str, Command]]:
    """``log`` as the planner's entries: seq from 1, hex hash, command."""
    return [(seq, command_hash(c), c) for seq, c in enumerate(log, start=1)]


@given(
    log=st.lists(commands(), max_size=60),
    applied_mask=st.lists(st.booleans(), max_size=60),
    max_rows=st.integers(1, 7),
)
def test_batches_partition_the_pending_commands_in_log_order(
    log: list[Command], applied_mask: list[bool], max_rows: int
) -> None:
    """Every pending command lands in exactly one batch, in log order; applied ones in none."""
    entries = pending(log)
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
        assert {item.command.entity for item in batch.items} == {batch.entity}
        assert {tuple(item.command.values) for item in batch.items} == {batch.columns}
        assert {item.command.conflict for item in batch.items} == {batch.conflict}
        assert {item.command.insert_only for item in batch.items} == {batch.insert_only}
        assert all(item.hash == command_hash(item.command) for item in batch.items)
        ids = [item.command.id for item in batch.items]
        assert len(ids) == len(set(ids)), "one statement cannot touch a row twice"


@given(log=st.lists(commands(), min_size=1, max_size=40))
def test_a_fully_applied_log_plans_nothing(log: list[Command]) -> None:
    """When the ledger holds every hash, there is nothing to do."""
    entries = pending(log)
    applied = {bytes.fromhex(h) for _, h, _ in entries}
    assert list(plan_batches(entries, applied)) == []


def fits(batch: Batch, command: Command, max_rows: int) -> bool:
    """Whether ``command`` could have joined ``batch`` in one statement, told from the spec's
    rules alone: room left, same entity, table, columns, conflict target and insert-only
    columns, and a row id the batch does not hold yet."""
    first = batch.items[0].command
    return (
        len(batch.items) < max_rows
        and (command.entity, command.table, tuple(command.values))
        == (first.entity, first.table, tuple(first.values))
        and (command.conflict, command.insert_only) == (first.conflict, first.insert_only)
        and command.id not in {item.command.id for item in batch.items}
    )


@given(log=st.lists(commands(), max_size=60), max_rows=st.integers(1, 7))
def test_a_batch_is_cut_only_where_the_next_command_cannot_join_it(
    log: list[Command], max_rows: int
) -> None:
    """Batches are as long as the rules allow: each ends only where the next command could not
    join it, so a log of one shape becomes as few statements as the row bound permits."""
    batches = list(plan_batches(pending(log), set(), max_rows=max_rows))
    for batch, following in itertools.pairwise(batches):
        assert not fits(batch, following.items[0].command, max_rows)


def person(row: int, **changes: object) -> Command:
    """A ``people`` row with a conflict target on email and a password kept on update."""
    row_id = str(uuid.UUID(int=row))
    fields: dict[str, object] = {
        "op": "upsert",
        "entity": "person",
        "table": "people",
        "id": row_id,
        "key": f"p{row}@example.org",
        "values": {
            "id": row_id,
            "email": f"p{row}@example.org",
            "name": f"P{row}",
            "password_hash": "h",
        },
        "conflict": ("email",),
        "insert_only": ("password_hash",),
    }
    fields.update(changes)
    return Command(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"table": "people_archive"},
        {"entity": "archived_person"},
        {"conflict": ("id",)},
        {"insert_only": ()},
    ],
)
def test_a_command_that_differs_in_one_statement_field_starts_a_new_batch(
    change: dict[str, object],
) -> None:
    """A command that needs another table, entity, ON CONFLICT target or insert-only set is
    planned into a batch of its own, which carries that command's own value."""
    log = [person(1), person(2, **change), person(3)]
    batches = list(plan_batches(pending(log), set()))
    assert [[item.seq for item in batch.items] for batch in batches] == [[1], [2], [3]]
    middle = batches[1]
    ((field, value),) = change.items()
    assert getattr(middle, field) == value
    assert (middle.entity, middle.table) == (log[1].entity, log[1].table)
    assert (middle.conflict, middle.insert_only) == (log[1].conflict, log[1].insert_only)
    for batch in (batches[0], batches[2]):
        assert (batch.entity, batch.table) == ("person", "people")
        assert (batch.conflict, batch.insert_only) == (("email",), ("password_hash",))


def test_a_batch_carries_the_commands_conflict_target_and_kept_columns() -> None:
    """The batch names the commands' ON CONFLICT columns and insert-only columns, and an
    upsert sets only the rest: a password hash is never overwritten."""
    log = [person(1), person(2)]
    (batch,) = plan_batches(pending(log), set())
    assert batch.conflict == ("email",)
    assert batch.insert_only == ("password_hash",)
    assert batch.columns == ("id", "email", "name", "password_hash")
    assert batch.updatable == ["name"]
    assert [item.hash for item in batch.items] == [command_hash(c) for c in log]
    assert [item.command for item in batch.items] == log


def test_the_default_chunk_bound_is_the_specs_1000_rows() -> None:
    """Spec section 7: at most 1000 rows a statement, so 2001 pending rows are three batches."""
    assert MAX_BATCH_ROWS == 1000
    log = [person(n) for n in range(2001)]
    sizes = [len(batch.items) for batch in plan_batches(pending(log), set())]
    assert sizes == [1000, 1000, 1]


@pytest.mark.parametrize("max_rows", [0, -1])
def test_a_bound_below_one_row_is_refused(max_rows: int) -> None:
    """A batch bound below one row cannot plan anything and is an error naming the bound."""
    with pytest.raises(ValueError, match=r"^max_rows must be at least 1$"):
        list(plan_batches(pending([person(1)]), set(), max_rows=max_rows))


def _person(n: int, manager: int | None = None, *, table: str = "people") -> Command:
    """Person ``n`` (a serial-keyed row: no id in values), managed by person ``manager``."""
    from seedctl.ledger import RowRef

    refs = {"managerId": RowRef("person", f"p{manager}")} if manager is not None else {}
    return Command(
        op="upsert",
        entity="person",
        table=table,
        id=f"p{n}",
        key=f"p{n}@x",
        values={"email": f"p{n}@x", "updatedAt": "2026-01-15"},
        conflict=("email",),
        values_from=refs,
    )


def test_a_row_never_shares_a_batch_with_the_row_it_refers_to() -> None:
    """References are resolved before a batch is written, so a manager and the people it
    manages go in different batches; a reference to an earlier batch does not cut."""
    log = [_person(0), _person(1, 0), _person(2, 0), _person(3, 1), _person(4, 2)]
    batches = list(plan_batches(pending(log), set(), max_rows=10))
    assert [[i.command.id for i in b.items] for b in batches] == [
        ["p0"],
        ["p1", "p2"],
        ["p3", "p4"],
    ]
    assert [b.refs for b in batches] == [(), (("managerId", "person"),), (("managerId", "person"),)]
    assert [b.columns for b in batches] == [
        ("email", "updatedAt"),
        ("email", "updatedAt", "managerId"),
        ("email", "updatedAt", "managerId"),
    ]


def test_a_reference_to_another_entity_never_cuts_and_a_new_ref_shape_does() -> None:
    """Only a reference to a row of the batch itself cuts; so does a change of ref shape."""
    from seedctl.ledger import RowRef

    def member(n: int, ref_entity: str, column: str = "userId") -> Command:
        return Command(
            op="upsert", entity="membership", table="members", id=f"m{n}", key=f"m{n}",
            values={"role": "x"}, conflict=(column,),
            values_from={column: RowRef(ref_entity, f"m{n - 1}")},
        )  # fmt: skip

    same = list(plan_batches(pending([member(1, "person"), member(2, "person")]), set()))
    assert [len(b.items) for b in same] == [2]
    chain = [member(1, "membership"), member(2, "membership"), member(4, "membership")]
    batches = list(plan_batches(pending(chain), set()))
    # m2 refers to m1 in the batch: cut; m4 refers to m3, in no batch: no cut.
    assert [[i.command.id for i in b.items] for b in batches] == [["m1"], ["m2", "m4"]]
    shapes = list(
        plan_batches(pending([member(1, "person"), member(2, "person", "teamId")]), set())
    )
    assert [b.refs for b in shapes] == [(("userId", "person"),), (("teamId", "person"),)]
    plain = _person(7)
    mixed = list(plan_batches(pending([_person(5, 6), plain]), set()))
    assert [b.refs for b in mixed] == [(("managerId", "person"),), ()]


def test_app_owned_columns_are_written_on_insert_and_never_updated() -> None:
    """``app_owned`` columns stay in a batch's columns but out of what an update sets."""
    log = [_person(0), _person(1, table="archive")]
    batches = list(plan_batches(pending(log), set(), app_owned={"people": ("updatedAt",)}))
    assert [b.app_owned for b in batches] == [("updatedAt",), ()]
    assert batches[0].columns == ("email", "updatedAt")
    assert batches[0].updatable == []
    assert batches[1].updatable == ["updatedAt"]
    keyed = Batch(
        entity="e", table="t", columns=("id", "a", "b", "c", "d"), conflict=("a",),
        insert_only=("b",), app_owned=("c",),
    )  # fmt: skip
    assert keyed.updatable == ["d"]


def test_the_same_columns_as_a_value_or_a_reference_never_share_a_batch() -> None:
    """A column given literally and the same column given as a reference, or references to
    two entities through one column, are different shapes: each its own batch."""
    from seedctl.ledger import RowRef

    literal = Command(
        op="upsert", entity="person", table="people", id="p1", key="p1",
        values={"email": "a", "managerId": 7}, conflict=("email",),
    )  # fmt: skip
    by_ref = Command(
        op="upsert", entity="person", table="people", id="p2", key="p2",
        values={"email": "b"}, values_from={"managerId": RowRef("person", "p0")},
        conflict=("email",),
    )  # fmt: skip
    other_entity = Command(
        op="upsert", entity="person", table="people", id="p3", key="p3",
        values={"email": "c"}, values_from={"managerId": RowRef("admin", "a0")},
        conflict=("email",),
    )  # fmt: skip
    assert literal.columns == by_ref.columns == other_entity.columns
    batches = list(plan_batches(pending([literal, by_ref, other_entity]), set()))
    assert [[i.command.id for i in b.items] for b in batches] == [["p1"], ["p2"], ["p3"]]
    assert [b.refs for b in batches] == [
        (),
        (("managerId", "person"),),
        (("managerId", "admin"),),
    ]
