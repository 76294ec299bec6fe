"""Seed commands, their canonical bytes and content hash.

A command is the unit the log records and the ledger marks as applied. Its hash is
the SHA-256 of its body's canonical JSON: UTF-8, object keys sorted, no
insignificant white space, non-ASCII characters unescaped. Those are exactly the
bytes of Python's ``json.dumps(body, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``, so anyone can recompute a hash without seedctl.

Values are JSON: strings, integers, booleans and null, and arrays and objects for
array, json and jsonb columns. Floats are refused, also nested, because their text
form is not canonical across languages; dates, timestamps, intervals and decimals
travel as ISO or decimal strings and PostgreSQL parses them into the column's type.

A column whose value is another seeded row's key (a foreign key to a table whose
key the database assigns, such as a serial id) is named in ``values_from`` instead:
apply resolves it to the key the database holds, in the batch's transaction.

A log records a row's history: ``overrides`` names the hash of the row's previous
command in the log, so a row that returns to content it held before (an earlier
``as_of`` again) gets a command with a hash of its own, and a ``delete`` command
records that a generation no longer makes the row.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, Literal

import msgspec

__all__ = [
    "CANONICAL_FORM",
    "HASH_ALGORITHM",
    "Command",
    "JsonScalar",
    "JsonValue",
    "RowRef",
    "canonical_bytes",
    "command_hash",
    "delete_command",
    "encode_canonical",
]

# Final, so that mypy reads them as the Literal types the log header declares.
HASH_ALGORITHM: Final = "sha256"
CANONICAL_FORM: Final = "json-sorted-compact-utf8/1"

JsonScalar = str | int | bool | None
JsonValue = Any
"""A JSON value without floats: a scalar, or a list or str-keyed dict of JSON values."""

_ENCODER = msgspec.json.Encoder(order="sorted")
encode_canonical: Final = _ENCODER.encode
""":func:`canonical_bytes` as the encoder's own bound method, for loops that encode
millions of values: the same bytes, without a Python call around each."""


class RowRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Another seeded row, by its entity and command id (the UUIDv5 of its natural key)."""

    entity: str
    id: str


def _float_inside(value: object) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, list):
        return any(map(_float_inside, value))
    if isinstance(value, dict):
        return any(map(_float_inside, value.values()))
    return False


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One idempotent write: make row ``id`` of ``table`` hold ``values``.

    ``conflict`` names the natural unique columns (the spec's ``upsert where``);
    ``insert_only`` the columns written on insert and never overwritten (the spec's
    "preserve passwordHash if exists"; every column of a role assignment).
    ``values_from`` names columns whose value is another seeded row's key.
    ``overrides`` is the hash of the row's previous command in the log, if any: a
    ``delete`` always has one, and carries no values.
    New fields must get defaults so that older logs still decode, and a new field
    left at its default must not change the encoding (``values_from`` and
    ``overrides`` are UNSET, and so omitted, when empty), so that older commands keep
    their hashes. ``overrides`` sorts between ``op`` and ``prev``, ``values_from``
    after ``table``: the log's chain fields splice in before ``table`` (logfile.py).
    """

    op: Literal["upsert", "delete"]
    entity: str
    table: str
    id: str
    key: str
    values: dict[str, JsonValue]
    conflict: tuple[str, ...]
    insert_only: tuple[str, ...] = ()
    values_from: dict[str, RowRef] | msgspec.UnsetType = msgspec.UNSET
    overrides: str | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.op == "delete":
            self._check_delete()
            return
        # Runs for every command built or decoded, a million times per large log:
        # the checks are written to stay in C (map, type) on the common path.
        values = self.values
        kinds = set(map(type, values.values()))
        if float in kinds or ((list in kinds or dict in kinds) and _float_inside(values)):
            column = next(c for c, v in values.items() if _float_inside(v))
            raise TypeError(
                f"{self.table}.{column}: floats are not canonical; send a decimal string"
            )
        if values.get("id", self.id) != self.id:
            raise ValueError(f"{self.table}: values.id must equal the command id {self.id}")
        refs = self.values_from
        if refs is not msgspec.UNSET:
            if not refs:
                msgspec.structs.force_setattr(self, "values_from", msgspec.UNSET)
            elif not values.keys().isdisjoint(refs):
                both = sorted(values.keys() & refs.keys())
                raise ValueError(f"{self.table}: columns {both} in both values and values_from")
        written = self.columns if refs else values
        if not (
            all(map(written.__contains__, self.conflict))
            and all(map(values.__contains__, self.insert_only))
        ):
            missing = [c for c in self.conflict if c not in written]
            missing += [c for c in self.insert_only if c not in values]
            raise ValueError(f"{self.table}: conflict/insert_only columns {missing} not in values")

    def _check_delete(self) -> None:
        if self.overrides is msgspec.UNSET:
            raise ValueError(f"{self.table}: a delete names the command it overrides")
        if self.values or self.conflict or self.insert_only or self.values_from:
            raise ValueError(f"{self.table}: a delete carries no values, conflict or insert_only")

    @property
    def refs(self) -> dict[str, RowRef]:
        """``values_from``, empty when the command has none."""
        refs = self.values_from
        return {} if refs is msgspec.UNSET else refs

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the command writes: its values', then its references'."""
        refs = self.values_from
        if refs is msgspec.UNSET:
            return tuple(self.values)
        return (*self.values, *refs)


def delete_command(*, entity: str, table: str, id: str, key: str, overrides: str) -> Command:
    """The command that removes row ``id``, whose last command in the log was ``overrides``."""
    return Command(
        op="delete",
        entity=entity,
        table=table,
        id=id,
        key=key,
        values={},
        conflict=(),
        overrides=overrides,
    )


def canonical_bytes(obj: object) -> bytes:
    """The canonical JSON encoding used for hashes and log lines."""
    return _ENCODER.encode(obj)


def command_hash(command: Command) -> str:
    """SHA-256 hex digest of the command's canonical body: its content address."""
    return hashlib.sha256(_ENCODER.encode(command)).hexdigest()
