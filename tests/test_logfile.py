"""The log file: append, dedup and verify round trip, every fault the reader reports, repair,
and the worked example of docs/log-format.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seedctl.ledger import (
    Command,
    LogCorruptError,
    LogError,
    LogHeader,
    LogReader,
    append_commands,
    command_hash,
    repair_torn_tail,
    verify_log,
)
from seedctl.ledger.ids import NaturalKey, organization_key, team_key, user_key, workspace_key
from seedctl.ledger.logfile import (
    file_sha256,
    file_sha256_soon,
    line_before,
    read_records,
    repair_log,
)

from tests.test_commands import commands

DOCS = Path(__file__).resolve().parent.parent / "docs" / "log-format.md"

HEADER = LogHeader(
    scenario="okr-demo",
    tenant="puzzel-cx-demo",
    params={"seed": "s", "as_of": "2025-11-03", "scale": 1},
    generator="test/1",
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sample_commands() -> list[Command]:
    """Four fixed commands: an organisation, a user, a workspace and a team."""
    org = organization_key("puzzel-cx-demo")
    user = user_key("founder@puzzelcx.local")
    ws = workspace_key(org.id, "sales")
    team = team_key(ws.id, "enterprise-sales")

    def upsert(entity: str, key: NaturalKey, values: dict[str, Any], conflict: str) -> Command:
        row_id = str(key.id)
        return Command(
            op="upsert",
            entity=entity,
            table=f"{entity}s",
            id=row_id,
            key=key.text,
            values={"id": row_id, **values},
            conflict=(conflict,),
        )

    return [
        upsert("organization", org, {"slug": "puzzel-cx-demo", "name": "Puzzel CX Demo"}, "slug"),
        upsert("user", user, {"email": "founder@puzzelcx.local", "name": "Founder"}, "email"),
        upsert("workspace", ws, {"slug": "sales", "name": "Sales"}, "slug"),
        upsert("team", team, {"slug": "enterprise-sales", "name": "Enterprise Sales"}, "slug"),
    ]


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """A good log: header and the four sample commands (file lines 1 to 5)."""
    path = tmp_path / "seed.log"
    append_commands(path, HEADER, sample_commands())
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def write_lines(path: Path, content: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in content))


def canonical(obj: dict[str, Any]) -> bytes:
    """The documented canonical form, built with json rather than seedctl's encoder."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rehash(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its ``hash`` recomputed from its body, as a careful forger would."""
    body = {k: v for k, v in record.items() if k not in {"seq", "hash", "prev"}}
    return {**record, "hash": sha256(canonical(body))}


TORN_LINE = (
    "last line is torn: the file ends mid-line (a crash while writing?); "
    "`seedctl log repair` cuts it off"
)


def assert_fault(path: Path, error: type[LogError], line: int | None, *what: str) -> None:
    """verify_log raises exactly ``error``, naming ``path`` and ``line`` and saying ``what``:
    the message starts with the first fragment and holds the others."""
    with pytest.raises(LogError) as info:
        verify_log(path)
    assert type(info.value) is error
    assert info.value.path == str(path)
    assert info.value.line == line
    where = str(path) if line is None else f"{path}:{line}"
    assert str(info.value).startswith(f"{where}: {what[0] if what else ''}")
    for fragment in what:
        assert fragment in str(info.value)


# The round trip.


def unique(batch: list[Command], seen: set[str]) -> list[Command]:
    """The commands of ``batch`` whose hash is not in ``seen`` (updated), first occurrence kept."""
    fresh = []
    for command in batch:
        if command_hash(command) not in seen:
            seen.add(command_hash(command))
            fresh.append(command)
    return fresh


@settings(max_examples=30, deadline=None)
@given(st.lists(commands(), max_size=6), st.lists(commands(), max_size=6))
def test_append_verify_round_trip(first: list[Command], second: list[Command]) -> None:
    """Appended commands read back in order with counts and digest; re-appending adds nothing."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.log"
        seen: set[str] = set()
        expected = unique(first + first, seen)

        created = append_commands(path, HEADER, first + first)
        summary = verify_log(path)
        assert created.path == summary.path == path
        assert (created.created, created.added, created.skipped) == (
            True,
            len(expected),
            2 * len(first) - len(expected),
        )
        assert summary.commands == created.total == len(expected)
        assert summary.entities == Counter(c.entity for c in expected)
        assert summary.digest == created.digest == sha256(lines(path)[-1])
        assert summary.header == HEADER
        with LogReader(path) as reader:
            records = list(reader)
        assert [c.command() for _, c in records] == expected
        assert [r.seq for r, _ in records] == list(range(1, len(expected) + 1))
        assert [r.hash for r, _ in records] == [command_hash(c) for c in expected]

        before = path.read_bytes()
        again = append_commands(path, HEADER, first)
        assert (again.path, again.created, again.added, again.skipped) == (
            path,
            False,
            0,
            len(first),
        )
        assert again.digest == created.digest
        assert path.read_bytes() == before

        new = unique(second, seen)
        extended = append_commands(path, HEADER, second + first)
        after = verify_log(path)
        assert path.read_bytes().startswith(before)
        assert (extended.path, extended.created, extended.added) == (path, False, len(new))
        assert after.commands == extended.total == len(expected) + len(new)
        assert after.entities == Counter(c.entity for c in expected + new)
        assert after.digest == extended.digest
        assert (after.digest != created.digest) == bool(new)


def test_empty_log_digest_is_the_generation_record_hash(tmp_path: Path) -> None:
    """A log with no commands holds its header and one generation record, and its digest is
    the SHA-256 of that record's line, which chains to the header."""
    path = tmp_path / "seed.log"
    result = append_commands(path, HEADER, [])
    summary = verify_log(path)
    header, record = lines(path)
    assert summary.commands == 0
    assert summary.digest == result.digest == sha256(record)
    assert json.loads(record)["prev"] == sha256(header)
    assert [(g.generation, g.commands, g.rows) for g in summary.generations] == [(1, 0, 0)]


def test_the_header_is_never_rewritten(log: Path) -> None:
    """Appending with other params (same scenario and tenant) keeps the original header line."""
    header_line = lines(log)[0]
    other = LogHeader(
        scenario=HEADER.scenario,
        tenant=HEADER.tenant,
        params={**HEADER.params, "as_of": "2026-01-01"},
        generator="test/2",
    )
    append_commands(log, other, [])
    assert lines(log)[0] == header_line
    assert verify_log(log).header == HEADER


def test_failed_generation_leaves_no_log(tmp_path: Path) -> None:
    """A new log is renamed into place only when complete: a failing generator leaves none."""
    path = tmp_path / "seed.log"

    def failing() -> Iterator[Command]:
        yield sample_commands()[0]
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        append_commands(path, HEADER, failing())
    assert not path.exists()


def test_failed_append_leaves_the_log_as_it_was(log: Path) -> None:
    """A generator failing mid-append leaves the log byte for byte as it was: half a
    generation is no state to keep."""
    before = log.read_bytes()
    extra = Command(
        op="upsert",
        entity="cycle",
        table="cycles",
        id="c",
        key="k",
        values={"id": "c"},
        conflict=(),
    )

    def failing() -> Iterator[Command]:
        yield extra
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        append_commands(log, HEADER, failing())
    assert log.read_bytes() == before
    assert verify_log(log).commands == 4


# Faults.


def test_edited_value_with_hash_left_is_reported_on_its_line(log: Path) -> None:
    """Changing a value but not the hash is reported on that line as a hash mismatch."""
    content = lines(log)
    content[2] = content[2].replace(b'"name":"Founder"', b'"name":"Boss"')
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 3, "hash does not match the command's content (edited?)")


def test_edited_value_with_hash_recomputed_breaks_the_chain(log: Path) -> None:
    """Changing a value and recomputing its hash is reported on the next line: chain broken."""
    content = lines(log)
    record = json.loads(content[2])
    record["values"]["name"] = "Boss"
    content[2] = canonical(rehash(record))
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 4, "chain broken: prev does not match line 3")


def test_edited_header_breaks_the_chain(log: Path) -> None:
    """Changing the header's tenant (canonically) is reported on line 2: chain broken."""
    content = lines(log)
    header = json.loads(content[0])
    header["tenant"] = "someone-else"
    content[0] = canonical(header)
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 2, "chain broken: prev does not match line 1")


def test_reformatted_header_is_reported(log: Path) -> None:
    """A header with the same content but not canonical (spaces) is reported on line 1."""
    content = lines(log)
    content[0] = json.dumps(json.loads(content[0])).encode()
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 1, "header is not in canonical form (edited?)")


def test_edited_last_line_value_is_reported(log: Path) -> None:
    """Changing a value on the last line (the generation record), where no later prev covers
    it, fails its hash."""
    content = lines(log)
    content[-1] = content[-1].replace(b'"rows":4', b'"rows":5')
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 6, "hash does not match the command's content (edited?)")


def test_edited_last_command_is_reported_by_the_generation_record(log: Path) -> None:
    """The last command line, value edited and hash recomputed, breaks the chain at the
    generation record that follows it."""
    content = lines(log)
    record = json.loads(content[-2])
    record["values"]["name"] = "Forged"
    content[-2] = canonical(rehash(record))
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 6, "chain broken: prev does not match line 5")


def test_reformatted_last_line_is_reported(log: Path) -> None:
    """The last line re-encoded with spaces (same content, same hash) is not canonical."""
    content = lines(log)
    content[-1] = json.dumps(json.loads(content[-1])).encode()
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 6, "line is not in canonical form (edited?)")


def test_reordered_keys_on_the_last_line_are_reported(log: Path) -> None:
    """The last line with its keys in another order (compact, same hash) is not canonical."""
    content = lines(log)
    record = json.loads(content[-1])
    content[-1] = json.dumps(dict(reversed(record.items())), separators=(",", ":")).encode()
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 6, "line is not in canonical form (edited?)")


def test_forged_last_line_changes_the_digest(log: Path) -> None:
    """A last line edited with a recomputed hash verifies, but under another digest."""
    digest = verify_log(log).digest
    content = lines(log)
    record = json.loads(content[-1])
    record["rows"] = 40
    content[-1] = canonical(rehash(record))
    write_lines(log, content)
    assert verify_log(log).digest != digest


def test_bad_hash_is_reported(log: Path) -> None:
    """A line whose hash field was replaced is reported on that line."""
    content = lines(log)
    record = json.loads(content[1])
    record["hash"] = "0" * 64
    content[1] = canonical(record)
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 2, "hash does not match the command's content (edited?)")


def test_float_value_is_reported(log: Path) -> None:
    """A float value in a line (not canonical across languages) is refused on that line."""
    content = lines(log)
    record = json.loads(content[3])
    record["values"]["name"] = 1.5
    content[3] = canonical(rehash(record))
    write_lines(log, content)
    assert_fault(
        log, LogCorruptError, 4, "not a valid command: ", "workspaces.name: floats are not"
    )


def test_removed_line_is_reported(log: Path) -> None:
    """A line removed from the middle is reported where the seq numbers go wrong."""
    content = lines(log)
    del content[2]
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 3, "seq is 3, expected 2 (lines reordered or removed?)")


def test_swapped_lines_are_reported(log: Path) -> None:
    """Two swapped lines are reported at the first of them."""
    content = lines(log)
    content[2], content[3] = content[3], content[2]
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 3, "seq is 3, expected 2 (lines reordered or removed?)")


def test_blank_line_is_reported(log: Path) -> None:
    """A blank line among the commands is reported as not JSON on its line."""
    content = lines(log)
    content.insert(3, b"")
    write_lines(log, content)
    assert_fault(log, LogCorruptError, 4, "not valid JSON")


@pytest.mark.parametrize("keep", [1, 0.5, -1], ids=["one byte", "half", "all but newline"])
def test_torn_last_line_is_reported_and_repaired(tmp_path: Path, keep: float) -> None:
    """A file cut mid-line in its second generation is torn at its last line; repair cuts
    that and the second generation's complete lines, keeps the first, and verifies."""
    log = tmp_path / "seed.log"
    first, second = sample_commands()[:2], sample_commands()[2:]
    append_commands(log, HEADER, first)
    good = log.read_bytes()
    append_commands(log, HEADER, second)
    content = lines(log)
    last = content[-2]  # the second generation's last command
    part = last[: int(len(last) * keep)] if keep != -1 else last
    log.write_bytes(b"".join(line + b"\n" for line in content[:-2]) + part)
    assert_fault(log, LogCorruptError, 6, TORN_LINE)

    done = repair_log(log)
    assert (done.torn_bytes, done.unfinished_lines) == (len(part), 1)
    assert log.read_bytes() == good
    summary = verify_log(log)
    assert summary.commands == 2
    assert summary.digest == sha256(lines(log)[-1])


def test_unfinished_generation_is_refused_then_repaired(tmp_path: Path) -> None:
    """Complete command lines after the last generation record (a crash before the record
    was written) are an unfinished generation: verify refuses the log, repair cuts them."""
    log = tmp_path / "seed.log"
    append_commands(log, HEADER, sample_commands()[:2])
    good = log.read_bytes()
    append_commands(log, HEADER, sample_commands()[2:])
    write_lines(log, lines(log)[:-1])  # the second generation's record never made it
    assert_fault(
        log,
        LogCorruptError,
        6,
        "the log ends inside generation 2: 2 command lines follow the last generation record",
        "`seedctl log repair` cuts them off back to generation 1",
    )
    done = repair_log(log)
    assert (done.torn_bytes, done.unfinished_lines) == (0, 2)
    assert log.read_bytes() == good


def test_repair_of_a_good_log_changes_nothing(log: Path) -> None:
    """repair on a log whose last line is complete removes nothing."""
    before = log.read_bytes()
    assert repair_torn_tail(log) == 0
    assert log.read_bytes() == before


def test_repair_reports_other_faults(log: Path) -> None:
    """repair on a log damaged other than by a torn tail reports the fault, not success."""
    content = lines(log)
    content[2] = content[2].replace(b'"name":"Founder"', b'"name":"Boss"')
    write_lines(log, content)
    with pytest.raises(LogCorruptError, match=r":3: hash does not match"):
        repair_torn_tail(log)


def test_repair_of_a_torn_header_is_refused(tmp_path: Path) -> None:
    """A file holding only part of a header has nothing to keep: reported on line 1."""
    path = tmp_path / "seed.log"
    path.write_bytes(b'{"canonical":"json-sorted')
    assert_fault(path, LogCorruptError, 1, "header line is torn (the file ends mid-line)")
    with pytest.raises(LogCorruptError) as info:
        repair_torn_tail(path)
    assert str(info.value) == f"{path}:1: the header itself is torn; nothing to keep"
    assert (info.value.path, info.value.line) == (str(path), 1)
    assert path.read_bytes() == b'{"canonical":"json-sorted'


@pytest.mark.parametrize("name", ["missing.log", "directory"])
def test_repair_of_missing_file_or_directory_is_a_log_error(tmp_path: Path, name: str) -> None:
    """repair names the path of a missing file or a directory instead of crashing."""
    (tmp_path / "directory").mkdir()
    with pytest.raises(LogError, match=r"(no such log file|is a directory)"):
        repair_torn_tail(tmp_path / name)


def test_wrong_format_version_is_refused(log: Path) -> None:
    """A header of another format version is refused on line 1, naming the versions read."""
    content = lines(log)
    header = json.loads(content[0])
    header["format"] = "seedctl-log/3"
    content[0] = canonical(header)
    write_lines(log, content)
    assert_fault(
        log,
        LogError,
        1,
        "unsupported log format 'seedctl-log/3'; this seedctl reads 'seedctl-log/1' and "
        "'seedctl-log/2'",
    )


def test_unknown_header_field_is_refused(log: Path) -> None:
    """A header with an unknown field is refused on line 1."""
    content = lines(log)
    content[0] = canonical({**json.loads(content[0]), "extra": 1})
    write_lines(log, content)
    assert_fault(log, LogError, 1, "bad header: Object contains unknown field `extra`")


@pytest.mark.parametrize(
    ("content", "error", "what"),
    [
        (b"hello world\nsecond line\n", LogError, "not a seedctl log (line 1 is not JSON)"),
        (b"just one line of text", LogError, "not a seedctl log (line 1 is not JSON)"),
        (b"{not json}\n", LogError, "not a seedctl log (line 1 is not JSON)"),
        (b"{not json}\n{}\n", LogError, "not a seedctl log (line 1 is not JSON)"),
        (b'{"format":"seedctl-log/1"', LogCorruptError, "header line is torn"),
        (b"[1, 2, 3]\n", LogError, "not a seedctl log (line 1 has no format field)"),
        (b'{"name": "package.json"}\n', LogError, "not a seedctl log (line 1 has no format field)"),
        (b"", LogError, "empty file, not a seedctl log"),
    ],
    ids=[
        "plain text",
        "text without newline",
        "complete line, brace but not JSON",
        "two lines, brace but not JSON",
        "cut-off JSON object",
        "JSON array",
        "other JSON object",
        "empty",
    ],
)
def test_not_a_log_is_refused(
    tmp_path: Path, content: bytes, error: type[LogError], what: str
) -> None:
    """A file that is not a seedctl log is refused on line 1, saying so."""
    path = tmp_path / "not.log"
    path.write_bytes(content)
    assert_fault(path, error, 1, what)


def test_directory_is_refused(tmp_path: Path) -> None:
    """A directory given as the log is refused, naming it."""
    assert_fault(tmp_path, LogError, None, "is a directory, not a log file")


def test_missing_file_is_refused(tmp_path: Path) -> None:
    """A missing log is refused, naming its path."""
    assert_fault(tmp_path / "missing.log", LogError, None, "no such log file")


@pytest.mark.parametrize("field", ["scenario", "tenant"])
def test_appending_to_a_foreign_log_is_refused(log: Path, field: str) -> None:
    """A log of another scenario or tenant is never appended to; the file is unchanged."""
    before = log.read_bytes()
    other = msgspec.structs.replace(HEADER, **{field: "other"})
    with pytest.raises(LogError) as info:
        append_commands(log, other, sample_commands()[:1])
    assert type(info.value) is LogError
    have = getattr(HEADER, field)
    assert str(info.value) == (
        f"{log}:1: log is for {field} {have!r}, not 'other'; use another --log path"
    )
    assert log.read_bytes() == before


def test_appending_to_an_edited_log_is_refused(log: Path) -> None:
    """An edited log is verified first and never appended to."""
    content = lines(log)
    content[2] = content[2].replace(b'"name":"Founder"', b'"name":"Boss"')
    write_lines(log, content)
    before = log.read_bytes()
    with pytest.raises(LogCorruptError, match=r":3: hash does not match"):
        append_commands(log, HEADER, sample_commands())
    assert log.read_bytes() == before


def test_appending_to_a_torn_log_cuts_the_unfinished_generation_first(log: Path) -> None:
    """A crash mid-append leaves a torn line; the next append cuts back to the last complete
    generation and writes the generation again, as it would have been."""
    good = log.read_bytes()
    log.write_bytes(good[:-5])  # the first generation's record, torn
    result = append_commands(log, HEADER, sample_commands())
    assert result.healed_lines == 5  # the torn record and the four commands before it
    assert log.read_bytes() == good


def test_summary_needs_a_complete_read(log: Path) -> None:
    """LogReader.summary() before iterating is a programming error, not a wrong digest."""
    with (
        LogReader(log) as reader,
        pytest.raises(RuntimeError, match=r"^summary\(\) needs a complete iteration first$"),
    ):
        reader.summary()


# docs/log-format.md.


def doc_section(title: str) -> str:
    text = DOCS.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_worked_example_in_the_docs(tmp_path: Path) -> None:
    """The doc's example log verifies, is what seedctl writes, and every shown output is true."""
    section = doc_section("Worked example")
    example = re.search(r"<!-- example\.log:.*?-->\n```json\n(.*?)```", section, re.S)
    assert example, "the worked example's log block is missing"
    path = tmp_path / "example.log"
    path.write_text(example.group(1))

    summary = verify_log(path)
    assert (summary.commands, len(summary.generations)) == (4, 3)
    assert summary.digest in section

    # Each generation's rows, generated again by seedctl now, give the same bytes.
    with LogReader(path) as reader:
        records = [record for record, _ in reader]
    rows: dict[str, Command] = {}
    again = tmp_path / "again.log"
    for generation in summary.generations:
        for record in records:
            if generation.seq - generation.commands <= record.seq < generation.seq:
                if record.op == "delete":
                    del rows[record.id]
                else:
                    rows[record.id] = record.command()
        header = msgspec.structs.replace(summary.header, params=generation.params)
        append_commands(again, header, list(rows.values()), remove_missing=True)
    assert again.read_bytes() == path.read_bytes()

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = 0
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for command, expected in re.findall(r"^\$ (.*)\n((?:(?!\$ ).*\n)*)", block, re.M):
            result = subprocess.run(
                ["bash", "-c", command],
                check=False,
                cwd=tmp_path,
                env=env,
                capture_output=True,
                timeout=60,
            )
            assert result.stdout.decode() == expected, f"$ {command}"
            ran += 1
    assert ran >= 10, "the worked example lost its shell commands"


def test_reread_streams_a_verified_log_and_reports_a_line_changed_since(tmp_path: Path) -> None:
    """reread() yields the verified records, but stops before a line edited after verification."""
    path = tmp_path / "seed.log"
    commands = sample_commands()
    append_commands(path, HEADER, commands)
    digest = verify_log(path).digest
    with LogReader(path) as reader:
        assert [r.command() for r in reader.reread(digest)] == commands

    lines = path.read_bytes().splitlines(keepends=True)
    lines[-2] = lines[-2].replace(b'"op":"upsert"', b'"op": "upsert"')  # the last command
    path.write_bytes(b"".join(lines))
    seen: list[object] = []
    with LogReader(path) as reader, pytest.raises(LogCorruptError) as info:
        seen.extend(reader.reread(digest))
    assert len(seen) == len(commands) - 1  # the edited line was never handed out
    assert_changed(info.value, path, 6)  # where the chain shows it: the generation record


def assert_changed(error: LogCorruptError, path: Path, line: int) -> None:
    """``error`` is reread's one message, naming ``path`` and the first line that changed."""
    assert (error.path, error.line) == (str(path), line)
    assert str(error) == (
        f"{path}:{line}: the log changed since it was verified moments ago; run again"
    )


def reread_after(
    path: Path, change: Any, *, skip_all: bool = False
) -> tuple[list[object], LogCorruptError]:
    """Verify the sample log at ``path``, apply ``change`` to its lines, reread it (with every
    command's digest in ``skip`` if ``skip_all``); return what reread handed out before it
    raised, and the error."""
    append_commands(path, HEADER, sample_commands())
    digest = verify_log(path).digest
    with LogReader(path) as reader:
        skip = {bytes.fromhex(record.hash) for record, _ in reader} if skip_all else set()
    content = path.read_bytes().splitlines(keepends=True)
    change(content)
    path.write_bytes(b"".join(content))
    seen: list[object] = []
    with LogReader(path) as reader, pytest.raises(LogCorruptError) as info:
        seen.extend(reader.reread(digest, skip=skip))
    return seen, info.value


def reseq(line: bytes, seq: int) -> bytes:
    """``line`` with its seq field replaced, its prev left as it was."""
    return re.sub(rb'"seq":\d+', b'"seq":%d' % seq, line)


@pytest.mark.parametrize(
    ("what", "line"),
    [
        ("leading space", 3),
        ("not JSON", 3),
        ("wrong seq, right prev", 3),
        ("prev of another line", 4),
        ("last newline cut", 5),
    ],
)
@pytest.mark.parametrize("skip_all", [False, True], ids=["decoded", "skipped"])
def test_reread_names_the_first_changed_line(
    tmp_path: Path, what: str, line: int, skip_all: bool
) -> None:
    """A line changed since verification is reported on that very line, before the line before
    it is handed out, whether its JSON, its seq or its prev is what changed; also where every
    command is one the ledger has, read off its bytes without being decoded."""

    def change(content: list[bytes]) -> None:
        at = line - 1
        if what == "leading space":
            content[at] = b" " + content[at]
        elif what == "not JSON":
            content[at] = b"{not json\n"
        elif what == "wrong seq, right prev":
            content[at] = reseq(content[at], 9)
        elif what == "prev of another line":
            content[at] = re.sub(
                rb'"prev":"[0-9a-f]+"',
                b'"prev":"%s"' % sha256(content[0][:-1]).encode(),
                content[at],
            )
        else:
            content[at] = content[at][:-1]

    seen, error = reread_after(tmp_path / "seed.log", change, skip_all=skip_all)
    assert_changed(error, tmp_path / "seed.log", line)
    assert len(seen) == (0 if skip_all else max(0, line - 3))


def test_reread_skips_what_the_ledger_has_and_still_checks_it(tmp_path: Path) -> None:
    """Commands whose digest ``skip`` holds are left out, the rest come in order; a skipped
    line edited since verification still stops the reread, on the line whose prev shows it."""
    path = tmp_path / "seed.log"
    commands = sample_commands()
    append_commands(path, HEADER, commands)
    digest = verify_log(path).digest
    with LogReader(path) as reader:
        records = [record for record, _ in reader]
    skip = {bytes.fromhex(records[0].hash), bytes.fromhex(records[2].hash)}
    with LogReader(path) as reader:
        kept = list(reader.reread(digest, skip=skip))
    assert [r.command() for r in kept] == [commands[1], *commands[3:]]

    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"op":"upsert"', b'"op":"upsert" ')  # skipped, then edited
    path.write_bytes(b"".join(lines))
    with LogReader(path) as reader, pytest.raises(LogCorruptError) as info:
        list(reader.reread(digest, skip=skip))
    assert_changed(info.value, path, 3)

    lines[1] = re.sub(rb'"prev":"[0-9a-f]{2}', '"prev":"é'.encode(), lines[1])  # not ASCII
    path.write_bytes(b"".join(lines))
    with LogReader(path) as reader, pytest.raises(LogCorruptError) as info:
        list(reader.reread(digest, skip=skip))
    assert_changed(info.value, path, 2)


def test_reread_without_a_full_read_gives_no_summary(tmp_path: Path) -> None:
    """A reader that only reread a log never read its counts, so it refuses a summary rather
    than report a wrong digest and no commands."""
    path = tmp_path / "seed.log"
    append_commands(path, HEADER, sample_commands())
    digest = verify_log(path).digest
    with LogReader(path) as reader:
        assert len(list(reader.reread(digest))) == 4
        with pytest.raises(RuntimeError, match="complete iteration"):
            reader.summary()


# Reading back and cutting off across the 64 KiB chunks the backwards readers use.

CHUNK = 1 << 16
LENGTHS = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7]


def filler(length: int) -> bytes:
    """``length`` bytes without a newline, in a pattern that shows any misplaced offset."""
    return (b"0123456789abcdef" * (length // 16 + 1))[:length]


@pytest.mark.parametrize("length", LENGTHS)
def test_line_before_reads_back_a_line_across_chunks(tmp_path: Path, length: int) -> None:
    """line_before returns exactly the line ending before an offset, however many 64 KiB
    chunks it spans and wherever its start falls on a chunk edge."""
    before, target = b"the line before", filler(length)
    path = tmp_path / "lines"
    path.write_bytes(before + b"\n" + target + b"\nnext\n")
    with path.open("rb") as f:
        assert line_before(f, len(before) + 1 + len(target) + 1) == target
        assert line_before(f, len(before) + 1) == before
        assert line_before(f, path.stat().st_size) == b"next"


@pytest.mark.parametrize("length", LENGTHS)
def test_line_before_reads_back_a_first_line_across_chunks(tmp_path: Path, length: int) -> None:
    """The first line of a file, which has no newline before it, is read back whole too."""
    first = filler(length)
    path = tmp_path / "lines"
    path.write_bytes(first + b"\nsecond\n")
    with path.open("rb") as f:
        assert line_before(f, len(first) + 1) == first


@pytest.mark.parametrize("length", [length for length in LENGTHS if length] + [2 * CHUNK])
def test_repair_cuts_a_torn_line_of_any_length(log: Path, length: int) -> None:
    """repair removes exactly the torn last line, however many 64 KiB chunks it spans and
    wherever the newline before it falls, and keeps every complete line."""
    good = log.read_bytes()
    log.write_bytes(good + (b'{"entity":"' + filler(length))[:length])
    assert_fault(log, LogCorruptError, 7, TORN_LINE)
    assert repair_torn_tail(log) == length
    assert log.read_bytes() == good
    assert verify_log(log).commands == 4


# The file's own hash, for "this exact file again".


@pytest.mark.parametrize("size", [0, 10, (1 << 20) - 1, (5 << 20) // 2])
def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path: Path, size: int) -> None:
    """file_sha256 and its background twin give the SHA-256 of every byte, in 1 MiB reads."""
    path = tmp_path / "big.log"
    path.write_bytes(filler(size))
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path) == expected
    assert file_sha256(str(path)) == expected
    assert file_sha256_soon(path).result(timeout=60) == expected


def test_file_sha256_of_a_missing_file_is_a_log_error(tmp_path: Path) -> None:
    """A missing file is a LogError naming it, also when hashed in the background."""
    missing = tmp_path / "missing.log"
    with pytest.raises(LogError, match=r"no such log file$") as info:
        file_sha256(missing)
    assert info.value.path == str(missing)
    with pytest.raises(LogError, match=r"no such log file$") as info:
        file_sha256_soon(missing).result(timeout=60)
    assert info.value.path == str(missing)


def test_not_readable_for_another_reason_is_a_log_error(tmp_path: Path) -> None:
    """A path that cannot be opened for a reason other than missing or a directory (here: a
    file where a directory should be) is refused, naming the path and the system's reason."""
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "seed.log"
    assert_fault(path, LogError, None, "cannot read: Not a directory")
    with pytest.raises(LogError) as info:
        repair_torn_tail(path)
    assert str(info.value) == f"{path}: cannot read: Not a directory"


def test_a_failed_new_log_leaves_nothing_behind(tmp_path: Path) -> None:
    """docs/log-format.md: a new log is written to ``<log>.partial`` and renamed into place;
    a generation that fails removes its partial file, so nothing half-made is left."""
    path = tmp_path / "seed.log"

    def failing() -> Iterator[Command]:
        yield sample_commands()[0]
        raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError, match="generator failed"):
        append_commands(path, HEADER, failing())
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    result = append_commands(path, HEADER, sample_commands())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.log"], "the partial, renamed"
    assert path.read_bytes().startswith(lines_of_header())
    assert (result.path, result.created, result.added, result.total) == (path, True, 4, 4)


def lines_of_header() -> bytes:
    """The header line a log of HEADER starts with, newline included."""
    return (
        json.dumps(
            msgspec.to_builtins(HEADER), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        + b"\n"
    )


def many_commands(count: int, start: int = 0) -> list[Command]:
    """``count`` distinct check-in commands: more than one 1024-command encoding batch."""
    result = []
    for n in range(start, start + count):
        row_id = str(uuid.UUID(int=n))
        result.append(
            Command(
                op="upsert",
                entity="check_in",
                table="check_ins",
                id=row_id,
                key=f"kr:{n}",
                values={"id": row_id, "n": n},
                conflict=("id",),
            )
        )
    return result


def test_appends_of_several_encoding_batches_count_every_line(tmp_path: Path) -> None:
    """Commands are encoded 1024 at a time; a log of 2500 and an append of 1100 more count and
    chain every line across those batches."""
    path = tmp_path / "seed.log"
    created = append_commands(path, HEADER, many_commands(2500))
    assert (created.added, created.skipped, created.total) == (2500, 0, 2500)
    extended = append_commands(path, HEADER, many_commands(1100, start=2000))
    assert (extended.added, extended.skipped, extended.total) == (600, 500, 3100)
    summary = verify_log(path)
    assert summary.commands == 3100
    assert summary.digest == extended.digest
    with LogReader(path) as reader:
        # seq 2501 is the first generation's record, 3102 the second's.
        assert [r.seq for r, _ in reader] == [*range(1, 2501), *range(2502, 3102)]


def test_columns_named_like_chain_fields_stay_in_values(tmp_path: Path) -> None:
    """Columns named table, id, hash, prev or seq are values like any other: the chain fields
    go at the top level of the line, which stays canonical and verifies."""
    row_id = str(uuid.UUID(int=7))
    command = Command(
        op="upsert",
        entity="odd",
        table="odd_names",
        id=row_id,
        key="k",
        values={"id": row_id, "table": "t", "hash": "h", "prev": "p", "seq": 3},
        conflict=("table",),
    )
    path = tmp_path / "seed.log"
    append_commands(path, HEADER, [command])
    assert verify_log(path).commands == 1
    record = json.loads(lines(path)[1])
    assert record["seq"] == 1
    assert record["table"] == "odd_names"
    assert record["values"] == {"id": row_id, "table": "t", "hash": "h", "prev": "p", "seq": 3}
    assert record["hash"] == command_hash(command)
    with LogReader(path) as reader:
        assert [c.command() for _, c in reader] == [command]


def test_read_records_stops_at_the_given_offset(log: Path) -> None:
    """read_records verifies from a line start up to, not including, the line at ``end``: the
    run of lines one worker of a parallel scan checks."""
    content = lines(log)
    starts = [sum(len(line) + 1 for line in content[:n]) for n in range(len(content) + 1)]
    with log.open("rb") as f:
        f.seek(starts[2])
        run = list(read_records(f, log, line_no=3, prev_line=content[1], end=starts[4]))
    assert [record.seq for record, _ in run] == [2, 3]
    assert [raw for _, raw in run] == [content[2] + b"\n", content[3] + b"\n"]
    with log.open("rb") as f:
        f.seek(starts[2])
        rest = list(read_records(f, log, line_no=3, prev_line=content[1]))
    assert [record.seq for record, _ in rest] == [2, 3, 4, 5]
