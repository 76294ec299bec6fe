"""The ledger's schema name and version, apart from the tables (``store``).

Here so that readers which must not import SQLAlchemy (``last_apply``, for the
no-op rerun) agree with ``store`` on the version they understand.
"""

from __future__ import annotations

__all__ = ["LEDGER_SCHEMA", "LEDGER_SCHEMA_VERSION"]

LEDGER_SCHEMA = "seedctl"
LEDGER_SCHEMA_VERSION = 5
