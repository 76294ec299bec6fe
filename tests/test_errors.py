"""The error root and its exit codes: part of the interface, listed in docs/cli.md."""

from __future__ import annotations

import pickle

import pytest
from seedctl.ledger import errors
from seedctl.ledger.errors import (
    BadValueError,
    CollisionError,
    ConfigError,
    ContentionError,
    DatabaseUnavailableError,
    DependentRowsError,
    DriftError,
    LedgerSchemaError,
    LockBusyError,
    LogCorruptError,
    LogError,
    PermissionDeniedError,
    ProductionGuardError,
    SeedctlError,
    UnknownNameError,
    VerificationFailedError,
)

EXIT_CODES: dict[type[SeedctlError], int] = {
    SeedctlError: 1,
    ConfigError: 2,
    LogError: 3,
    LogCorruptError: 3,
    DatabaseUnavailableError: 4,
    PermissionDeniedError: 4,
    CollisionError: 5,
    LockBusyError: 6,
    ContentionError: 6,
    ProductionGuardError: 7,
    VerificationFailedError: 8,
    DriftError: 9,
    UnknownNameError: 10,
    BadValueError: 10,
    LedgerSchemaError: 11,
    DependentRowsError: 12,
}
"""docs/cli.md's table; a code is never renumbered."""


def test_every_error_has_its_documented_exit_code() -> None:
    """Each error class exits with its own fixed code, and every one is a SeedctlError."""
    assert {kind: kind.exit_code for kind in EXIT_CODES} == EXIT_CODES
    assert all(issubclass(kind, SeedctlError) for kind in EXIT_CODES)
    assert issubclass(LogCorruptError, LogError)
    assert sorted(errors.__all__) == sorted(kind.__name__ for kind in EXIT_CODES)


@pytest.mark.parametrize(
    ("path", "line", "text"),
    [
        ("seed.log", 7, "seed.log:7: torn"),
        ("seed.log", None, "seed.log: torn"),
        (None, None, "torn"),
    ],
)
def test_log_errors_name_the_file_and_line(path: str | None, line: int | None, text: str) -> None:
    """A log error's message starts with ``path:line: ``, or ``path: `` without a line."""
    error = LogCorruptError("torn", path=path, line=line)
    assert str(error) == text
    assert (error.path, error.line) == (path, line)


@pytest.mark.parametrize("kind", [LogError, LogCorruptError])
def test_log_errors_cross_a_process_boundary_intact(kind: type[LogError]) -> None:
    """Pickled (as a parallel scan's worker sends it), a log error keeps class, text and place."""
    error = kind("chain broken", path="seed.log", line=12)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes, just made)
    assert type(copy) is kind
    assert str(copy) == "seed.log:12: chain broken"
    assert (copy.path, copy.line) == ("seed.log", 12)
    assert copy.exit_code == 3
