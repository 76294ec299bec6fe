"""One error root for everything a user can get wrong, each with its exit code.

The CLI catches only :class:`SeedctlError`, prints its message as one paragraph
and exits with ``exit_code``. The codes are part of the interface and are listed
in ``docs/cli.md``; never renumber one.
"""

from __future__ import annotations

__all__ = [
    "BadValueError",
    "CollisionError",
    "ConfigError",
    "ContentionError",
    "DatabaseUnavailableError",
    "DependentRowsError",
    "DriftError",
    "LedgerSchemaError",
    "LockBusyError",
    "LogCorruptError",
    "LogError",
    "PermissionDeniedError",
    "ProductionGuardError",
    "SeedctlError",
    "UnknownNameError",
    "VerificationFailedError",
]


class SeedctlError(Exception):
    """Root of every error seedctl reports to a user rather than crashing on."""

    exit_code = 1
    table: str | None = None
    """The table the error is about, where there is one (``--json`` reports it)."""


class ConfigError(SeedctlError):
    """An option or argument that cannot work (bad date, bad scale, unknown scenario)."""

    exit_code = 2


class LogError(SeedctlError):
    """The log file cannot be used: missing, not a log, wrong format or other scenario."""

    exit_code = 3

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line

    def __reduce__(self) -> tuple[object, ...]:
        # Crosses process boundaries (a parallel log scan) with its class and place intact.
        return (_restore_log_error, (type(self), str(self), self.path, self.line))


def _restore_log_error(
    kind: type[LogError], text: str, path: str | None, line: int | None
) -> LogError:
    error = kind(text)
    error.path, error.line = path, line
    return error


class LogCorruptError(LogError):
    """A line of the log fails its hash or chain check, or is torn."""


class DatabaseUnavailableError(SeedctlError):
    """The server cannot be reached, or refuses the credentials."""

    exit_code = 4


class PermissionDeniedError(DatabaseUnavailableError):
    """The role lacks a privilege a statement needs (SQLSTATE 42501)."""


class CollisionError(SeedctlError):
    """A row with the seed's natural key exists and was not written by this seed."""

    exit_code = 5


class LockBusyError(SeedctlError):
    """Another seedctl run holds this tenant's advisory lock and we were told not to wait."""

    exit_code = 6


class ContentionError(LockBusyError):
    """Other sessions kept a row locked, or kept aborting our transaction, for the whole
    retry window (lock timeouts, deadlocks, serialization failures)."""


class ProductionGuardError(SeedctlError):
    """The database is marked production and the command would write to it."""

    exit_code = 7


class VerificationFailedError(SeedctlError):
    """The database does not match what the log and ledger say it should hold."""

    exit_code = 8


class DriftError(SeedctlError):
    """Seeded rows were changed by someone else since the seed wrote them."""

    exit_code = 9


class UnknownNameError(SeedctlError):
    """The log does not fit the target tables: an entity, table or column they lack, a
    key or reference the catalog cannot follow."""

    exit_code = 10


class BadValueError(SeedctlError):
    """A value its column's type refuses (a bad date, a NUL byte, an unknown enum label),
    found before the first write; the same code as a log that does not fit the tables."""

    exit_code = 10


class DependentRowsError(SeedctlError):
    """Revert would delete, change or trip over rows outside the ledger (foreign keys from
    app rows to seeded ones); nothing was reverted."""

    exit_code = 12


class LedgerSchemaError(SeedctlError):
    """The ledger tables were written by a newer seedctl, or are damaged."""

    exit_code = 11
