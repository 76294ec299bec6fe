"""One verifying pass over a log: check every line and every name before anything is written.

Apply, plan and verify all start here, so a torn, edited or foreign log, or one
naming a table or column outside the target schema, is refused with its line
number while the database is still untouched.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Container, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from msgspec import UNSET
from seedctl.engine.scenarios import Scenario, get_scenario
from seedctl.engine.target import AllowList, Shape, ValueChecks, shape_of
from seedctl.ledger import BadValueError, Command, UnknownNameError
from seedctl.ledger.logfile import (
    FORMAT_1,
    MAX_LINE_BYTES,
    GenerationRecord,
    LogHeader,
    LogReader,
    LogSummary,
    check_generation_number,
    line_before,
    read_records,
)

__all__ = ["LogScan", "iter_entries", "scan_log"]


@dataclass
class LogScan:
    """What a verified log holds: header, digest, and per entity its commands, how many of
    them the ledger already holds, and its distinct rows; each command shape with the
    first line that has it (checked against the catalog before the first write)."""

    path: Path
    header: LogHeader
    scenario: Scenario
    digest: str
    commands: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    """Rows the log makes, per entity: distinct ids, less those its last line deletes."""
    shapes: dict[Shape, int] = field(default_factory=dict)
    lines: int = 0
    """Lines after the header when it was scanned: commands and generation records."""
    generations: list[GenerationRecord] = field(default_factory=list)
    deletes: Counter[str] = field(default_factory=Counter)
    """Per entity, pending deletes: rows the last generation no longer makes."""
    dropped: Counter[str] = field(default_factory=Counter)
    """Per entity, deletes the ledger lacks that a later line overrides (the row was made
    again): never applied."""
    undone: set[bytes] = field(default_factory=set)
    """Those deletes' digests."""

    @property
    def total(self) -> int:
        """Command lines verified, when it was scanned."""
        return sum(self.commands.values())

    @property
    def pending(self) -> dict[str, int]:
        """Commands the ledger lacks, per entity with any, less the deletes a later line
        overrides."""
        out = {}
        for entity, n in self.commands.items():
            left = n - self.done[entity] - self.dropped[entity]
            if left > 0:
                out[entity] = left
        return out

    def settle(self, applied: set[bytes]) -> set[bytes]:
        """``applied`` (the ledger's digests) with the deletes never to apply added: what
        the planner skips. Mutates and returns ``applied``."""
        applied.update(self.undone)
        return applied

    def entries(self, skip: Container[bytes] = frozenset()) -> Iterator[tuple[int, str, Command]]:
        """The scanned log's commands again, the chain re-checked (:func:`iter_entries`),
        less those whose raw digest ``skip`` holds (never decoded)."""
        return iter_entries(self.path, self.digest, self.lines, skip)


def scan_log(
    path: Path,
    applied: Container[bytes] = frozenset(),
    *,
    workers: int | None = None,
    checks: ValueChecks | None = None,
) -> LogScan:
    """Verify ``path`` whole, check its names against its scenario's schema and count
    what ``applied`` (raw digests from the ledger) already covers. Read-only.

    With ``checks`` (the target tables' column types), every value of every pending
    command is checked too: one PostgreSQL would refuse is :class:`BadValueError`
    at its line.

    A large log is verified in ``workers`` processes at once (default: one per CPU
    from 64 MB up), each taking a contiguous run of lines; the result, and the first
    fault reported, are those of one process.
    """
    with LogReader(path) as reader:
        header, head_line = reader.header, reader.header_line
    scenario = get_scenario(header.scenario)
    allow = AllowList(scenario.entity_tables)
    size = path.stat().st_size
    if workers is None:
        workers = scan_workers(size)
    starts = _chunk_starts(path, len(head_line) + 1, size, max(workers, 1))
    inputs = _ScanInputs(path, allow, applied, checks, header.format)
    if len(starts) <= 1:
        parts = [_scan_chunk(inputs, starts[0][0], size, line_no=2, prev_line=head_line)]
    else:
        parts = _scan_in_processes(inputs, starts, size, head_line)
    result = _merge(parts)
    _check_finished(path, header, result)
    _check_references(path, result)
    digest = hashlib.sha256(result.last_line).hexdigest()
    removed: Counter[str] = Counter()
    deletes: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    undone: set[bytes] = set()
    for entity, digest_of, done in result.deleted:
        if digest_of not in result.overrides:
            removed[entity] += 1
            if not done:
                deletes[entity] += 1
        elif not done:
            # A later generation makes the row again: the delete is never applied, so
            # the row (and whatever the app hung on it) stays and is updated instead.
            dropped[entity] += 1
            undone.add(digest_of)
    rows = Counter({entity: len(ids) - removed[entity] for entity, ids in result.seen.items()})
    return LogScan(
        path,
        header,
        scenario,
        digest,
        result.commands,
        result.done,
        rows,
        result.shapes,
        lines=result.lines,
        generations=result.generations,
        deletes=deletes,
        dropped=dropped,
        undone=undone,
    )


def _check_finished(path: Path, header: LogHeader, scan: _ChunkScan) -> None:
    """A format-2 log ends with a generation record, numbered on from 1: else exit 3."""
    summary = LogSummary(
        path,
        header,
        "",
        sum(scan.commands.values()),
        generations=scan.generations,
        lines=scan.lines,
        unfinished=scan.unfinished,
    )
    for before, record in enumerate(scan.generations):
        check_generation_number(record, before, path)
    if header.format != FORMAT_1:
        summary.check_finished()


def _check_references(path: Path, scan: _ChunkScan) -> None:
    """Every row a reference names is one the log makes: else exit 10 at its first line."""
    missing = [
        (line, where, entity, row_id)
        for (entity, key), (line, where, row_id) in scan.referred.items()
        if key not in scan.seen.get(entity, ())
    ]
    if missing:
        line, where, entity, row_id = min(missing)
        more = (
            f" ({len(missing)} rows are referred to that no command makes)"
            if len(missing) > 1
            else ""
        )
        raise UnknownNameError(
            f"{path}:{line}: {where} refers to {entity} {row_id}, which no command of the log "
            f"makes{more}; nothing was written"
        )


PARALLEL_SCAN_BYTES = 64 << 20
"""Below this a log is scanned in this process: starting workers would cost more."""


def scan_workers(size: int) -> int:
    """Processes worth using to scan a log of ``size`` bytes."""
    if size < PARALLEL_SCAN_BYTES or "fork" not in mp.get_all_start_methods():
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, 8))


@dataclass(frozen=True)
class _ScanInputs:
    path: Path
    allow: AllowList
    applied: Container[bytes]
    checks: ValueChecks | None = None
    format: str = FORMAT_1


@dataclass
class _ChunkScan:
    """What one contiguous run of lines holds."""

    commands: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    seen: dict[str, set[int]] = field(default_factory=dict)
    shapes: dict[Shape, int] = field(default_factory=dict)
    referred: dict[tuple[str, int], tuple[int, str, str]] = field(default_factory=dict)
    """(entity, hash of id) of each row a reference names -> (first line, table.column, id)."""
    last_line: bytes = b""
    lines: int = 0
    generations: list[GenerationRecord] = field(default_factory=list)
    unfinished: int = 0
    """Command lines after the chunk's last generation record (all of them if it has none)."""
    overrides: set[bytes] = field(default_factory=set)
    """Digests a later line overrides: a delete among them is not the row's last word."""
    deleted: list[tuple[str, bytes, bool]] = field(default_factory=list)
    """(entity, digest, in the ledger) of each delete."""


def _chunk_starts(path: Path, first: int, size: int, chunks: int) -> list[tuple[int, int]]:
    """``(offset, line number)`` where each chunk starts: at line starts, evenly by bytes."""
    starts = [(first, 2)]
    if chunks <= 1 or size <= first:
        return starts
    with path.open("rb") as f:
        line_no, at = 2, first
        f.seek(first)
        for i in range(1, chunks):
            target = first + (size - first) * i // chunks
            if target <= at:
                continue
            # Count the lines up to target in blocks, then finish the line target is in.
            while at < target:
                block = f.read(min(1 << 23, target - at))
                line_no += block.count(b"\n")
                at += len(block)
            # Bounded: a line past the bound is the first chunk's to report, not ours to read.
            rest = f.readline(MAX_LINE_BYTES + 1)
            if not rest.endswith(b"\n"):
                break  # the last line (or one too long): nothing left to split off
            at += len(rest)
            line_no += 1
            if at < size:
                starts.append((at, line_no))
    return starts


def _scan_chunk(
    inputs: _ScanInputs, start: int, end: int, *, line_no: int, prev_line: bytes | None = None
) -> _ChunkScan:
    """Verify the lines from offset ``start`` (line ``line_no``) up to offset ``end``."""
    path, allow, applied, checks = inputs.path, inputs.allow, inputs.applied, inputs.checks
    part = _ChunkScan()
    seen, shapes = part.seen, part.shapes
    with path.open("rb") as f:
        if prev_line is None:
            prev_line = line_before(f, start)
        f.seek(start)
        for record, raw in read_records(
            f, path, line_no=line_no, prev_line=prev_line, end=end, format=inputs.format
        ):
            prev_line = raw[:-1]
            part.lines += 1
            if isinstance(record, GenerationRecord):
                part.generations.append(record)
                part.unfinished = 0
                continue
            part.unfinished += 1
            shape = shape_of(record)
            if shape not in shapes:
                allow.check(record, f"{path}:{record.seq + 1}")
                if checks is not None:
                    checks.check_shape(shape, record.seq + 1, path)
                shapes[shape] = record.seq + 1
            part.commands[record.entity] += 1
            digest = bytes.fromhex(record.hash)
            done = digest in applied
            if record.overrides is not UNSET:
                part.overrides.add(bytes.fromhex(record.overrides))
            if record.op == "delete":
                part.deleted.append((record.entity, digest, done))
            if done:
                part.done[record.entity] += 1
            elif checks is not None and record.op == "upsert":
                problem = checks.problem(record.table, record.values, shape=shape)
                if problem is not None:
                    raise BadValueError(f"{path}:{record.seq + 1}: {problem}; nothing was written")
            # Python's own string hash stands in for the id: it never leaves this run
            # (forked workers share its seed) and halves the memory of the ids themselves.
            seen.setdefault(record.entity, set()).add(hash(record.id))
            if shape.refs:
                for column, ref in record.refs.items():
                    part.referred.setdefault(
                        (ref.entity, hash(ref.id)),
                        (record.seq + 1, f"{record.table}.{column}", ref.id),
                    )
    part.last_line = prev_line
    return part


# Set just before the workers fork, so they inherit it (the ledger's hashes too)
# instead of unpickling it.
_FORK_STATE: list[_ScanInputs] = []


def _scan_chunk_in_worker(start: int, end: int, line_no: int) -> _ChunkScan:
    return _scan_chunk(_FORK_STATE[0], start, end, line_no=line_no)


def _scan_in_processes(
    inputs: _ScanInputs, starts: list[tuple[int, int]], size: int, head_line: bytes
) -> list[_ChunkScan]:
    """Chunk 0 here, the others in forked workers; the earliest chunk's fault wins."""
    ends = [offset for offset, _ in starts[1:]] + [size]
    _FORK_STATE[:] = [inputs]
    try:
        with ProcessPoolExecutor(len(starts) - 1, mp_context=mp.get_context("fork")) as pool:
            futures = [
                pool.submit(_scan_chunk_in_worker, start, end, line_no)
                for (start, line_no), end in zip(starts[1:], ends[1:], strict=True)
            ]
            try:
                first = _scan_chunk(inputs, starts[0][0], ends[0], line_no=2, prev_line=head_line)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            return [first, *(future.result() for future in futures)]
    finally:
        _FORK_STATE.clear()


def _merge(parts: list[_ChunkScan]) -> _ChunkScan:
    merged = _ChunkScan(last_line=parts[-1].last_line)
    for part in parts:
        merged.lines += part.lines
        merged.generations.extend(part.generations)
        merged.unfinished = part.unfinished + (merged.unfinished if not part.generations else 0)
        merged.overrides.update(part.overrides)
        merged.deleted.extend(part.deleted)
        merged.commands.update(part.commands)
        merged.done.update(part.done)
        for entity, ids in part.seen.items():
            merged.seen.setdefault(entity, set()).update(ids)
        for shape, line in part.shapes.items():
            merged.shapes.setdefault(shape, line)  # parts come in log order: keep the first
        for target, first in part.referred.items():
            merged.referred.setdefault(target, first)
    return merged


def iter_entries(
    path: Path,
    verified_digest: str | None = None,
    verified_lines: int | None = None,
    skip: Container[bytes] = frozenset(),
) -> Iterator[tuple[int, str, Command]]:
    """``(seq, hash, command)`` for every line, checked again as it streams.

    With ``verified_digest`` (the digest a full :func:`scan_log` of this file found)
    only the chain is re-checked, which proves the bytes unchanged at a fraction of
    the cost of re-hashing every command; with ``verified_lines`` too (the scan's
    :attr:`LogScan.lines`) the stream ends where the scan ended, so lines appended
    since are never handed out.
    """
    with LogReader(path) as reader:
        if verified_digest is not None:
            for record in reader.reread(verified_digest, verified_lines, skip):
                yield record.seq, record.hash, record
            return
        for record, command in reader:
            if not skip or bytes.fromhex(record.hash) not in skip:
                yield record.seq, record.hash, command
