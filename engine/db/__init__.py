"""The database plumbing: which server, how to connect, a run's session and lock,
retry of transient failures, driver errors translated once, read-only views,
the embedded PostgreSQL and the environment marking. Imports no job.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.db.database import (
        Database,
        connect_engine,
        describe,
        resolve_database,
        sqlalchemy_url,
    )
    from seedctl.engine.db.embedded import EMBEDDED_DATABASE, is_initialised, seedctl_home
    from seedctl.engine.db.environment import get_environment, guard_production, set_environment
    from seedctl.engine.db.errors import translate_driver_error, translate_write_error
    from seedctl.engine.db.locking import LOCK_CLASS, acquire_tenant_lock
    from seedctl.engine.db.readonly import driver_connection, read_only_transaction
    from seedctl.engine.db.retry import DEFAULT_RETRY_WINDOW, RetryPolicy, is_transient, with_retry
    from seedctl.engine.db.session import SIBLING_LOCK_TIMEOUT_MS, RunSession

__all__ = [
    "DEFAULT_RETRY_WINDOW",
    "EMBEDDED_DATABASE",
    "LOCK_CLASS",
    "SIBLING_LOCK_TIMEOUT_MS",
    "Database",
    "RetryPolicy",
    "RunSession",
    "acquire_tenant_lock",
    "connect_engine",
    "describe",
    "driver_connection",
    "get_environment",
    "guard_production",
    "is_initialised",
    "is_transient",
    "read_only_transaction",
    "resolve_database",
    "seedctl_home",
    "set_environment",
    "sqlalchemy_url",
    "translate_driver_error",
    "translate_write_error",
    "with_retry",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".database": (
            "Database",
            "connect_engine",
            "describe",
            "resolve_database",
            "sqlalchemy_url",
        ),
        ".embedded": ("EMBEDDED_DATABASE", "is_initialised", "seedctl_home"),
        ".environment": ("get_environment", "guard_production", "set_environment"),
        ".errors": ("translate_driver_error", "translate_write_error"),
        ".locking": ("LOCK_CLASS", "acquire_tenant_lock"),
        ".readonly": ("driver_connection", "read_only_transaction"),
        ".retry": ("DEFAULT_RETRY_WINDOW", "RetryPolicy", "is_transient", "with_retry"),
        ".session": ("SIBLING_LOCK_TIMEOUT_MS", "RunSession"),
    },
)
