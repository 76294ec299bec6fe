"""A progress bar per entity on a TTY; silence elsewhere (pipes, CI, ``--json``)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from seedctl.cli.output import error_console

__all__ = ["BarObserver", "observer_for"]


class BarObserver:
    """Implements the engine's observer protocol with rich progress bars on stderr."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=error_console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def started(self, pending: Mapping[str, int]) -> None:
        for entity, total in pending.items():
            self._tasks[entity] = self._progress.add_task(entity, total=total)
        self._progress.start()

    def advanced(self, entity: str, rows: int) -> None:
        self._progress.advance(self._tasks[entity], rows)

    def finished(self) -> None:
        self._progress.stop()


def observer_for(as_json: bool) -> BarObserver | None:
    """Bars only for a person watching a terminal."""
    if as_json or not error_console.is_terminal:
        return None
    return BarObserver()
