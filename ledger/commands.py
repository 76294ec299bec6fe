"""Seed commands, their canonical bytes and content hash.

A command is the unit the log records and the ledger marks as applied. Its hash is
the SHA-256 of its body's canonical JSON: UTF-8, object keys sorted, no
insignificant white space, non-ASCII characters unescaped. Those are exactly the
bytes of Python's ``json.dumps(body, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``, so anyone can recompute a hash without seedctl.

Values are JSON scalars only: strings, integers, booleans and null. Floats are
refused because their text form is not canonical across languages; dates,
timestamps and decimals travel as ISO or decimal strings and PostgreSQL parses
them into the column's type.
"""

from __future__ import annotations

import hashlib
from typing import Final, Literal

import msgspec

__all__ = [
    "CANONICAL_FORM",
    "HASH_ALGORITHM",
    "Command",
    "JsonScalar",
    "canonical_bytes",
    "command_hash",
]

# Final, so that mypy reads them as the Literal types the log header declares.
HASH_ALGORITHM: Final = "sha256"
CANONICAL_FORM: Final = "json-sorted-compact-utf8/1"

JsonScalar = str | int | bool | None

_ENCODER = msgspec.json.Encoder(order="sorted")


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One idempotent write: make row ``id`` of ``table`` hold ``values``.

    ``conflict`` names the natural unique columns (the spec's ``upsert where``);
    ``insert_only`` the columns written on insert and never overwritten (the spec's
    "preserve passwordHash if exists"; every column of a role assignment).
    New fields must get defaults so that older logs still decode.
    """

    op: Literal["upsert"]
    entity: str
    table: str
    id: str
    key: str
    values: dict[str, JsonScalar]
    conflict: tuple[str, ...]
    insert_only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Runs for every command built or decoded, a million times per large log:
        # the checks are written to stay in C (map, type) on the common path.
        values = self.values
        if float in map(type, values.values()):
            column = next(c for c, v in values.items() if isinstance(v, float))
            raise TypeError(
                f"{self.table}.{column}: floats are not canonical; send a decimal string"
            )
        if values.get("id") != self.id:
            raise ValueError(f"{self.table}: values.id must equal the command id {self.id}")
        if not (
            all(map(values.__contains__, self.conflict))
            and all(map(values.__contains__, self.insert_only))
        ):
            missing = [c for c in (*self.conflict, *self.insert_only) if c not in values]
            raise ValueError(f"{self.table}: conflict/insert_only columns {missing} not in values")


def canonical_bytes(obj: object) -> bytes:
    """The canonical JSON encoding used for hashes and log lines."""
    return _ENCODER.encode(obj)


def command_hash(command: Command) -> str:
    """SHA-256 hex digest of the command's canonical body: its content address."""
    return hashlib.sha256(_ENCODER.encode(command)).hexdigest()
