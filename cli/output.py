"""Rendering results: a table for people, one JSON object for scripts, errors as one paragraph."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["console", "error_console", "print_json", "print_table"]

# Off a terminal rich assumes 80 columns and squeezes tables; logs and pipes have room.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
error_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(result: Mapping[str, Any]) -> None:
    """One JSON object on stdout, sorted keys, for scripts (``--json``)."""
    sys.stdout.write(msgspec.json.encode(result, order="sorted").decode() + "\n")


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[object]], *, footer: str = ""
) -> None:
    """A titled table on stdout; numbers right-aligned."""
    # Text(), not str: paths and database values are data, never rich markup.
    table = Table(title=Text(title), title_justify="left", show_footer=False)
    numeric = [all(isinstance(r[i], int) for r in rows) and bool(rows) for i in range(len(columns))]
    for name, is_number in zip(columns, numeric, strict=True):
        table.add_column(name, justify="right" if is_number else "left")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    console.print(table)
    if footer:
        console.print(footer, markup=False)
