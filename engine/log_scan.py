"""One verifying pass over a log: check every line and every name before anything is written.

Apply, plan and verify all start here, so a torn, edited or foreign log, or one
naming a table or column outside the target schema, is refused with its line
number while the database is still untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.allowlist import AllowList
from engine.scenarios import Scenario, get_scenario
from ledger.commands import Command
from ledger.logfile import LogHeader, LogReader

__all__ = ["LogScan", "iter_entries", "scan_log"]


@dataclass
class LogScan:
    """What a verified log holds: header, digest, and per entity its commands, how many of
    them the ledger already holds, and its distinct rows."""

    path: Path
    header: LogHeader
    scenario: Scenario
    allow: AllowList
    digest: str
    commands: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)

    @property
    def pending(self) -> dict[str, int]:
        """Commands the ledger lacks, per entity with any."""
        return {e: n - self.done[e] for e, n in self.commands.items() if n > self.done[e]}


def scan_log(path: Path, applied: Container[bytes] = frozenset()) -> LogScan:
    """Verify ``path`` whole, check its names against its scenario's schema and count
    what ``applied`` (raw digests from the ledger) already covers. Read-only."""
    with LogReader(path) as reader:
        scenario = get_scenario(reader.header.scenario)
        allow = AllowList(scenario.metadata, scenario.entity_tables)
        commands: Counter[str] = Counter()
        done: Counter[str] = Counter()
        # Distinct row ids per entity, for the post-apply count check. Python's own
        # string hash stands in for the id: it never leaves this process and halves
        # the memory of keeping the ids themselves.
        seen: dict[str, set[int]] = {}
        for record, command in reader:
            allow.check(command, f"{path}:{record.seq + 1}")
            commands[command.entity] += 1
            if bytes.fromhex(record.hash) in applied:
                done[command.entity] += 1
            seen.setdefault(command.entity, set()).add(hash(command.id))
        summary = reader.summary()
    rows = Counter({entity: len(ids) for entity, ids in seen.items()})
    return LogScan(path, summary.header, scenario, allow, summary.digest, commands, done, rows)


def iter_entries(
    path: Path, verified_digest: str | None = None
) -> Iterator[tuple[int, str, Command]]:
    """``(seq, hash, command)`` for every line, checked again as it streams.

    With ``verified_digest`` (the digest a full :func:`scan_log` of this file found)
    only the chain is re-checked, which proves the bytes unchanged at a fraction of
    the cost of re-hashing every command.
    """
    with LogReader(path) as reader:
        if verified_digest is not None:
            for record in reader.reread(verified_digest):
                yield record.seq, record.hash, record
            return
        for record, command in reader:
            yield record.seq, record.hash, command
