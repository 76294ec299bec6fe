"""Rendering results: a table for people, one JSON object for scripts, errors as one paragraph.

The one place errors are rendered (:func:`render_error`): as an ``error:`` paragraph on
stderr, as an ``error`` event when ``--log-format json``, and, with ``--json``, as one
JSON object on stdout (merged into the result when the command already had one), so
``seedctl apply --json | jq .ok`` works whatever happens. Writes only stdout and stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import structlog
from rich.console import Console
from rich.table import Table
from rich.text import Text
from seedctl.ledger import SeedctlError

__all__ = [
    "console",
    "error_console",
    "error_payload",
    "flush_json",
    "print_json",
    "print_table",
    "render_error",
    "say",
    "state",
]

# Off a terminal rich assumes 80 columns and squeezes tables; logs and pipes have room.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
error_console = Console(stderr=True, highlight=False, soft_wrap=True)
log = structlog.get_logger("seedctl.cli")


class _State:
    """What the entry point learnt about this invocation, for rendering."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.json = False
        """``--json`` was given: results and errors are JSON objects on stdout."""
        self.json_log = False
        """``--log-format json``: stderr carries JSON events only."""
        self.defer_json = False
        """The entry point prints the JSON result at the end, so that a failure after the
        result was computed (verify, plan --check) still yields one object."""
        self.result: dict[str, Any] | None = None


state = _State()


def _encode(payload: Mapping[str, Any]) -> str:
    return msgspec.json.encode(payload, order="sorted").decode()


def print_json(result: Mapping[str, Any]) -> None:
    """One JSON object on stdout, sorted keys, for scripts (``--json``)."""
    if state.defer_json:
        state.result = dict(result)
        return
    sys.stdout.write(_encode(result) + "\n")


def flush_json() -> None:
    """Print the deferred result, if any (success)."""
    if state.result is not None:
        sys.stdout.write(_encode(state.result) + "\n")
        state.result = None


def error_payload(error: BaseException, exit_code: int) -> dict[str, Any]:
    """An error as data: kind, exit code, message and, where known, its ``log:line`` or table."""
    kind = type(error).__name__
    payload: dict[str, Any] = {
        "ok": False,
        "exit_code": exit_code,
        "error": kind,
        "message": str(error),
    }
    path, line = getattr(error, "path", None), getattr(error, "line", None)
    if path is not None:
        payload["log"] = f"{path}:{line}" if line is not None else str(path)
    table = getattr(error, "table", None)
    if table is not None:
        payload["table"] = table
    return payload


def render_error(error: BaseException, exit_code: int, *, message: str | None = None) -> None:
    """Report a failure once, in every form this invocation asked for."""
    text = message if message is not None else str(error)
    payload = error_payload(error, exit_code)
    payload["message"] = text
    if state.json:
        merged = {**(state.result or {}), **payload}
        state.result = None
        sys.stdout.write(_encode(merged) + "\n")
    if state.json_log:
        fields = {k: v for k, v in payload.items() if k not in {"message", "ok"}}
        log.error("command_failed", message=text, **fields)
    else:
        error_console.print(f"error: {text}", markup=False)


def say(event: str, text: str, *, level: str = "warning", **fields: Any) -> None:
    """A line for the person on stderr, or the same as an event with ``--log-format json``.

    ``fields`` are the event's data; the text is its ``message``.
    """
    if state.json_log:
        getattr(log, level)(event, message=text, **fields)
    else:
        error_console.print(text, markup=False)


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, footer: str = ""
) -> None:
    """A titled table on stdout; numbers right-aligned and never cut, however narrow.

    When the table does not fit the terminal it is drawn at its natural width (the
    terminal wraps the lines) rather than squeezed until numbers end in an ellipsis.
    """
    # Text(), not str: paths and database values are data, never rich markup.
    table = Table(title=Text(title), title_justify="left", show_footer=False)
    numeric = [all(isinstance(r[i], int) for r in rows) and bool(rows) for i in range(len(columns))]
    natural = 1
    for i, (name, is_number) in enumerate(zip(columns, numeric, strict=True)):
        longest = max((len("" if r[i] is None else str(r[i])) for r in rows), default=0)
        # Text may wrap; a number may not. Padding and border take 3 more per column.
        natural += max(longest if is_number else min(longest, 24), len(name)) + 3
        table.add_column(name, justify="right" if is_number else "left", no_wrap=is_number)
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    width = console.width
    if natural > width:
        console.width = natural  # print() alone cannot go wider than the console
    try:
        console.print(table)
    finally:
        console.width = width
    if footer:
        console.print(footer, markup=False)


def exit_code_of(error: BaseException) -> int:
    """The exit code a failure maps to."""
    if isinstance(error, SeedctlError):
        return error.exit_code
    return 1
