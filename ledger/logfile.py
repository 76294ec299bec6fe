"""The log file: append-only JSON Lines, content-addressed and hash-chained.

Line 1 is a :class:`LogHeader`. Every further line is a :class:`LogRecord` (a
command body) or, in format 2, a :class:`GenerationRecord` that closes the
commands one generation added; each carries ``seq`` (its line number minus one),
``hash`` (the body's content address) and ``prev`` (the SHA-256 of the previous
line's bytes, so editing, dropping or reordering any line breaks the chain after
it). Each line is the canonical encoding of its object, so a reader can tell an
edited line even at the end of the file where no later ``prev`` covers it.

The log digest is the SHA-256 of the last line: it names the whole log as a git
commit id names its history.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import threading
from collections import Counter
from collections.abc import Container, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final, Literal

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
    "FORMATS",
    "FORMAT_1",
    "ID_KEY",
    "LOG_FORMAT",
    "MAX_LINE_BYTES",
    "TABLE_KEY",
    "GenerationBody",
    "GenerationRecord",
    "LogHeader",
    "LogReader",
    "LogRecord",
    "LogSummary",
    "Record",
    "Repair",
    "check_generation_number",
    "cut_torn_tail",
    "decode_command",
    "file_sha256",
    "file_sha256_soon",
    "generation_line",
    "last_generation",
    "line_before",
    "read_records",
    "repair_log",
    "repair_torn_tail",
    "sha256_hex",
    "truncate_log",
    "verify_log",
]

LOG_FORMAT: Final = "seedctl-log/2"
FORMAT_1: Final = "seedctl-log/1"
"""The first format: commands only, no generation records; read and applied, never written."""
FORMATS: Final = (FORMAT_1, LOG_FORMAT)
MAX_LINE_BYTES: Final = 16 << 20
"""The longest line a log may hold (16 MiB, newline excluded). Readers never read more
than this at once, so a file of zeros or one endless line costs bounded memory."""
_WRITE_BUFFER = 1 << 20
_BATCH_SIZE = 1024


class LogHeader(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Line 1: what the log is and how it was made. Never rewritten once written."""

    format: Literal["seedctl-log/1", "seedctl-log/2"] = LOG_FORMAT
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
            overrides=self.overrides,
        )


class GenerationBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What one generation did: the line that closes the commands it appended (format 2).

    ``commands`` lines precede it (upserts and deletes; ``removed`` of them deletes);
    ``rows`` is how many rows the log makes after it. A log that ends with command
    lines after its last generation record holds an unfinished generation (a crash
    while generating): it is never applied, and the next generate cuts it off.
    """

    op: Literal["generation"] = "generation"
    generation: int
    params: dict[str, JsonScalar]
    generator: str
    commands: int
    removed: int
    rows: int
    upgraded_from: str | msgspec.UnsetType = msgspec.UNSET
    """Set on the record a format upgrade wrote: the params are the old header's."""


class GenerationRecord(GenerationBody, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A generation record line: the body plus its place in the chain."""

    seq: int
    hash: str
    prev: str

    def body(self) -> GenerationBody:
        """The record without its chain fields: what its ``hash`` hashes."""
        return GenerationBody(**{f: getattr(self, f) for f in GenerationBody.__struct_fields__})


def generation_line(body: GenerationBody, *, seq: int, prev: str) -> bytes:
    """The canonical line (no newline) of generation record ``body`` at ``seq`` after ``prev``."""
    hashed = sha256_hex(canonical_bytes(body))
    record = GenerationRecord(**msgspec.structs.asdict(body), seq=seq, hash=hashed, prev=prev)
    return canonical_bytes(record)


# A record's canonical line is its command's canonical body with the chain fields
# spliced in where sorted keys put them: "hash" before "id", "prev" and "seq" before
# "table" (no command key sorts between "prev" and "seq"; ``values_from`` is named to
# sort after "table" for that reason). The first ',"id":' and ',"table":' in a body
# are always the top-level keys: the keys sorted before them hold only strings and
# lists of strings, whose quotes are escaped. Splicing saves encoding every command
# twice on write, and lets the reader recover the exact body bytes to hash without
# rebuilding it.
ID_KEY = b',"id":'
TABLE_KEY = b',"table":'


def _body_of_line(line: bytes, record: LogRecord) -> bytes:
    """The command body bytes inside a canonical record line (the inverse of the splice)."""
    hash_part = b'"hash":"%s",' % record.hash.encode()
    chain_part = b'"prev":"%s","seq":%d,' % (record.prev.encode(), record.seq)
    return line.replace(hash_part, b"", 1).replace(chain_part, b"", 1)


class _VerifiedRecord(LogRecord, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A record of a line verified moments ago: :meth:`LogReader.reread` decodes into
    it to skip :class:`Command`'s checks, which that verification already ran (and
    whose canonical-form test refused any line they would have changed)."""

    def __post_init__(self) -> None:
        pass


_HEADER_DECODER = msgspec.json.Decoder(LogHeader)
_RECORD_DECODER = msgspec.json.Decoder(LogRecord)
_GENERATION_DECODER = msgspec.json.Decoder(GenerationRecord)
_VERIFIED_DECODER = msgspec.json.Decoder(_VerifiedRecord)
_COMMAND_START = b'{"conflict":'
"""Every canonical command line starts so (``conflict`` is its first key, always there)."""

Record = LogRecord | GenerationRecord

_HASH_AT: Final = b'"hash":"'
_PREV_AT: Final = b'"prev":"'
_SEQ_AT: Final = b'","seq":'


def _chain_fields(body: bytes, skip: Container[bytes]) -> tuple[int, str] | None:
    """``(seq, prev)`` of a canonical command line whose hash ``skip`` holds, read off its
    bytes without decoding it; None for any other line (it is decoded as usual).

    Canonical JSON has sorted keys (``conflict``, ``entity``, ``hash``, ... ``op``,
    ``prev``, ``seq``, ..., ``values`` last) and no unescaped quote inside a string, so
    the first ``"hash":"`` and the ``"prev":"`` after it are the command's own keys.
    Whatever the bytes say, the next line's ``prev`` (or the digest) proves they are the
    bytes verified before.
    """
    at = body.find(_HASH_AT)
    if at < 0 or body[at + 72 : at + 73] != b'"':
        return None
    try:
        digest = bytes.fromhex(body[at + 8 : at + 72].decode("ascii"))
    except ValueError:
        return None
    if digest not in skip:
        return None
    at = body.find(_PREV_AT, at + 73)
    if at < 0 or body[at + 72 : at + 80] != _SEQ_AT:
        return None
    end = body.find(b",", at + 80)
    digits = body[at + 80 : end]
    if end < 0 or not digits.isdigit():
        return None
    # Any bytes at all: one that is not a hex digit fails the chain check, as it should.
    return int(digits), body[at + 8 : at + 72].decode("ascii", "replace")


def decode_command(raw: bytes) -> LogRecord:
    """A command line of a log verified before (no checks but its own decoding)."""
    return _RECORD_DECODER.decode(raw)


def _decode_line(body: bytes) -> Record:
    """A line's record; msgspec errors propagate (a command's, for a line that is neither)."""
    if body.startswith(_COMMAND_START):
        return _RECORD_DECODER.decode(body)
    try:
        return _GENERATION_DECODER.decode(body)
    except msgspec.MsgspecError:
        return _RECORD_DECODER.decode(body)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LogSummary:
    """What a full read of a log established. Read-only; nothing here touches the file."""

    path: Path
    header: LogHeader
    digest: str
    commands: int
    entities: Counter[str] = field(default_factory=Counter)
    generations: list[GenerationRecord] = field(default_factory=list)
    lines: int = 0
    """Lines after the header: commands and generation records."""
    unfinished: int = 0
    """Command lines after the last generation record (format 2): an unfinished generation."""
    finished_at: int = 0
    """Byte offset just after the last generation record (after the header if none)."""

    def check_finished(self) -> None:
        """Refuse a format-2 log that ends inside a generation: it is not a state to apply."""
        if self.header.format == FORMAT_1 or not self.unfinished:
            return
        done = len(self.generations)
        raise LogCorruptError(
            f"the log ends inside generation {done + 1}: {self.unfinished} command lines "
            f"follow the last generation record (a crash while generating?); "
            f"`seedctl log repair` cuts them off"
            + (f" back to generation {done}" if done else "")
            + ", or generate again",
            path=str(self.path),
            line=self.lines + 1,
        )


class LogReader:
    """Streams a log's commands, verifying every line as it goes.

    Iterate once; each item is ``(record, command)``; generation records are checked
    and collected in :attr:`generations`, not handed out. Any fault raises
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
        self._lines = 0
        self._unfinished = 0
        self._finished_at = len(first)
        self._entities: Counter[str] = Counter()
        self.generations: list[GenerationRecord] = []

    def __enter__(self) -> LogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def close(self) -> None:
        self._file.close()

    def __iter__(self) -> Iterator[tuple[LogRecord, Command]]:
        prev_line = self._head_line
        at = self._finished_at
        for record, raw in read_records(
            self._file, self.path, line_no=2, prev_line=prev_line, format=self.header.format
        ):
            prev_line = raw[:-1]
            at += len(raw)
            self._lines += 1
            if isinstance(record, GenerationRecord):
                check_generation_number(record, len(self.generations), self.path)
                self.generations.append(record)
                self._unfinished = 0
                self._finished_at = at
                continue
            self._commands += 1
            self._unfinished += 1
            self._entities[record.entity] += 1
            yield record, record
        self._head_line = prev_line
        self._done = True

    def reread(
        self, digest: str, lines: int | None = None, skip: Container[bytes] = frozenset()
    ) -> Iterator[LogRecord]:
        """Stream the commands of a log already verified whole, whose digest was ``digest``.

        Checks the chain and, at the end, the digest, but not each line's content
        hash: a chain that ends in the same digest proves every line is byte for
        byte the one verified before. Each record is held back until the next line
        (or the digest) vouches for it, so a line changed in between is reported
        before it is ever handed out. With ``lines`` (how many lines after the header
        the verification saw) it stops after that many: lines appended since were
        never verified, so they are never read here (the next verification takes them).
        Commands whose raw digest ``skip`` holds (those the ledger has) are chained but
        neither decoded nor handed out: a rerun after a new generation decodes only
        what it may write.
        """
        prev_line = self._head_line
        held: LogRecord | None = None
        line_no = 1
        while lines is None or line_no - 1 < lines:
            raw = self._file.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            line_no += 1
            if not raw.endswith(b"\n") or not raw.startswith(b"{"):
                raise self._changed(line_no)
            body = raw[:-1]
            record: Record | None = None
            known = _chain_fields(body, skip) if skip and body.startswith(_COMMAND_START) else None
            if known is None:
                try:
                    record = (
                        _VERIFIED_DECODER.decode(body)
                        if body.startswith(_COMMAND_START)
                        else _decode_line(body)
                    )
                except msgspec.MsgspecError:
                    raise self._changed(line_no) from None
                known = record.seq, record.prev
            if known[0] != line_no - 1 or known[1] != sha256_hex(prev_line):
                raise self._changed(line_no)
            if held is not None:
                yield held
                held = None
            if isinstance(record, LogRecord):
                held = record
            prev_line = body
        if sha256_hex(prev_line) != digest:
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
            digest=sha256_hex(self._head_line),
            commands=self._commands,
            entities=self._entities,
            generations=self.generations,
            lines=self._lines,
            unfinished=self._unfinished,
            finished_at=self._finished_at,
        )


def check_generation_number(record: GenerationRecord, before: int, path: Path) -> None:
    """Refuse a generation record that does not number the generation after ``before``."""
    if record.generation != before + 1:
        raise LogCorruptError(
            f"generation record numbers generation {record.generation}, expected {before + 1}",
            path=str(path),
            line=record.seq + 1,
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
    if loose["format"] not in FORMATS:
        raise LogError(
            f"unsupported log format {loose['format']!r}; this seedctl reads "
            + " and ".join(repr(f) for f in FORMATS),
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
    file: IO[bytes],
    path: Path,
    *,
    line_no: int,
    prev_line: bytes,
    end: int | None = None,
    format: str = LOG_FORMAT,
) -> Iterator[tuple[Record, bytes]]:
    """Verify and yield each record from ``file``'s position, with its raw line.

    The line there is number ``line_no`` and ``prev_line`` is the one before it (no
    newline). Stops at offset ``end`` (a line start) or the end of the file, so that
    several processes can each verify one run of lines of a large log. ``format`` is
    the header's: format 1 holds upserts only.
    """
    at = file.tell()
    v1 = format == FORMAT_1
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
        if v1 and (
            isinstance(record, GenerationRecord)
            or record.op != "upsert"
            or record.overrides is not msgspec.UNSET
        ):
            raise LogCorruptError(
                f"not a valid command: {FORMAT_1} holds upserts only, without overrides",
                path=str(path),
                line=line_no,
            )
        yield record, raw
        prev_line = raw[:-1]
        line_no += 1


def last_generation(path: Path | str) -> GenerationRecord | None:
    """The log's last generation record, or None (format 1, or none yet). Not verified:
    read from the end where a finished log has it, else by a pass over the file."""
    path = Path(path)
    with _open_log(path) as f:
        size = f.seek(0, os.SEEK_END)
        if size:
            last = line_before(f, size if _ends_with_newline(f, size) else size + 1)
            with contextlib.suppress(msgspec.MsgspecError, ValueError, TypeError):
                return _GENERATION_DECODER.decode(last)
        f.seek(0)
        found: GenerationRecord | None = None
        for raw in f:
            if raw.startswith(b'{"commands":'):
                with contextlib.suppress(msgspec.MsgspecError, ValueError, TypeError):
                    found = _GENERATION_DECODER.decode(raw)
        return found


def _ends_with_newline(f: IO[bytes], size: int) -> bool:
    f.seek(size - 1)
    return f.read(1) == b"\n"


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


def _parse_record(raw: bytes, line_no: int, prev_line: bytes, path: Path) -> Record:
    """Check one line (``raw``, with its newline) fully: JSON, seq, chain to ``prev_line``
    (the line before, without newline), canonical form, content hash."""

    def fail(message: str) -> LogCorruptError:
        return LogCorruptError(message, path=str(path), line=line_no)

    if not raw.endswith(b"\n"):
        raise fail(
            "last line is torn: the file ends mid-line (a crash while writing?); "
            "`seedctl log repair` cuts it off"
        )
    body = raw[:-1]
    try:
        record = _decode_line(body)
    except msgspec.ValidationError as e:
        raise fail(f"not a valid command: {e}") from None
    except msgspec.DecodeError:
        raise fail("not valid JSON") from None
    except (TypeError, ValueError) as e:  # the command's own checks (__post_init__)
        raise fail(f"not a valid command: {e}") from None
    if record.seq != line_no - 1:
        raise fail(f"seq is {record.seq}, expected {line_no - 1} (lines reordered or removed?)")
    if record.prev != sha256_hex(prev_line):
        raise fail(f"chain broken: prev does not match line {line_no - 1} (edited or removed?)")
    if canonical_bytes(record) != body:
        raise fail("line is not in canonical form (edited?)")
    if isinstance(record, GenerationRecord):
        content = canonical_bytes(record.body())
    else:
        # The line is canonical, so its body bytes are exactly the command's canonical
        # encoding: hash those rather than building and encoding the command again.
        content = _body_of_line(body, record)
    if sha256_hex(content) != record.hash:
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


def verify_log(path: Path | str, *, finished: bool = True) -> LogSummary:
    """Read and check every line of a log; return its digest and counts. Read-only.

    ``finished``: a format-2 log must end with a generation record (see
    :meth:`LogSummary.check_finished`).
    """
    with LogReader(path) as reader:
        for _ in reader:
            pass
        summary = reader.summary()
    if finished:
        summary.check_finished()
    return summary


@dataclass(frozen=True)
class Repair:
    """What :func:`repair_log` cut off: a torn last line, an unfinished generation's lines."""

    torn_bytes: int = 0
    unfinished_lines: int = 0
    unfinished_bytes: int = 0

    @property
    def bytes_removed(self) -> int:
        return self.torn_bytes + self.unfinished_bytes


def repair_log(path: Path | str) -> Repair:
    """Cut what a crash mid-append leaves off the log: a torn last line, then (format 2)
    the command lines of a generation that has no generation record yet.

    Writes the file, but only ever removes the tail a crashed append wrote: every
    complete generation is kept. The whole log is verified afterwards, also when
    nothing was cut, so a log damaged in any other way is reported rather than passed.
    """
    path = Path(path)
    torn = cut_torn_tail(path)
    summary = verify_log(path, finished=False)
    unfinished = Repair()
    if summary.header.format != FORMAT_1 and summary.unfinished:
        size = path.stat().st_size
        truncate_log(path, summary.finished_at)
        unfinished = Repair(0, summary.unfinished, size - summary.finished_at)
        verify_log(path)
    return Repair(torn, unfinished.unfinished_lines, unfinished.unfinished_bytes)


def repair_torn_tail(path: Path | str) -> int:
    """:func:`repair_log`, returning the bytes it removed (the older interface)."""
    return repair_log(path).bytes_removed


def cut_torn_tail(path: Path) -> int:
    """Cut an incomplete final line off ``path``; return the bytes removed. Writes the file."""
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
    return data_len - cut


def truncate_log(path: Path, size: int) -> None:
    """Cut ``path`` back to ``size`` bytes, durably. Writes the file."""
    with _open_log(path, "rb+") as f:
        f.truncate(size)
        f.flush()
        os.fsync(f.fileno())


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
