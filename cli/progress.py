"""Progress you can see, on stderr: spinners and bars on a terminal, heartbeat lines elsewhere.

On a terminal (and without ``--json``) a spinner names the phase (verifying the log,
checking for collisions or drift, planning, verifying) and bars count rows once
writing starts. Without a terminal (CI, pipes) a line ``seedctl: <what> (<n>s)`` goes
to stderr every ``$SEEDCTL_PROGRESS_SECONDS`` (default 5) seconds of long work, so a
CI log shows the run is alive. Writes stderr only.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from seedctl.cli.output import error_console, say, state

__all__ = ["Activity", "ApplyProgress", "RevertProgress", "activity"]

DEFAULT_SECONDS = 5.0


def _interval() -> float:
    try:
        return max(0.05, float(os.environ.get("SEEDCTL_PROGRESS_SECONDS") or DEFAULT_SECONDS))
    except ValueError:
        return DEFAULT_SECONDS


def _interactive() -> bool:
    return error_console.is_terminal and not state.json


class Activity:
    """One phase of long work: a spinner on a terminal, else a heartbeat line now and then."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status: object | None = None
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def start(self) -> Activity:
        if _interactive():
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=error_console,
                transient=True,
            )
            self._task = self._progress.add_task(self.label, total=None)
            self._progress.start()
        else:
            self._thread = threading.Thread(target=self._beat, name="seedctl-progress", daemon=True)
            self._thread.start()
        return self

    def update(self, label: str) -> None:
        """Name the phase now running."""
        self.label = label
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=label)

    def _beat(self) -> None:
        every = _interval()
        while not self._stop.wait(every):
            seconds = time.monotonic() - self._started
            say(
                "progress",
                f"seedctl: {self.label} ({seconds:.0f}s)",
                level="info",
                what=self.label,
                elapsed_s=round(seconds, 1),
            )

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> Activity:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@contextmanager
def activity(label: str) -> Iterator[Activity]:
    """``with activity("planning"):`` shows the phase for as long as the block runs."""
    with Activity(label) as running:
        yield running


class ApplyProgress:
    """The engine's apply observer: a spinner until writing starts, then a bar per entity.

    Off a terminal the heartbeat keeps going, counting rows written.
    """

    def __init__(self) -> None:
        self._before = Activity("verifying the log, checking the schema and collisions").start()
        self._bars: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._total = 0
        self._done = 0

    def started(self, pending: Mapping[str, int]) -> None:
        self._total = sum(pending.values())
        if _interactive():
            self._before.stop()
            self._bars = Progress(
                TextColumn("{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=error_console,
                transient=False,
            )
            for entity, total in pending.items():
                self._tasks[entity] = self._bars.add_task(entity, total=total)
            self._bars.start()
        else:
            self._before.update(f"applying: 0 of {self._total} commands")

    def advanced(self, entity: str, rows: int) -> None:
        self._done += rows
        if self._bars is not None:
            self._bars.advance(self._tasks[entity], rows)
        else:
            self._before.update(f"applying: {self._done} of {self._total} commands")

    def finished(self) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
        self._before.update("post-seed count check")

    def close(self) -> None:
        """Stop whatever still runs (the run ended, or failed before writing)."""
        self.finished()
        self._before.stop()


class RevertProgress:
    """The engine's revert observer: a spinner through the drift check, then one bar."""

    def __init__(self) -> None:
        self._before = Activity("revert: reading the ledger, checking for drift").start()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0
        self._done = 0

    def started(self, total_rows: int) -> None:
        self._total = total_rows
        if _interactive():
            self._before.stop()
            self._bar = Progress(console=error_console)
            self._task = self._bar.add_task("revert", total=total_rows)
            self._bar.start()
        else:
            self._before.update(f"reverting: 0 of {total_rows} rows")

    def advanced(self, rows: int) -> None:
        self._done += rows
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, rows)
        else:
            self._before.update(f"reverting: {self._done} of {self._total} rows")

    def finished(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def close(self) -> None:
        self.finished()
        self._before.stop()
