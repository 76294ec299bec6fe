"""Run one subprocess and measure it: wall-clock seconds, peak resident memory, CPU time.

Peak RSS comes from GNU ``/usr/bin/time -v`` when it is installed (the kernel's own
high-water mark, exact), otherwise from polling the process tree with psutil every
20 ms (may miss a short spike), otherwise it is not measured. CPU seconds come from
GNU time only. A time limit stops the command with SIGTERM.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["Measured", "SubprocessFailedError", "executable", "rss_method", "run_measured"]

_GNU_TIME = "/usr/bin/time"
_MAX_RSS = re.compile(rb"Maximum resident set size \(kbytes\):\s*(\d+)")
_CPU = re.compile(rb"(?:User|System) time \(seconds\):\s*([\d.]+)")
_POLL_S = 0.02
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Violation|Failure)\b.*: ")


@dataclass(frozen=True)
class Measured:
    """One finished subprocess: its wall time, peak RSS and what it printed."""

    argv: tuple[str, ...]
    wall_s: float
    peak_rss_mb: float | None
    cpu_s: float | None
    """User plus system CPU seconds of the process (GNU time only)."""
    stdout: str
    stderr: str
    returncode: int
    timed_out: bool = False

    def error(self) -> str:
        """One line saying why the process failed ("" if it did not).

        seedctl's own errors print ``error: ...``; anything else ends in a Python
        traceback whose exception line (``module.SomeError: message``) is taken.
        """
        if self.returncode == 0:
            return ""
        if self.timed_out:
            return "stopped at the time limit"
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        for line in reversed(lines):
            if line.startswith("error: ") or _EXCEPTION_LINE.match(line):
                return line
        return lines[-1] if lines else f"exit status {self.returncode}"


class SubprocessFailedError(RuntimeError):
    """A measured subprocess exited non-zero; the message carries its stderr tail."""


@functools.cache
def _gnu_time_available() -> bool:
    if not Path(_GNU_TIME).exists():
        return False
    probe = subprocess.run([_GNU_TIME, "-v", "true"], capture_output=True, check=False)
    return probe.returncode == 0 and b"Maximum resident set size" in probe.stderr


def _psutil_available() -> bool:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return False
    return True


def rss_method() -> str:
    """How peak RSS is measured on this machine (for the report)."""
    if _gnu_time_available():
        return "GNU time -v (ru_maxrss)"
    if _psutil_available():
        return f"psutil polling every {_POLL_S * 1000:.0f} ms"
    return "not measured (no /usr/bin/time, no psutil)"


def run_measured(
    argv: Sequence[str], *, check: bool = True, timeout_s: float | None = None
) -> Measured:
    """Run ``argv`` to completion, or stop it (SIGTERM) after ``timeout_s`` seconds.

    With ``check``, a non-zero exit raises SubprocessFailedError; a stopped process
    comes back with ``timed_out`` set either way.
    """
    with tempfile.TemporaryDirectory(prefix="seedctl-bench-run-") as scratch:
        out_path, err_path = Path(scratch, "stdout"), Path(scratch, "stderr")
        rss_path = Path(scratch, "rss")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            if _gnu_time_available():
                wrapped = [_GNU_TIME, "-v", "-o", str(rss_path), *argv]
                run = _run(wrapped, out, err, timeout_s, poll_rss=False)
                run.peak_rss_mb, run.cpu_s = _gnu_time_report(rss_path)
            else:
                run = _run(list(argv), out, err, timeout_s, poll_rss=_psutil_available())
        stdout = out_path.read_text(errors="replace")
        stderr = err_path.read_text(errors="replace")
    if check and run.returncode != 0 and not run.timed_out:
        tail = "\n".join(stderr.splitlines()[-30:])
        raise SubprocessFailedError(f"{' '.join(argv)} exited with {run.returncode}:\n{tail}")
    return Measured(
        tuple(argv),
        run.wall_s,
        run.peak_rss_mb,
        run.cpu_s,
        stdout,
        stderr,
        run.returncode,
        run.timed_out,
    )


@dataclass
class _Run:
    wall_s: float
    returncode: int
    timed_out: bool
    peak_rss_mb: float | None
    cpu_s: float | None = None


def _run(
    argv: list[str], out: IO[bytes], err: IO[bytes], timeout_s: float | None, *, poll_rss: bool
) -> _Run:
    """Start, wait (polling RSS with psutil if asked), stop at the deadline."""
    started = time.perf_counter()
    deadline = None if timeout_s is None else started + timeout_s
    proc = subprocess.Popen(argv, stdout=out, stderr=err)
    peak = 0
    timed_out = False
    while True:
        if poll_rss:
            peak = max(peak, _tree_rss(proc.pid))
        wait_s = _POLL_S if poll_rss else 1.0
        if deadline is not None:
            wait_s = max(0.0, min(wait_s, deadline - time.perf_counter()))
        try:
            code = proc.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            if deadline is not None and time.perf_counter() >= deadline and not timed_out:
                timed_out = True
                _stop(proc)
    wall_s = time.perf_counter() - started
    return _Run(wall_s, code, timed_out, peak / (1024 * 1024) if peak else None)


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants right now (0 if it is gone)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0  # the process (or a child) ended between listing and reading


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc), for stopping what runs under GNU time."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the measured command (the child of GNU time, so that time still reports)."""
    targets = _children(proc.pid) or [proc.pid]
    for pid in targets:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _gnu_time_report(path: Path) -> tuple[float | None, float | None]:
    """Peak RSS in MB and user + system CPU seconds from GNU time's -o file."""
    text = path.read_bytes() if path.exists() else b""
    peak = _MAX_RSS.search(text)
    cpu = [float(t) for t in _CPU.findall(text)]
    return (int(peak.group(1)) / 1024 if peak else None), (sum(cpu) if cpu else None)


def executable(name: str) -> str:
    """A console script of this virtualenv (beside the interpreter), else from PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SubprocessFailedError(f"{name} is neither beside {sys.executable} nor on PATH")
    return found
