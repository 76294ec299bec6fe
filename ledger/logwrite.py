"""Writing the log: a new log, or one more generation appended to one. Writes files.

A generation is one append: the commands whose row content the log does not hold
yet, then (``remove_missing``) a ``delete`` for every row it held that this
generation no longer makes, then a generation record that closes it. A command
for a row the log already holds names the row's previous command (``overrides``),
so a row returning to content it had before gets a hash of its own, and apply can
tell a row's latest command from one a later line replaced.

A new log is written beside its name and renamed into place; an append goes at
the end of the file and is fsynced, and one that fails is cut back to the log as
it was. A crash mid-append (kill -9, power) leaves an unfinished generation (no
record yet, perhaps a torn line), which the next append cuts off before it starts:
no generation was ever applied from it, since apply refuses one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from array import array
from binascii import hexlify
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import msgspec
from seedctl.ledger.commands import Command, canonical_bytes, delete_command
from seedctl.ledger.errors import LogError
from seedctl.ledger.logencode import (
    BATCH_SIZE,
    EncodedBatch,
    encode_batch,
    encode_batches,
    row_key,
    split_body,
)
from seedctl.ledger.logfile import (
    FORMAT_1,
    LOG_FORMAT,
    GenerationBody,
    LogHeader,
    LogReader,
    LogRecord,
    cut_torn_tail,
    decode_command,
    generation_line,
    sha256_hex,
    truncate_log,
)

__all__ = [
    "AppendResult",
    "EncodedBatch",
    "append_commands",
    "append_encoded",
    "encode_batch",
    "encode_batches",
    "upgrade_log",
]

_WRITE_BUFFER: Final = 1 << 20


@dataclass(frozen=True)
class AppendResult:
    """What one append did: the lines it added, the rows it removed, the new digest."""

    path: Path
    created: bool
    added: int
    """Command lines written (upserts and deletes)."""
    skipped: int
    """Commands given whose row the log already held with that content."""
    total: int
    """Command lines in the log afterwards."""
    digest: str
    removed: int = 0
    """Delete commands written: rows the log held that this generation no longer makes."""
    generation: int = 0
    """The generation this append recorded; 0 when it wrote nothing (same params, no change)."""
    rows: int = 0
    """Rows the log makes after the append."""
    upgraded: bool = False
    """The log was format 1 and was rewritten as format 2 first (``upgrade_log``)."""
    healed_lines: int = 0
    """Lines of an unfinished generation (a crashed append) cut off before appending."""


_GONE = b"\x00"


def _state(content: bytes | None, latest: bytes) -> bytes:
    """A row's state as one bytes object (a million per large log, none tracked by the
    garbage collector): its content digest when that is its latest command's hash too,
    content and latest hash when they differ, ``\\x00`` and the latest hash once deleted."""
    if content is None:
        return _GONE + latest
    return content if content == latest else content + latest


def _latest(state: bytes) -> bytes:
    return state[-32:]


def _live(state: bytes) -> bool:
    return len(state) != 33


class _History:
    """Every row of a log, by ``["entity","id"]``: what a new generation is compared with.

    ``rows`` holds each row's state (:func:`_state`); ``first`` the line that first made
    each row of the existing log (a delete reads its table and key back from there),
    in the order of ``rows``, which never loses a key: an array of machine integers
    rather than a second dict, 70 bytes a row less at a million rows. ``made`` holds
    the rows this generation made.
    """

    def __init__(self) -> None:
        self.rows: dict[bytes, bytes] = {}
        self.first = array("Q")
        self.entity_first: dict[str, int] = {}
        self.made: set[bytes] = set()

    def add(self, record: LogRecord) -> None:
        """Take one verified line of the existing log."""
        digest = bytes.fromhex(record.hash)
        content: bytes | None = digest
        if record.op == "delete":
            content = None
        elif record.overrides is not msgspec.UNSET:
            bare = msgspec.structs.replace(record.command(), overrides=msgspec.UNSET)
            content = hashlib.sha256(canonical_bytes(bare)).digest()
        key = row_key(record)
        if key not in self.rows:
            self.first.append(record.seq)
            self.entity_first.setdefault(record.entity, record.seq)
        self.rows[key] = _state(content, digest)

    @property
    def live(self) -> int:
        return sum(1 for state in self.rows.values() if len(state) != 33)

    def missing(self) -> dict[int, bytes]:
        """First line -> key of every row of the existing log this generation did not make."""
        made = self.made
        # zip stops at the existing log's rows: those this generation added come after.
        return {
            seq: key
            for (key, state), seq in zip(self.rows.items(), self.first, strict=False)
            if key not in made and _live(state)
        }


class _Chain:
    """Appends lines to ``out`` after the line whose seq and hash are given."""

    def __init__(self, out: IO[bytes], seq: int, prev: str) -> None:
        self.out = out
        self.seq = seq
        self.prev = prev.encode()
        self.commands = 0

    def write_commands(self, pairs: Iterable[tuple[bytes, bytes]]) -> None:
        """Chain and write command lines given as their heads and tails.

        The one loop no process but this can share (each line names the hash of the
        one before it): a million times per large log, so kept to the format, the
        hash and an append, with the chain's state in locals.
        """
        sha256 = hashlib.sha256
        seq, prev = self.seq, self.prev
        lines: list[bytes] = []
        for head, tail in pairs:
            seq += 1
            line = b'%s"prev":"%s","seq":%d,%s' % (head, prev, seq, tail)
            prev = hexlify(sha256(line).digest())
            lines.append(line)
        self.seq, self.prev = seq, prev
        if lines:
            self.commands += len(lines)
            lines.append(b"")
            self.out.write(b"\n".join(lines))

    def generation(self, body: GenerationBody) -> None:
        self.seq += 1
        line = generation_line(body, seq=self.seq, prev=self.prev.decode())
        self.prev = sha256_hex(line).encode()
        self.out.write(line + b"\n")

    @property
    def digest(self) -> str:
        return self.prev.decode()


def _overriding(head: bytes, tail: bytes, content: bytes, latest: bytes) -> tuple[bytes, bytes]:
    """The head and digest of the command in ``head``/``tail`` with ``overrides`` set to
    ``latest``: the body gains the field (it sorts just before ``"table"``)."""
    bare_head = head.replace(b'"hash":"%s",' % hexlify(content), b"", 1)
    body = b'%s"overrides":"%s",%s' % (bare_head, hexlify(latest), tail)
    digest = hashlib.sha256(body).digest()
    return split_body(body, digest)[0], digest


def _write_generation(
    chain: _Chain, history: _History, batches: Iterable[EncodedBatch]
) -> tuple[int, int]:
    """Chain and write the batches' commands whose row content the log lacks; returns
    (commands skipped, rows the log held that no batch made).

    A batch is compared with the log's rows as a whole where it can be (a new log's
    always can): only a batch that holds a row the log already has, or one row twice,
    goes line by line.
    """
    skipped = 0
    rows, made = history.rows, history.made
    track = bool(history.first)  # only rows of an existing log can go missing
    for digests, heads, tails, keys in batches:
        row_keys = keys.split(b"\n")
        contents = [digests[at : at + 32] for at in range(0, len(digests), 32)]
        if rows.keys().isdisjoint(row_keys) and len(set(row_keys)) == len(row_keys):
            # Every batch of a new log: rows the log never held, each once. All is
            # written, and the bookkeeping stays in C.
            rows.update(zip(row_keys, contents, strict=True))
            pairs: Iterable[tuple[bytes, bytes]] = zip(
                heads.split(b"\n"), tails.split(b"\n"), strict=True
            )
        else:
            changed = _changed(rows, row_keys, contents, heads.split(b"\n"), tails.split(b"\n"))
            skipped += len(row_keys) - len(changed)
            pairs = changed
        if track:
            made.update(row_keys)
        chain.write_commands(pairs)
    return skipped, len(history.missing()) if track else 0


def _changed(
    rows: dict[bytes, bytes],
    row_keys: list[bytes],
    contents: list[bytes],
    heads: list[bytes],
    tails: list[bytes],
) -> list[tuple[bytes, bytes]]:
    """The heads and tails of the commands whose row content the log lacks, ``rows``
    updated for them; a row the log held gets ``overrides`` its latest command."""
    changed = []
    for key, content, head, tail in zip(row_keys, contents, heads, tails, strict=True):
        state = rows.get(key)
        if state is None:
            rows[key] = content
            changed.append((head, tail))
        elif state[:32] != content or len(state) == 33:
            overriding, latest = _overriding(head, tail, content, state[-32:])
            rows[key] = content + latest
            changed.append((overriding, tail))
    return changed


def _write_deletes(chain: _Chain, history: _History, existing: Path) -> int:
    """A delete for every row the log made that this generation did not, children first:
    entities in reverse order of first appearance, rows newest first."""
    gone = history.missing()
    if not gone:
        return 0
    # The lines that first made them, read back: they hold the table and natural key.
    firsts: dict[int, LogRecord] = {}
    with existing.open("rb") as f:
        f.readline()
        for seq, raw in enumerate(f, start=1):
            if seq in gone:
                firsts[seq] = decode_command(raw)
                if len(firsts) == len(gone):
                    break
    order = sorted(
        gone, key=lambda seq: (history.entity_first[firsts[seq].entity], seq), reverse=True
    )
    pairs: list[tuple[bytes, bytes]] = []
    for seq in order:
        first, key = firsts[seq], gone[seq]
        command = delete_command(
            entity=first.entity,
            table=first.table,
            id=first.id,
            key=first.key,
            overrides=_latest(history.rows[key]).hex(),
        )
        body = canonical_bytes(command)
        digest = hashlib.sha256(body).digest()
        pairs.append(split_body(body, digest))
        history.rows[key] = _state(None, digest)
        history.made.add(key)
    chain.write_commands(pairs)
    return len(order)


def append_commands(
    path: Path | str,
    header: LogHeader,
    commands: Iterable[Command],
    *,
    remove_missing: bool = False,
) -> AppendResult:
    """Append ``commands`` as one generation, creating the log if needed.

    Writes the file. Commands whose row the log already holds with the same content
    are skipped; ``remove_missing``: ``commands`` are the whole generation, so every
    row the log holds that they do not make gets a delete. Nothing is written when
    nothing changed and the params are the last generation's.
    """
    return append_encoded(path, header, encode_batches(commands), remove_missing=remove_missing)


def append_encoded(
    path: Path | str,
    header: LogHeader,
    batches: Iterable[EncodedBatch],
    *,
    remove_missing: bool = False,
) -> AppendResult:
    """:func:`append_commands` for commands already encoded, e.g. by worker processes.

    Writes the file, exactly as ``append_commands`` of the same commands would.
    """
    path = Path(path)
    header = msgspec.structs.replace(header, format=LOG_FORMAT)
    if path.exists():
        return _append_existing(path, header, batches, remove_missing=remove_missing)
    return _write_new(path, header, batches)


def _write_new(path: Path, header: LogHeader, batches: Iterable[EncodedBatch]) -> AppendResult:
    partial = path.with_name(path.name + ".partial")
    head = canonical_bytes(header)
    history = _History()
    try:
        with partial.open("wb", buffering=_WRITE_BUFFER) as out:
            out.write(head + b"\n")
            chain = _Chain(out, 0, sha256_hex(head))
            skipped, _ = _write_generation(chain, history, batches)
            rows = history.live
            chain.generation(_body(header, 1, chain.commands, 0, rows))
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except OSError as e:
        # A full disk, a read-only file system: nothing half-made stays behind.
        with contextlib.suppress(OSError):
            partial.unlink()
        raise _write_error(e, path) from e
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    added = chain.commands
    return AppendResult(path, True, added, skipped, added, chain.digest, 0, 1, rows)


def _body(header: LogHeader, number: int, commands: int, removed: int, rows: int) -> GenerationBody:
    return GenerationBody(
        generation=number,
        params=header.params,
        generator=header.generator,
        commands=commands,
        removed=removed,
        rows=rows,
    )


def _write_error(error: OSError, path: Path) -> LogError:
    reason = error.strerror or str(error)
    return LogError(f"cannot write the log: {reason}; nothing was written", path=str(path))


@dataclass
class _Existing:
    history: _History
    commands: int
    lines: int
    digest: str
    generations: int
    last_params: dict[str, object] | None
    last_generator: str | None


def _read_existing(path: Path, header: LogHeader) -> tuple[_Existing, int]:
    """The verified log's history, after cutting off an unfinished generation; and how
    many lines were cut (a crashed append's)."""
    healed = 1 if cut_torn_tail(path) else 0
    for _ in range(3):
        history = _History()
        with LogReader(path) as reader:
            _check_compatible(reader.header, header, path)
            for record, _ in reader:
                history.add(record)
            summary = reader.summary()
        if summary.unfinished:
            truncate_log(path, summary.finished_at)
            healed += summary.unfinished
            continue
        last = summary.generations[-1] if summary.generations else None
        return (
            _Existing(
                history,
                summary.commands,
                summary.lines,
                summary.digest,
                len(summary.generations),
                dict(last.params) if last else None,
                last.generator if last else None,
            ),
            healed,
        )
    raise LogError(
        "the log keeps changing while it is read; is another generate running?", path=str(path)
    )


def _append_existing(
    path: Path, header: LogHeader, batches: Iterable[EncodedBatch], *, remove_missing: bool
) -> AppendResult:
    with LogReader(path) as reader:
        _check_compatible(reader.header, header, path)
    upgraded = upgrade_log(path)
    found, healed = _read_existing(path, header)
    size = path.stat().st_size
    history = found.history
    try:
        with path.open("ab", buffering=_WRITE_BUFFER) as out:
            chain = _Chain(out, found.lines, found.digest)
            skipped, missing = _write_generation(chain, history, batches)
            removed = 0
            if remove_missing and missing:
                out.flush()
                removed = _write_deletes(chain, history, path)
            number = 0
            if (
                chain.commands
                or found.last_params != dict(header.params)
                or found.last_generator != header.generator
            ):
                number = found.generations + 1
                rows = history.live
                chain.generation(_body(header, number, chain.commands, removed, rows))
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        # Cut back to the verified log, so a failed append leaves no torn line.
        _cut_back(path, size)
        raise _write_error(e, path) from e
    except BaseException:
        # A failing generator, Ctrl-C: half a generation is no state to keep.
        _cut_back(path, size)
        raise
    added = chain.commands
    return AppendResult(
        path,
        False,
        added,
        skipped,
        found.commands + added,
        chain.digest,
        removed,
        number,
        history.live,
        upgraded,
        healed,
    )


def _cut_back(path: Path, size: int) -> None:
    with contextlib.suppress(OSError), path.open("rb+") as f:
        f.truncate(size)
        f.flush()
        os.fsync(f.fileno())


def _check_compatible(existing: LogHeader, wanted: LogHeader, path: Path) -> None:
    for name in ("scenario", "tenant"):
        have, want = getattr(existing, name), getattr(wanted, name)
        if have != want:
            raise LogError(
                f"log is for {name} {have!r}, not {want!r}; use another --log path",
                path=str(path),
                line=1,
            )


def upgrade_log(path: Path | str) -> bool:
    """Rewrite a format-1 log as format 2; False (and nothing written) if it is format 2.

    Every command keeps its body, so its hash, and the ledger still knows it as
    applied; the header gets the new format, the lines a new chain, and one
    generation record closes them with the old header's params. The old file is kept
    beside it as ``<log>.v1``. Writes files.
    """
    path = Path(path)
    with LogReader(path) as reader:
        if reader.header.format != FORMAT_1:
            return False
    partial = path.with_name(path.name + ".partial")
    try:
        with LogReader(path) as reader, partial.open("wb", buffering=_WRITE_BUFFER) as out:
            header = msgspec.structs.replace(reader.header, format=LOG_FORMAT)
            head = canonical_bytes(header)
            out.write(head + b"\n")
            chain = _Chain(out, 0, sha256_hex(head))
            history = _History()

            def bodies() -> Generator[EncodedBatch, None, None]:
                pending: list[Command] = []
                for record, _ in reader:
                    history.add(record)
                    pending.append(record)
                    if len(pending) == BATCH_SIZE:
                        yield encode_batch(pending)
                        pending = []
                if pending:
                    yield encode_batch(pending)

            for _, heads, tails, _ in bodies():
                chain.write_commands(zip(heads.split(b"\n"), tails.split(b"\n"), strict=True))
            body = msgspec.structs.replace(
                _body(header, 1, chain.commands, 0, history.live), upgraded_from=FORMAT_1
            )
            chain.generation(body)
            out.flush()
            os.fsync(out.fileno())
        shutil.copyfile(path, path.with_name(path.name + ".v1"))
        partial.replace(path)
    except OSError as e:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise LogError(
            f"cannot upgrade the log to {LOG_FORMAT}: {e.strerror or e}; nothing was changed",
            path=str(path),
        ) from e
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return True
