"""The ledger's schema name and version, and the tenant lock's key, apart from the tables.

Here so that readers which must not import SQLAlchemy (``last_apply``, for the
no-op rerun) agree with ``store`` on the version they understand and with every
writer on the lock that keeps a tenant's runs apart.
"""

from __future__ import annotations

__all__ = ["LEDGER_SCHEMA", "LEDGER_SCHEMA_VERSION", "TENANT_LOCK_CLASS"]

LEDGER_SCHEMA = "seedctl"
LEDGER_SCHEMA_VERSION = 5
TENANT_LOCK_CLASS = 0x5EED
"""The first half of a tenant's advisory lock key, ``(TENANT_LOCK_CLASS, hashtext(tenant))``:
"this is seedctl". Every seedctl that writes a ledger must agree on it."""
