"""Encoding commands for the log: canonical bodies, their hashes, split for the chain.

Encoding is most of what a log line costs and needs nothing from the lines before
it, so it can run anywhere (in worker processes); only chaining is sequential
(``logwrite``). :func:`encode_batch` encodes :class:`~seedctl.ledger.commands.Command`
objects. A scenario that makes a million commands can skip building them:
:class:`Upserts` holds one entity's fixed fields already encoded, and
:func:`encode_upserts` writes the same bytes from bare ``(upserts, id, key, values)``
rows, about twice as fast.
"""

from __future__ import annotations

import hashlib
from binascii import hexlify
from collections.abc import Callable, Generator, Iterable
from itertools import islice
from typing import Final, NamedTuple, TypeVar

import msgspec
from seedctl.ledger.commands import Command, JsonValue, canonical_bytes, encode_canonical
from seedctl.ledger.logfile import ID_KEY, TABLE_KEY, LogRecord

__all__ = [
    "BATCH_SIZE",
    "EncodedBatch",
    "Upsert",
    "Upserts",
    "encode_batch",
    "encode_batches",
    "encode_upserts",
    "encode_upserts_batches",
    "row_key",
    "split_body",
]

BATCH_SIZE: Final = 1024

T = TypeVar("T")


class EncodedBatch(NamedTuple):
    """Commands encoded for the log and split where the chain fields go; not yet chained.

    Plain buffers rather than thousands of objects, so a batch crosses a process
    boundary cheaply. ``digests`` holds each body's 32-byte SHA-256; ``heads`` and
    ``tails`` the parts before and after ``"prev"``, ``"hash"`` already in, one a
    line (a canonical body never holds a raw newline); ``rows`` each command's row
    identity, ``["entity","id"]`` as JSON, one a line.
    """

    digests: bytes
    heads: bytes
    tails: bytes
    rows: bytes


def row_key(command: Command) -> bytes:
    """A command's row identity as the log's history keys it: ``["entity","id"]``."""
    return canonical_bytes((command.entity, command.id))


def split_body(body: bytes, digest: bytes) -> tuple[bytes, bytes]:
    """A body's head (up to ``"table"``, with ``"hash"`` in) and tail."""
    at_id = body.index(ID_KEY) + 1
    at_table = body.index(TABLE_KEY, at_id) + 1
    return b'%s"hash":"%s",%s' % (body[:at_id], hexlify(digest), body[at_id:at_table]), body[
        at_table:
    ]


def encode_batch(commands: Iterable[Command]) -> EncodedBatch:
    """Encode commands (a :class:`LogRecord` as its bare command) and split them for the chain."""
    digests: list[bytes] = []
    heads: list[bytes] = []
    tails: list[bytes] = []
    rows: list[bytes] = []
    sha256 = hashlib.sha256
    encode = canonical_bytes
    unset = msgspec.UNSET
    for given in commands:
        # Re-logging a record read from a log: hash its body, not its chain fields.
        command = given.command() if isinstance(given, LogRecord) else given
        if command.overrides is not unset:
            # What a row overrides is the log's to say, from its history.
            if command.op == "delete":
                raise ValueError(
                    f"{command.table} {command.id}: a generation's deletes are derived from "
                    "the rows it no longer makes; a scenario does not emit them"
                )
            command = msgspec.structs.replace(command, overrides=unset)
        body = encode(command)
        digest = sha256(body).digest()
        head, tail = split_body(body, digest)
        digests.append(digest)
        heads.append(head)
        tails.append(tail)
        rows.append(encode((command.entity, command.id)))
    return EncodedBatch(b"".join(digests), b"\n".join(heads), b"\n".join(tails), b"\n".join(rows))


def _batched(
    items: Iterable[T], encode: Callable[[list[T]], EncodedBatch], size: int
) -> Generator[EncodedBatch, None, None]:
    """``encode`` over ``size`` items at a time.

    If ``items`` fails, the items it gave before are still handed on, so an append
    keeps every complete line written before the failure.
    """
    iterator = iter(items)
    while True:
        # extend() over an islice takes the items in C; items it took before a
        # failure stay in the list.
        pending: list[T] = []
        try:
            pending.extend(islice(iterator, size))
        except Exception:
            if pending:
                yield encode(pending)
            raise
        if not pending:
            return
        yield encode(pending)


def encode_batches(
    commands: Iterable[Command], size: int = BATCH_SIZE
) -> Generator[EncodedBatch, None, None]:
    """:func:`encode_batch` over ``size`` commands at a time (see :func:`_batched`)."""
    return _batched(commands, encode_batch, size)


_SCALARS: Final = frozenset((str, int, bool, type(None)))


class Upserts:
    """One entity's upserts: the fields all its commands share, encoded once.

    ``command(id, key, values)`` is the :class:`Command`; :func:`encode_upserts` writes
    the same command's log bytes without building it, from the fixed parts kept here
    and msgspec's encoding of ``id``, ``key`` and ``values``. The parts follow the
    canonical field order of a plain upsert (no ``values_from``, no ``overrides``),
    which the constructor checks against a real Command's encoding once.
    """

    __slots__ = (
        "conflict",
        "entity",
        "insert_only",
        "key_prefix",
        "needs",
        "row_prefix",
        "start",
        "table",
        "values_prefix",
    )

    def __init__(
        self, *, entity: str, table: str, conflict: tuple[str, ...], insert_only: tuple[str, ...]
    ) -> None:
        self.entity, self.table = entity, table
        self.conflict, self.insert_only = conflict, insert_only
        self.needs = frozenset((*conflict, *insert_only))
        """Columns every row's values must hold (as a Command checks)."""
        encode = canonical_bytes
        self.start = b'{"conflict":%s,"entity":%s,' % (encode(conflict), encode(entity))
        """The body up to ``"id"``, where the log's ``"hash"`` goes."""
        self.key_prefix = b',"insert_only":%s,"key":' % encode(insert_only)
        self.values_prefix = b'"table":%s,"values":' % encode(table)
        self.row_prefix = b"[%s," % encode(entity)
        self._check_layout()

    def command(self, id: str, key: str, values: dict[str, JsonValue]) -> Command:
        """The command the row ``(self, id, key, values)`` stands for."""
        return Command(
            op="upsert",
            entity=self.entity,
            table=self.table,
            id=id,
            key=key,
            values=values,
            conflict=self.conflict,
            insert_only=self.insert_only,
        )

    def _check_layout(self) -> None:
        values = dict.fromkeys(sorted(self.needs), "v") | {"id": "probe"}
        row: Upsert = (self, "probe", 'a "key"', values)
        if encode_upserts([row]) != encode_batch([self.command(*row[1:])]):
            raise AssertionError(f"{self.table}: Upserts disagrees with a Command's encoding")


Upsert = tuple[Upserts, str, str, dict[str, JsonValue]]
"""A row as a scenario may yield it: its entity's :class:`Upserts`, id, key text, values."""


def encode_upserts(rows: Iterable[Upsert]) -> EncodedBatch:
    """:func:`encode_batch` of the rows' commands, byte for byte, without building them.

    The hot loop of a large generate: one msgspec call each for id, key and values,
    the rest fixed bytes. A row that fails the cheap checks (scalar values, ``id``,
    conflict and insert-only columns present) is built as a Command, which raises
    the error it has, or passes (JSON arrays and objects are fine).
    """
    digests: list[bytes] = []
    heads: list[bytes] = []
    tails: list[bytes] = []
    keys: list[bytes] = []
    encode = encode_canonical
    sha256 = hashlib.sha256
    scalars = _SCALARS
    for upserts, id_, key, values in rows:
        if not (
            scalars.issuperset(map(type, values.values()))
            and values.get("id", id_) == id_
            and values.keys() >= upserts.needs
        ):
            upserts.command(id_, key, values)
        start = upserts.start
        id_json = encode(id_)
        middle = b'"id":%s%s%s,"op":"upsert",' % (id_json, upserts.key_prefix, encode(key))
        tail = b"%s%s}" % (upserts.values_prefix, encode(values))
        digest = sha256(start + middle + tail).digest()
        digests.append(digest)
        heads.append(b'%s"hash":"%s",%s' % (start, hexlify(digest), middle))
        tails.append(tail)
        keys.append(b"%s%s]" % (upserts.row_prefix, id_json))
    return EncodedBatch(b"".join(digests), b"\n".join(heads), b"\n".join(tails), b"\n".join(keys))


def encode_upserts_batches(
    rows: Iterable[Upsert], size: int = BATCH_SIZE
) -> Generator[EncodedBatch, None, None]:
    """:func:`encode_upserts` over ``size`` rows at a time (see :func:`_batched`)."""
    return _batched(rows, encode_upserts, size)
