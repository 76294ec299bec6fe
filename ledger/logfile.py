"""The log file: append-only JSON Lines, content-addressed and hash-chained.

Line 1 is a :class:`LogHeader`. Every further line is a :class:`LogRecord`: a
command body plus ``seq`` (its line number minus one), ``hash`` (the body's
content address) and ``prev`` (the SHA-256 of the previous line's bytes, so
editing, dropping or reordering any line breaks the chain after it). Each line is
the canonical encoding of its object, so a reader can tell an edited line even
at the end of the file where no later ``prev`` covers it.

The log digest is the SHA-256 of the last line: it names the whole log as a git
commit id names its history.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
from binascii import hexlify
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Literal, NamedTuple

import msgspec
from seedctl.ledger.commands import (
    CANONICAL_FORM,
    HASH_ALGORITHM,
    Command,
    JsonScalar,
    canonical_bytes,
)
from seedctl.ledger.errors import LogCorruptError, LogError

__all__ = [
    "LOG_FORMAT",
    "MAX_LINE_BYTES",
    "AppendResult",
    "EncodedBatch",
    "LogHeader",
    "LogReader",
    "LogRecord",
    "LogSummary",
    "append_commands",
    "append_encoded",
    "encode_batch",
    "encode_batches",
    "file_sha256",
    "file_sha256_soon",
    "line_before",
    "read_records",
    "repair_torn_tail",
    "verify_log",
]

LOG_FORMAT: Final = "seedctl-log/1"
MAX_LINE_BYTES: Final = 16 << 20
"""The longest line a log may hold (16 MiB, newline excluded). Readers never read more
than this at once, so a file of zeros or one endless line costs bounded memory."""
_WRITE_BUFFER = 1 << 20
_BATCH_SIZE = 1024


class LogHeader(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Line 1: what the log is and how it was made. Never rewritten once written."""

    format: Literal["seedctl-log/1"] = LOG_FORMAT
    scenario: str
    tenant: str
    params: dict[str, JsonScalar]
    generator: str
    hash: Literal["sha256"] = HASH_ALGORITHM
    canonical: Literal["json-sorted-compact-utf8/1"] = CANONICAL_FORM


class LogRecord(Command, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One command line: a :class:`Command` plus its place in the chain.

    A subclass, so a record read from the log is the command itself: nothing is
    copied on the hot path of reading a million lines.
    """

    seq: int
    hash: str
    prev: str

    def command(self) -> Command:
        """The command alone, without its chain fields (e.g. to hash or re-log it)."""
        return Command(
            op=self.op,
            entity=self.entity,
            table=self.table,
            id=self.id,
            key=self.key,
            values=self.values,
            conflict=self.conflict,
            insert_only=self.insert_only,
            values_from=self.values_from,
        )


# A record's canonical line is its command's canonical body with the chain fields
# spliced in where sorted keys put them: "hash" before "id", "prev" and "seq" before
# "table" (no command key sorts between "prev" and "seq"; ``values_from`` is named to
# sort after "table" for that reason). The first ',"id":' and ',"table":' in a body
# are always the top-level keys: the keys sorted before them hold only strings and
# lists of strings, whose quotes are escaped. Splicing saves encoding every command
# twice on write, and lets the reader recover the exact body bytes to hash without
# rebuilding it.
_ID_KEY = b',"id":'
_TABLE_KEY = b',"table":'


def _body_of_line(line: bytes, record: LogRecord) -> bytes:
    """The command body bytes inside a canonical record line (the inverse of the splice)."""
    hash_part = b'"hash":"%s",' % record.hash.encode()
    chain_part = b'"prev":"%s","seq":%d,' % (record.prev.encode(), record.seq)
    return line.replace(hash_part, b"", 1).replace(chain_part, b"", 1)


_HEADER_DECODER = msgspec.json.Decoder(LogHeader)
_RECORD_DECODER = msgspec.json.Decoder(LogRecord)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LogSummary:
    """What a full read of a log established. Read-only; nothing here touches the file."""

    path: Path
    header: LogHeader
    digest: str
    commands: int
    entities: Counter[str] = field(default_factory=Counter)


class LogReader:
    """Streams a log's commands, verifying every line as it goes.

    Iterate once; each item is ``(record, command)``. Any fault raises
    :class:`LogCorruptError` naming the file and line. After a complete iteration
    :meth:`summary` holds the digest and counts.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: IO[bytes] = _open_log(self.path)
        first = self._file.readline(MAX_LINE_BYTES + 1)
        if not first:
            self._file.close()
            raise LogError("empty file, not a seedctl log", path=str(self.path), line=1)
        if _too_long(first):
            self._file.close()
            raise LogError(
                f"line 1 is longer than {MAX_LINE_BYTES >> 20} MiB: not a seedctl log",
                path=str(self.path),
                line=1,
            )
        self.header = _parse_header(first, self.path)
        self.header_line = first.rstrip(b"\n")
        """Line 1's bytes without the newline: what the first command's ``prev`` hashes."""
        self._head_line = self.header_line
        self._done = False
        self._commands = 0
        self._entities: Counter[str] = Counter()

    def __enter__(self) -> LogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def close(self) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[tuple[LogRecord, Command]]:
        prev_line = self._head_line
        for record, raw in read_records(self._file, self.path, line_no=2, prev_line=prev_line):
            prev_line = raw[:-1]
            self._commands += 1
            self._entities[record.entity] += 1
            yield record, record
        self._head_line = prev_line
        self._done = True

    def reread(self, digest: str, commands: int | None = None) -> Iterator[LogRecord]:
        """Stream a log already verified whole, whose digest was ``digest``.

        Checks the chain and, at the end, the digest, but not each line's content
        hash: a chain that ends in the same digest proves every line is byte for
        byte the one verified before. Each record is held back until the next line
        (or the digest) vouches for it, so a line changed in between is reported
        before it is ever handed out. With ``commands`` (how many command lines the
        verification saw) it stops after that many: lines appended since were never
        verified, so they are never read here (the next verification takes them).
        """
        prev_line = self._head_line
        held: LogRecord | None = None
        line_no = 1
        while commands is None or line_no - 1 < commands:
            raw = self._file.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            line_no += 1
            if not raw.endswith(b"\n") or not raw.startswith(b"{"):
                raise self._changed(line_no)
            try:
                record = _RECORD_DECODER.decode(raw)
            except msgspec.MsgspecError:
                raise self._changed(line_no) from None
            if record.seq != line_no - 1 or record.prev != _sha256(prev_line):
                raise self._changed(line_no)
            if held is not None:
                yield held
            held, prev_line = record, raw[:-1]
        if _sha256(prev_line) != digest:
            raise self._changed(line_no)
        if held is not None:
            yield held
        # Not a complete read for summary(): reread counts nothing, and a reader that
        # only reread would report the header's digest and no commands.

    def _changed(self, line_no: int) -> LogCorruptError:
        return LogCorruptError(
            "the log changed since it was verified moments ago; run again",
            path=str(self.path),
            line=line_no,
        )

    def summary(self) -> LogSummary:
        if not self._done:
            raise RuntimeError("summary() needs a complete iteration first")
        return LogSummary(
            path=self.path,
            header=self.header,
            digest=_sha256(self._head_line),
            commands=self._commands,
            entities=self._entities,
        )


def _too_long(raw: bytes) -> bool:
    """Whether a bounded ``readline`` stopped at the bound rather than at a newline."""
    return len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n")


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _open_log(path: Path, mode: Literal["rb", "rb+"] = "rb") -> IO[bytes]:
    """Open a log file; anything but a regular file is refused before it is opened (a FIFO
    would block the open, a device would never end)."""
    try:
        mode_bits = path.stat().st_mode
    except FileNotFoundError:
        raise LogError("no such log file", path=str(path)) from None
    except OSError as e:
        raise LogError(f"cannot read: {e.strerror}", path=str(path)) from e
    for test, kind in _NOT_REGULAR:
        if test(mode_bits):
            raise LogError(f"is {kind}, not a log file", path=str(path))
    try:
        return path.open(mode)
    except FileNotFoundError:
        raise LogError("no such log file", path=str(path)) from None
    except IsADirectoryError:
        raise LogError("is a directory, not a log file", path=str(path)) from None
    except OSError as e:
        raise LogError(f"cannot read: {e.strerror}", path=str(path)) from e


def _parse_header(raw: bytes, path: Path) -> LogHeader:
    where = {"path": str(path), "line": 1}
    torn = LogCorruptError("header line is torn (the file ends mid-line)", **where)  # type: ignore[arg-type]
    try:
        loose = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        # Only a cut-off JSON object is a torn header; any other one-line file
        # without a final newline is simply not a log.
        if not raw.endswith(b"\n") and raw.startswith(b"{"):
            raise torn from None
        raise LogError("not a seedctl log (line 1 is not JSON)", **where) from None  # type: ignore[arg-type]
    if not raw.endswith(b"\n"):
        raise torn
    if not isinstance(loose, dict) or "format" not in loose:
        raise LogError("not a seedctl log (line 1 has no format field)", **where)  # type: ignore[arg-type]
    if loose["format"] != LOG_FORMAT:
        raise LogError(
            f"unsupported log format {loose['format']!r}; this seedctl reads {LOG_FORMAT!r}",
            **where,  # type: ignore[arg-type]
        )
    try:
        header = _HEADER_DECODER.decode(raw)
    except msgspec.ValidationError as e:
        raise LogError(f"bad header: {e}", **where) from None  # type: ignore[arg-type]
    if canonical_bytes(header) != raw[:-1]:
        raise LogCorruptError("header is not in canonical form (edited?)", **where)  # type: ignore[arg-type]
    return header


def read_records(
    file: IO[bytes], path: Path, *, line_no: int, prev_line: bytes, end: int | None = None
) -> Iterator[tuple[LogRecord, bytes]]:
    """Verify and yield each record from ``file``'s position, with its raw line.

    The line there is number ``line_no`` and ``prev_line`` is the one before it (no
    newline). Stops at offset ``end`` (a line start) or the end of the file, so that
    several processes can each verify one run of lines of a large log.
    """
    at = file.tell()
    while end is None or at < end:
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if _too_long(raw):
            raise LogCorruptError(
                f"line is longer than {MAX_LINE_BYTES >> 20} MiB, the bound for one command: "
                "not a seedctl log line",
                path=str(path),
                line=line_no,
            )
        at += len(raw)
        record = _parse_record(raw, line_no, prev_line, path)
        yield record, raw
        prev_line = raw[:-1]
        line_no += 1


def line_before(file: IO[bytes], offset: int) -> bytes:
    """The line that ends just before ``offset``, a line start (without its newline)."""
    end = offset - 1
    at = end
    while at > 0:
        step = min(1 << 16, at)
        file.seek(at - step)
        found = file.read(step).rfind(b"\n")
        if found >= 0:
            at = at - step + found + 1
            break
        at -= step
    file.seek(at)
    return file.read(end - at)


def _parse_record(raw: bytes, line_no: int, prev_line: bytes, path: Path) -> LogRecord:
    """Check one command line (``raw``, with its newline) fully: JSON, seq, chain to
    ``prev_line`` (the line before, without newline), canonical form, content hash."""

    def fail(message: str) -> LogCorruptError:
        return LogCorruptError(message, path=str(path), line=line_no)

    if not raw.endswith(b"\n"):
        raise fail(
            "last line is torn: the file ends mid-line (a crash while writing?); "
            "`seedctl log repair` cuts it off"
        )
    body = raw[:-1]
    try:
        record = _RECORD_DECODER.decode(body)
    except msgspec.ValidationError as e:
        raise fail(f"not a valid command: {e}") from None
    except msgspec.DecodeError:
        raise fail("not valid JSON") from None
    if record.seq != line_no - 1:
        raise fail(f"seq is {record.seq}, expected {line_no - 1} (lines reordered or removed?)")
    if record.prev != _sha256(prev_line):
        raise fail(f"chain broken: prev does not match line {line_no - 1} (edited or removed?)")
    if canonical_bytes(record) != body:
        raise fail("line is not in canonical form (edited?)")
    # The line is canonical, so its body bytes are exactly the command's canonical
    # encoding: hash those rather than building and encoding the command again.
    if _sha256(_body_of_line(body, record)) != record.hash:
        raise fail("hash does not match the command's content (edited?)")
    return record


def file_sha256(path: Path | str) -> str:
    """SHA-256 of the log file's bytes: a cheap identity for "this exact file again"."""
    digest = hashlib.sha256()
    with _open_log(Path(path)) as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256_soon(path: Path | str) -> Future[str]:
    """:func:`file_sha256` in a background thread, started now.

    hashlib hashes without the GIL, so the CLI starts this before importing the
    database stack, and a no-op rerun of a large log pays for the hash and the
    imports at once rather than one after the other.
    """
    future: Future[str] = Future()

    def run() -> None:
        try:
            future.set_result(file_sha256(path))
        except BaseException as error:  # raised again by future.result()
            future.set_exception(error)

    threading.Thread(target=run, name="seedctl-file-sha256", daemon=True).start()
    return future


def verify_log(path: Path | str) -> LogSummary:
    """Read and check every line of a log; return its digest and counts. Read-only."""
    with LogReader(path) as reader:
        for _ in reader:
            pass
        return reader.summary()


@dataclass(frozen=True)
class AppendResult:
    """What :func:`append_commands` did: how many lines it added and the new digest."""

    path: Path
    created: bool
    added: int
    skipped: int
    total: int
    digest: str


def append_commands(
    path: Path | str, header: LogHeader, commands: Iterable[Command]
) -> AppendResult:
    """Write ``commands`` whose hash the log lacks, creating the log if needed.

    Writes the file. A new log is written beside the target and renamed into place,
    so a crash never leaves a half-made log under the real name. An existing log is
    verified whole first, must be of the same scenario and tenant, and is appended
    to; a crash there leaves at most one torn last line, which the reader reports.
    """
    return append_encoded(path, header, encode_batches(commands))


def append_encoded(
    path: Path | str, header: LogHeader, batches: Iterable[EncodedBatch]
) -> AppendResult:
    """:func:`append_commands` for commands already encoded, e.g. by worker processes.

    Writes the file, exactly as ``append_commands`` of the same commands would.
    """
    path = Path(path)
    if path.exists():
        return _append_existing(path, header, batches)
    return _write_new(path, header, batches)


class EncodedBatch(NamedTuple):
    """Commands encoded for the log and split where the chain fields go; not yet chained.

    Encoding is most of a line's cost and needs no chain, so it can happen anywhere
    (another process); only the chaining is sequential. Three plain buffers rather
    than thousands of objects, so a batch crosses a process boundary cheaply.
    ``digests`` holds each body's 32-byte SHA-256; ``heads`` and ``tails`` the
    parts before and after ``"prev"``, ``"hash"`` already in, one a line (a
    canonical body never holds a raw newline).
    """

    digests: bytes
    heads: bytes
    tails: bytes


def encode_batch(commands: Iterable[Command]) -> EncodedBatch:
    """Encode commands (a :class:`LogRecord` as its bare command) and split them for the chain."""
    digests: list[bytes] = []
    heads: list[bytes] = []
    tails: list[bytes] = []
    sha256 = hashlib.sha256
    encode = canonical_bytes
    for given in commands:
        # Re-logging a record read from a log: hash its body, not its chain fields.
        body = encode(given.command() if isinstance(given, LogRecord) else given)
        digest = sha256(body).digest()
        at_id = body.index(_ID_KEY) + 1
        at_table = body.index(_TABLE_KEY, at_id) + 1
        digests.append(digest)
        heads.append(b'%s"hash":"%s",%s' % (body[:at_id], hexlify(digest), body[at_id:at_table]))
        tails.append(body[at_table:])
    return EncodedBatch(b"".join(digests), b"\n".join(heads), b"\n".join(tails))


def encode_batches(
    commands: Iterable[Command], size: int = _BATCH_SIZE
) -> Generator[EncodedBatch, None, None]:
    """:func:`encode_batch` over ``size`` commands at a time.

    If ``commands`` fails, the commands it gave before are still handed on, so an
    append keeps every complete line written before the failure.
    """
    pending: list[Command] = []
    try:
        for command in commands:
            pending.append(command)
            if len(pending) == size:
                yield encode_batch(pending)
                pending = []
    except Exception:
        if pending:
            yield encode_batch(pending)
        raise
    if pending:
        yield encode_batch(pending)


def _write_new(path: Path, header: LogHeader, batches: Iterable[EncodedBatch]) -> AppendResult:
    partial = path.with_name(path.name + ".partial")
    head = canonical_bytes(header)
    try:
        with partial.open("wb", buffering=_WRITE_BUFFER) as out:
            out.write(head + b"\n")
            added, skipped, digest = _write_records(out, batches, set(), 0, _sha256(head))
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
    return AppendResult(path, True, added, skipped, added, digest)


def _write_error(error: OSError, path: Path) -> LogError:
    reason = error.strerror or str(error)
    return LogError(f"cannot write the log: {reason}; nothing was written", path=str(path))


def _append_existing(
    path: Path, header: LogHeader, batches: Iterable[EncodedBatch]
) -> AppendResult:
    seen: set[bytes] = set()
    with LogReader(path) as reader:
        _check_compatible(reader.header, header, path)
        for record, _ in reader:
            seen.add(bytes.fromhex(record.hash))
        summary = reader.summary()
    size = path.stat().st_size
    try:
        with path.open("ab", buffering=_WRITE_BUFFER) as out:
            added, skipped, digest = _write_records(
                out, batches, seen, summary.commands, summary.digest
            )
            out.flush()
            os.fsync(out.fileno())
    except OSError as e:
        # Cut back to the verified log, so a failed append leaves no torn line.
        with contextlib.suppress(OSError), path.open("rb+") as f:
            f.truncate(size)
        raise _write_error(e, path) from e
    return AppendResult(path, False, added, skipped, summary.commands + added, digest)


def _check_compatible(existing: LogHeader, wanted: LogHeader, path: Path) -> None:
    for name in ("scenario", "tenant"):
        have, want = getattr(existing, name), getattr(wanted, name)
        if have != want:
            raise LogError(
                f"log is for {name} {have!r}, not {want!r}; use another --log path",
                path=str(path),
                line=1,
            )


def _write_records(
    out: IO[bytes], batches: Iterable[EncodedBatch], seen: set[bytes], seq: int, digest: str
) -> tuple[int, int, str]:
    """Chain and write the batches' commands whose digest is not in ``seen`` (updated).

    ``seq`` and ``digest`` are those of the last line already in the log; returns how
    many lines were added and skipped, and the new last line's digest.
    """
    added = skipped = 0
    prev = digest.encode()
    sha256 = hashlib.sha256
    for digests, heads, tails in batches:
        lines: list[bytes] = []
        at = 0
        for head, tail in zip(heads.split(b"\n"), tails.split(b"\n"), strict=True):
            content = digests[at : at + 32]
            at += 32
            if content in seen:
                skipped += 1
                continue
            seen.add(content)
            seq += 1
            line = b'%s"prev":"%s","seq":%d,%s' % (head, prev, seq, tail)
            prev = hexlify(sha256(line).digest())
            lines.append(line)
        if lines:
            added += len(lines)
            lines.append(b"")
            out.write(b"\n".join(lines))
    return added, skipped, prev.decode()


def repair_torn_tail(path: Path | str) -> int:
    """Cut a torn last line (a crash mid-append) off the log; return the bytes removed.

    Writes the file, but only ever removes an incomplete final line: every complete
    line is kept. The whole log is verified afterwards, also when nothing was cut,
    so a log that is damaged in any other way is reported rather than passed.
    """
    path = Path(path)
    with _open_log(path, "rb+") as f:
        data_len = f.seek(0, os.SEEK_END)
        cut = data_len
        if data_len:
            f.seek(data_len - 1)
            if f.read(1) != b"\n":
                cut = _last_line_start(f, data_len, path)
                f.truncate(cut)
                f.flush()
                os.fsync(f.fileno())
    verify_log(path)
    return data_len - cut


def _last_line_start(f: IO[bytes], end: int, path: Path) -> int:
    """Offset just after the last newline before ``end``: where the torn line starts."""
    pos = end
    chunk = 1 << 16
    while pos > 0:
        start = max(0, pos - chunk)
        f.seek(start)
        idx = f.read(pos - start).rfind(b"\n")
        if idx >= 0:
            return start + idx + 1
        pos = start
    raise LogCorruptError("the header itself is torn; nothing to keep", path=str(path), line=1)
