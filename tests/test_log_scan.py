"""scan_log in several processes: the same result, and the same first fault, as one process."""

from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path

import pytest
from seedctl.engine.generation import generate_log
from seedctl.engine.pending.scan import LogScan, _chunk_starts, scan_log
from seedctl.ledger import LogCorruptError, LogError, SeedctlError, UnknownNameError


@pytest.fixture(scope="module")
def okr_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "okr.log"
    generate_log("okr-demo", path, as_of=dt.date(2026, 1, 15), scale=2, workers=0)
    return path


def summary(scan: LogScan) -> tuple[object, ...]:
    return (scan.header, scan.digest, scan.commands, scan.done, scan.rows)


def outcome(path: Path, workers: int) -> str:
    """The fault a scan reports, as class and message."""
    try:
        scan_log(path, workers=workers)
    except SeedctlError as e:
        return f"{type(e).__name__}: {e}"
    return "ok"


@pytest.mark.parametrize("workers", [2, 3, 7])
def test_workers_find_what_one_process_finds(okr_log: Path, workers: int) -> None:
    applied = {
        bytes.fromhex(json.loads(line)["hash"])
        for line in okr_log.read_text().split("\n")[1:300:7]
        if line
    }
    one = scan_log(okr_log, applied, workers=1)
    many = scan_log(okr_log, applied, workers=workers)
    assert summary(many) == summary(one)
    assert sum(one.done.values()) == len(applied)


def test_chunks_start_at_line_starts_with_their_line_numbers(okr_log: Path) -> None:
    data = okr_log.read_bytes()
    starts = _chunk_starts(okr_log, data.index(b"\n") + 1, len(data), 5)
    assert len(starts) == 5
    for offset, line_no in starts:
        assert data[offset - 1 : offset] == b"\n"
        assert data[:offset].count(b"\n") + 1 == line_no


def boundary_lines(path: Path, chunks: int) -> list[int]:
    data = path.read_bytes()
    starts = _chunk_starts(path, data.index(b"\n") + 1, len(data), chunks)
    return sorted({n for _, line in starts[1:] for n in (line - 1, line, line + 1)})


@pytest.mark.parametrize("fault", ["edit", "drop", "swap", "garbage", "unknown column"])
def test_a_fault_at_a_chunk_boundary_is_reported_as_by_one_process(
    okr_log: Path, tmp_path: Path, fault: str
) -> None:
    original = okr_log.read_bytes().split(b"\n")
    for line_no in boundary_lines(okr_log, 3)[:4]:
        lines = list(original)
        at = line_no - 1
        if fault == "edit":
            lines[at] = lines[at].replace(b'"upsert"', b'"upsert" ', 1)
        elif fault == "drop":
            del lines[at]
        elif fault == "swap":
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        elif fault == "garbage":
            lines[at] = b"{not json"
        else:
            record = json.loads(lines[at])
            record["values"]["no_such_column"] = 1
            lines[at] = json.dumps(record).encode()
        bad = tmp_path / f"bad-{line_no}.log"
        bad.write_bytes(b"\n".join(lines))
        expected = outcome(bad, 1)
        assert expected != "ok"
        assert outcome(bad, 3) == expected


def test_a_torn_last_line_and_a_later_fault_report_the_first_one(
    okr_log: Path, tmp_path: Path
) -> None:
    data = okr_log.read_bytes()
    torn = tmp_path / "torn.log"
    torn.write_bytes(data[:-40])
    assert outcome(torn, 3) == outcome(torn, 1) != "ok"
    lines = data.split(b"\n")
    lines[5] = b"{}"
    lines[-3] = b"{}"
    two = tmp_path / "two.log"
    two.write_bytes(b"\n".join(lines))
    assert outcome(two, 3) == outcome(two, 1)
    assert ":6:" in outcome(two, 3)  # index 5 is line 6: the earlier fault wins


def test_log_errors_keep_class_place_and_message_across_processes() -> None:
    for error in (
        LogCorruptError("chain broken", path="a.log", line=7),
        LogError("not a log", path="b.log"),
    ):
        copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own object)
        assert type(copy) is type(error)
        assert (str(copy), copy.path, copy.line) == (str(error), error.path, error.line)
    unknown = pickle.loads(pickle.dumps(UnknownNameError("x.log:3: unknown column")))  # noqa: S301
    assert str(unknown) == "x.log:3: unknown column"
