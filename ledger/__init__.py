"""The record: IDs, commands, their canonical hash, the log file and the ledger tables.

Nothing here knows about scenarios, the CLI or how rows get written; ``engine``
builds on it and ``cli`` on both. The modules: ``ids`` (UUIDv5 namespaces and
natural keys), ``commands`` (the command model and its hash), ``logfile``
(reading the hash-chained log), ``logencode`` (commands encoded for its lines),
``logwrite`` (appending generations to it), ``store`` (the ``seedctl`` schema in
the database; its name and version in ``version``), ``last_apply`` (the no-op
rerun's question, asked with psycopg alone) and ``errors`` (the one error root and
its exit codes).
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.ledger.commands import (
        CANONICAL_FORM,
        HASH_ALGORITHM,
        Command,
        JsonScalar,
        JsonValue,
        RowRef,
        canonical_bytes,
        command_hash,
        delete_command,
    )
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
    from seedctl.ledger.ids import NAMESPACES, NaturalKey, slugify
    from seedctl.ledger.logfile import (
        LOG_FORMAT,
        GenerationRecord,
        LogHeader,
        LogReader,
        LogRecord,
        repair_log,
        repair_torn_tail,
        verify_log,
    )
    from seedctl.ledger.logwrite import append_commands, upgrade_log

__all__ = [
    "CANONICAL_FORM",
    "HASH_ALGORITHM",
    "LOG_FORMAT",
    "NAMESPACES",
    "BadValueError",
    "CollisionError",
    "Command",
    "ConfigError",
    "ContentionError",
    "DatabaseUnavailableError",
    "DependentRowsError",
    "DriftError",
    "GenerationRecord",
    "JsonScalar",
    "JsonValue",
    "LedgerSchemaError",
    "LockBusyError",
    "LogCorruptError",
    "LogError",
    "LogHeader",
    "LogReader",
    "LogRecord",
    "NaturalKey",
    "PermissionDeniedError",
    "ProductionGuardError",
    "RowRef",
    "SeedctlError",
    "UnknownNameError",
    "VerificationFailedError",
    "append_commands",
    "canonical_bytes",
    "command_hash",
    "delete_command",
    "repair_log",
    "repair_torn_tail",
    "slugify",
    "upgrade_log",
    "verify_log",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".commands": (
            "CANONICAL_FORM",
            "HASH_ALGORITHM",
            "Command",
            "JsonScalar",
            "JsonValue",
            "RowRef",
            "canonical_bytes",
            "command_hash",
            "delete_command",
        ),
        ".errors": (
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
        ),
        ".ids": ("NAMESPACES", "NaturalKey", "slugify"),
        ".logfile": (
            "LOG_FORMAT",
            "GenerationRecord",
            "LogHeader",
            "LogReader",
            "LogRecord",
            "repair_log",
            "repair_torn_tail",
            "verify_log",
        ),
        ".logwrite": ("append_commands", "upgrade_log"),
    },
)
