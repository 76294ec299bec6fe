"""Commands and their content hash: same content, same hash anywhere; any change, a new hash.

The strategies here (:func:`commands`) are shared with ``test_logfile.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seedctl.ledger import Command, JsonScalar, RowRef, canonical_bytes, command_hash

# Any Unicode a Python str can encode to UTF-8 (lone surrogates cannot be in a file at all).
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
SCALARS: st.SearchStrategy[JsonScalar] = st.one_of(st.none(), st.booleans(), st.integers(), TEXT)
COLUMNS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8).filter(lambda c: c != "id")
ENTITIES = ("organization", "user", "objective", "check_in")
# Arrays and objects, as array, json and jsonb columns take them: any depth, no floats.
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def commands(draw: st.DrawFn) -> Command:
    """A valid upsert command with arbitrary Unicode columns, values and key."""
    entity = draw(st.sampled_from(ENTITIES))
    row_id = str(draw(st.uuids()))
    others = draw(st.dictionaries(COLUMNS, JSON_VALUES, max_size=5))
    refs = draw(
        st.dictionaries(
            COLUMNS.filter(lambda c: c not in others),
            st.builds(RowRef, st.sampled_from(ENTITIES), st.uuids().map(str)),
            max_size=2,
        )
    )
    subsets = (
        st.lists(st.sampled_from(sorted(others)), unique=True, max_size=2)
        if others
        else st.just([])
    )
    conflict, insert_only = draw(subsets), draw(subsets)
    return Command(
        op="upsert",
        entity=entity,
        table=f"{entity}s",
        id=row_id,
        key=draw(TEXT),
        values={"id": row_id, **others},
        conflict=(*conflict, *sorted(refs)[:1]),
        insert_only=tuple(insert_only),
        values_from=refs,
    )


def rebuild(command: Command, **changes: Any) -> Command:
    """A new Command from ``command``'s fields with ``changes`` applied (validation runs again)."""
    fields = {name: getattr(command, name) for name in command.__struct_fields__}
    return Command(**{**fields, **changes})


def reference_body(command: Command) -> dict[str, Any]:
    """The documented hash body, built by hand: every Command field, tuples as lists,
    ``values_from`` only where the command has references."""
    body: dict[str, Any] = {
        "op": command.op,
        "entity": command.entity,
        "table": command.table,
        "id": command.id,
        "key": command.key,
        "values": dict(command.values),
        "conflict": list(command.conflict),
        "insert_only": list(command.insert_only),
    }
    if command.refs:
        body["values_from"] = {c: {"entity": r.entity, "id": r.id} for c, r in command.refs.items()}
    if isinstance(command.overrides, str):
        body["overrides"] = command.overrides
    return body


def reference_hash(body: dict[str, Any]) -> str:
    """docs/log-format.md's recipe: SHA-256 of json.dumps sorted, compact, unescaped UTF-8."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def distinct_scalar(old: JsonScalar) -> st.SearchStrategy[JsonScalar]:
    """A scalar that differs from ``old`` in JSON, where 1 and true are not the same value."""
    return SCALARS.filter(lambda new: type(new) is not type(old) or new != old)


@st.composite
def changed(draw: st.DrawFn, command: Command) -> Command:
    """``command`` with exactly one field or value changed, in any of the ways a body can change."""
    others = [c for c in command.values if c != "id"]
    removable = [c for c in others if c not in command.conflict + command.insert_only]
    kinds = ["entity", "table", "key", "id", "set value", "add column", "conflict", "insert_only"]
    if removable:
        kinds.append("drop column")
    kind = draw(st.sampled_from(kinds))
    if kind in {"entity", "table", "key"}:
        old = getattr(command, kind)
        return rebuild(command, **{kind: draw(TEXT.filter(lambda t: t != old))})
    if kind == "id":
        new_id = str(draw(st.uuids().filter(lambda u: str(u) != command.id)))
        return rebuild(command, id=new_id, values={**command.values, "id": new_id})
    if kind == "set value" and others:
        column = draw(st.sampled_from(others))
        value = draw(distinct_scalar(command.values[column]))
        return rebuild(command, values={**command.values, column: value})
    if kind == "drop column":
        column = draw(st.sampled_from(removable))
        return rebuild(command, values={c: v for c, v in command.values.items() if c != column})
    if kind in {"conflict", "insert_only"}:
        old_list = getattr(command, kind)
        new_list = draw(
            st.lists(st.sampled_from(["id", *others]), unique=True, max_size=3).filter(
                lambda cols: tuple(cols) != old_list
            )
        )
        return rebuild(command, **{kind: tuple(new_list)})
    # "add column", and "set value" on a command that has no column but id.
    column = draw(COLUMNS.filter(lambda c: c not in command.values and c not in command.refs))
    return rebuild(command, values={**command.values, column: draw(SCALARS)})


@given(commands())
def test_same_content_same_hash(command: Command) -> None:
    """Two separately built commands with equal content have the same hash."""
    assert command_hash(rebuild(command)) == command_hash(command)


@given(commands(), st.data())
def test_any_change_changes_the_hash(command: Command, data: st.DataObject) -> None:
    """Changing any field, any value, or adding or dropping a column gives another hash."""
    assert command_hash(data.draw(changed(command))) != command_hash(command)


@pytest.mark.parametrize(
    ("left", "right"), [(1, True), (0, False), (1, "1"), (None, ""), (None, False), (0, None)]
)
def test_json_types_are_part_of_the_content(left: JsonScalar, right: JsonScalar) -> None:
    """Values Python calls equal but JSON does not (1 and true, 0 and false) hash differently."""
    base = Command(
        op="upsert",
        entity="e",
        table="t",
        id="x",
        key="k",
        values={"id": "x", "v": left},
        conflict=(),
    )
    assert command_hash(rebuild(base, values={"id": "x", "v": right})) != command_hash(base)


@given(commands())
def test_values_insertion_order_does_not_matter(command: Command) -> None:
    """The hash ignores the order in which ``values`` was built."""
    backwards = dict(reversed(list(command.values.items())))
    assert command_hash(rebuild(command, values=backwards)) == command_hash(command)


@given(commands())
def test_hash_is_sha256_of_the_documented_json(command: Command) -> None:
    """Canonical bytes are exactly json.dumps(sort_keys, compact, ensure_ascii=False) in UTF-8."""
    body = reference_body(command)
    optional = {"values_from", "overrides"}
    documented = set(Command.__struct_fields__) - optional
    assert set(body) - optional == documented, "a new Command field: update the docs"
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical_bytes(command) == text.encode()
    assert command_hash(command) == reference_hash(body)


_CHILD = """
import sys, msgspec
from seedctl.ledger.commands import Command, command_hash
for command in msgspec.json.decode(sys.stdin.buffer.read(), type=list[Command]):
    print(command_hash(command))
"""


@settings(max_examples=4, deadline=None)
@given(st.lists(commands(), min_size=1, max_size=3), st.integers(0, 2**32 - 1))
def test_hash_is_the_same_in_another_process(batch: list[Command], hash_seed: int) -> None:
    """Another interpreter with another PYTHONHASHSEED computes the same hashes."""
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=msgspec.json.encode(batch),
        capture_output=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert child.stdout.decode().split() == [command_hash(c) for c in batch]


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_refused(value: float) -> None:
    """Any float value is refused, naming table.column and what to send instead."""
    with pytest.raises(TypeError) as info:
        Command(
            op="upsert",
            entity="key_result",
            table="key_results",
            id="x",
            key="k",
            values={"id": "x", "target": value},  # type: ignore[dict-item]
            conflict=(),
        )
    assert str(info.value) == (
        "key_results.target: floats are not canonical; send a decimal string"
    )


def test_id_must_be_in_values() -> None:
    """values.id must equal the command id, so a row cannot land under another id."""
    with pytest.raises(ValueError, match=r"^users: values.id must equal the command id a$"):
        Command(
            op="upsert",
            entity="user",
            table="users",
            id="a",
            key="k",
            values={"id": "b"},
            conflict=(),
        )


def test_conflict_and_insert_only_columns_must_be_in_values() -> None:
    """Conflict and insert-only columns must be columns the command writes."""
    with pytest.raises(ValueError, match=r"\['email', 'password_hash'\] not in values"):
        Command(
            op="upsert",
            entity="user",
            table="users",
            id="a",
            key="k",
            values={"id": "a"},
            conflict=("email",),
            insert_only=("password_hash",),
        )


@pytest.mark.parametrize(
    ("conflict", "insert_only", "missing"),
    [
        (("email",), (), "['email']"),
        ((), ("password_hash",), "['password_hash']"),
        (("id",), ("password_hash",), "['password_hash']"),
        (("email",), ("id",), "['email']"),
    ],
)
def test_each_missing_column_is_refused_on_its_own(
    conflict: tuple[str, ...], insert_only: tuple[str, ...], missing: str
) -> None:
    """A missing conflict column is refused even when every insert-only column is there, and
    the other way round: one list being complete never excuses the other."""
    with pytest.raises(ValueError) as info:
        Command(
            op="upsert",
            entity="user",
            table="users",
            id="a",
            key="k",
            values={"id": "a"},
            conflict=conflict,
            insert_only=insert_only,
        )
    assert str(info.value) == f"users: conflict/insert_only columns {missing} not in values"


@pytest.mark.parametrize("value", [[1.5], {"k": 1.5}, [1, [2, {"deep": 0.5}]], {"k": [True, 2.0]}])
def test_a_float_nested_in_an_array_or_object_is_refused(value: Any) -> None:
    """Floats are not canonical anywhere in a value, however deep in arrays or objects."""
    with pytest.raises(TypeError, match=r"^t\.doc: floats are not canonical; send a decimal"):
        Command(
            op="upsert",
            entity="e",
            table="t",
            id="x",
            key="k",
            values={"doc": value},
            conflict=("doc",),
        )


@pytest.mark.parametrize("value", [[1, "2", None], {"k": [True, {"n": 3}]}, [], {}])
def test_arrays_and_objects_without_floats_are_values(value: Any) -> None:
    """JSON arrays and objects (for array, json and jsonb columns) are accepted and hashed."""
    command = Command(
        op="upsert",
        entity="e",
        table="t",
        id="x",
        key="k",
        values={"doc": value},
        conflict=("doc",),
    )
    assert command.values["doc"] == value
    assert len(command_hash(command)) == 64


def test_a_command_may_leave_out_id_where_the_database_assigns_the_key() -> None:
    """No ``id`` in values is fine (a serial key); a different ``id`` is not."""
    command = Command(
        op="upsert", entity="e", table="t", id="x", key="k", values={"email": "a@b"},
        conflict=("email",),
    )  # fmt: skip
    assert "id" not in command.values
    with pytest.raises(ValueError, match=r"^t: values\.id must equal the command id x$"):
        Command(
            op="upsert", entity="e", table="t", id="x", key="k", values={"id": "y"},
            conflict=("id",),
        )  # fmt: skip


def test_a_column_in_both_values_and_values_from_is_refused_by_name() -> None:
    """A column is either a literal value or a reference, never both; the message lists them."""
    with pytest.raises(
        ValueError, match=r"^t: columns \['a', 'b'\] in both values and values_from$"
    ):
        Command(
            op="upsert", entity="e", table="t", id="x", key="k",
            values={"a": 1, "b": 2, "c": 3},
            values_from={"b": RowRef("e", "y"), "a": RowRef("e", "z"), "d": RowRef("e", "w")},
            conflict=("c",),
        )  # fmt: skip


def test_a_conflict_column_may_be_a_reference_and_columns_lists_both() -> None:
    """A join table's natural key can be made of references; ``columns`` is values, then refs."""
    command = Command(
        op="upsert", entity="m", table="M", id="x", key="k", values={"role": "admin"},
        values_from={"userId": RowRef("user", "u")}, conflict=("userId", "role"),
    )  # fmt: skip
    assert command.columns == ("role", "userId")
    assert command.refs == {"userId": RowRef("user", "u")}
    with pytest.raises(ValueError, match=r"conflict/insert_only columns \['teamId'\]"):
        Command(
            op="upsert", entity="m", table="M", id="x", key="k", values={"role": "admin"},
            values_from={"userId": RowRef("user", "u")}, conflict=("userId", "teamId"),
        )  # fmt: skip
    empty = Command(
        op="upsert", entity="m", table="M", id="x", key="k", values={"a": 1}, conflict=("a",),
        values_from={},
    )  # fmt: skip
    assert empty.refs == {} and empty.columns == ("a",)
    assert canonical_bytes(empty) == canonical_bytes(rebuild(empty, values_from=msgspec.UNSET))
