"""The ledger in the database: schema ``seedctl`` with ``meta``, ``runs`` and ``applied``.

``applied`` holds one row per applied command per tenant: its content hash, where
it came from (seq, run), what it touched (table, row id), what happened
(inserted, updated, unchanged, or deleted by a generation that no longer makes the
row) and the row's image before and after. Target rows
and their ``applied`` rows are written in one transaction by the applier; that
is the whole resume story. Everything here runs inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from seedctl.ledger.errors import ConfigError, LedgerSchemaError
from seedctl.ledger.version import LEDGER_SCHEMA, LEDGER_SCHEMA_VERSION
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert

__all__ = [
    "ENVIRONMENTS",
    "LEDGER_SCHEMA",
    "LEDGER_SCHEMA_VERSION",
    "analyze_if_stale",
    "applied",
    "applied_count",
    "applied_hashes",
    "ensure_ledger",
    "finish_run",
    "get_environment",
    "last_apply_run",
    "last_run",
    "ledger_exists",
    "ledger_version",
    "mark_interrupted",
    "meta",
    "metadata",
    "runs",
    "set_environment",
    "start_run",
]


# From version N to N + 1. Each statement is idempotent, so a migration interrupted
# half way simply runs again; the version row moves in the same transaction.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE seedctl.runs ADD COLUMN IF NOT EXISTS log_file_sha256 text",
        "ALTER TABLE seedctl.runs DROP CONSTRAINT IF EXISTS runs_status",
        "ALTER TABLE seedctl.runs ADD CONSTRAINT runs_status CHECK (status IN "
        "('running', 'succeeded', 'failed', 'interrupted', 'reverting', 'reverted'))",
        "ALTER TABLE seedctl.applied ALTER COLUMN applied_at SET DEFAULT now()",
        "CREATE INDEX IF NOT EXISTS applied_inserted_order ON seedctl.applied "
        "(tenant, applied_at DESC, seq DESC) WHERE outcome = 'inserted'",
    ),
    # Version 3 makes each ledger row cheaper to write (docs/benchmarks.md): no foreign
    # key to runs, which cost a trigger per row; seedctl never deletes runs.
    2: ("ALTER TABLE seedctl.applied DROP CONSTRAINT IF EXISTS applied_run_id_fkey",),
    # Version 4 records the real primary key of rows not keyed by the command id (a
    # serial or identity id, a composite key); NULL where row_id is the key.
    3: ("ALTER TABLE seedctl.applied ADD COLUMN IF NOT EXISTS row_key jsonb",),
    # Version 5 records deletes (a generation that no longer makes a row): outcome
    # 'deleted', the row's image in before, no after.
    4: (
        "ALTER TABLE seedctl.applied ALTER COLUMN after DROP NOT NULL",
        "ALTER TABLE seedctl.applied DROP CONSTRAINT IF EXISTS applied_outcome",
        "ALTER TABLE seedctl.applied ADD CONSTRAINT applied_outcome CHECK (outcome IN "
        "('inserted', 'updated', 'unchanged', 'deleted'))",
        "ALTER TABLE seedctl.applied DROP CONSTRAINT IF EXISTS applied_after",
        "ALTER TABLE seedctl.applied ADD CONSTRAINT applied_after CHECK "
        "(after IS NOT NULL OR outcome = 'deleted')",
    ),
}
ENVIRONMENTS = ("development", "staging", "production")

metadata = sa.MetaData(schema=LEDGER_SCHEMA)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    comment="seedctl's own settings: schema_version, environment.",
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("tenant", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("log_digest", sa.Text),
    sa.Column("log_file_sha256", sa.Text),
    sa.Column("scenario", sa.Text),
    sa.Column("params", JSONB),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("db_user", sa.Text, nullable=False, server_default=sa.text("current_user")),
    sa.Column("os_user", sa.Text),
    sa.Column("host", sa.Text),
    sa.Column("seedctl_version", sa.Text, nullable=False),
    sa.Column("counts", JSONB),
    sa.CheckConstraint("kind IN ('apply', 'revert')", name="runs_kind"),
    sa.CheckConstraint(
        "status IN ('running', 'succeeded', 'failed', 'interrupted', 'reverting', 'reverted')",
        name="runs_status",
    ),
    sa.Index("runs_tenant_started", "tenant", "started_at"),
    comment="One row per apply or revert run: who, where, what log, how it ended.",
)

applied = sa.Table(
    "applied",
    metadata,
    sa.Column("tenant", sa.Text, primary_key=True),
    sa.Column("command_hash", sa.Text, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("table_name", sa.Text, nullable=False),
    # The command id: the UUIDv5 of the row's natural key, the log's identity of the row.
    sa.Column("row_id", UUID(as_uuid=True), nullable=False),
    # The row's primary key as the database holds it ({"id": 17}, {"userId": .., "teamId":
    # ..}), where that is not row_id itself; NULL for tables keyed by the command id.
    sa.Column("row_key", JSONB),
    # No foreign key to runs: it cost a trigger per ledger row, and runs are never deleted.
    sa.Column("run_id", UUID(as_uuid=True), nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("before", JSONB),
    # NULL only for 'deleted': the row is gone (before holds its image, if it was there).
    sa.Column("after", JSONB),
    # now(), the batch transaction's start, not clock_timestamp(): every row of a batch
    # shares it, so (applied_at, seq) orders entries exactly as they were applied, which
    # revert relies on to delete children before their parents.
    sa.Column(
        "applied_at",
        sa.DateTime(timezone=True),
        nullable=False,
        server_default=sa.text("now()"),
    ),
    sa.CheckConstraint(
        "outcome IN ('inserted', 'updated', 'unchanged', 'deleted')", name="applied_outcome"
    ),
    # Every write has an after-image; apply's upsert relies on this to refuse a row it
    # did not write (see batch_sql).
    sa.CheckConstraint("after IS NOT NULL OR outcome = 'deleted'", name="applied_after"),
    # Revert's per-page lookups need all three columns: on row_id alone the planner
    # may take applied_run instead and read the whole run per page (measured: 4x slower).
    sa.Index("applied_row", "tenant", "table_name", "row_id"),
    # Revert deletes inserted rows newest first; this index hands it each page in order.
    sa.Index(
        "applied_inserted_order",
        "tenant",
        sa.text("applied_at DESC"),
        sa.text("seq DESC"),
        postgresql_where=sa.text("outcome = 'inserted'"),
    ),
    sa.Index("applied_run", "run_id"),
    comment="One row per applied command: the audit trail and the resume point.",
)


def ledger_exists(conn: sa.Connection) -> bool:
    """Whether the ledger is there, refusing one newer than this seedctl reads. Read-only.

    Every read path asks this first, so a newer ledger is exit 11 everywhere rather
    than a misreading; an older one reads fine (its migration waits for a write).
    """
    exists = bool(
        conn.execute(sa.text("SELECT to_regclass('seedctl.applied') IS NOT NULL")).scalar_one()
    )
    found = ledger_version(conn) if exists else None
    if found is not None and found > LEDGER_SCHEMA_VERSION:
        raise LedgerSchemaError(
            f"the ledger in this database is version {found}; this seedctl reads up to "
            f"{LEDGER_SCHEMA_VERSION}. Upgrade seedctl."
        )
    return exists


def ensure_ledger(conn: sa.Connection) -> None:
    """Create the ledger schema and tables if missing, and check their version.

    Writes DDL on first use only: a ledger already at this version with all its
    tables is left alone without a statement, so a role with only SELECT, INSERT,
    UPDATE and DELETE on a ledger an admin created can apply and revert. Idempotent,
    and safe against a concurrent seedctl doing the same (the transaction-level
    advisory lock serialises it).
    """
    if ledger_version(conn) == LEDGER_SCHEMA_VERSION and _ledger_tables_present(conn):
        return
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('seedctl:ledger-ddl'))"))
    conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {LEDGER_SCHEMA}"))
    found = ledger_version(conn)
    if found is not None and found > LEDGER_SCHEMA_VERSION:
        raise LedgerSchemaError(
            f"the ledger in this database is version {found}; this seedctl knows up to "
            f"{LEDGER_SCHEMA_VERSION}. Upgrade seedctl."
        )
    if found is not None:
        for version in range(found, LEDGER_SCHEMA_VERSION):
            for statement in MIGRATIONS[version]:
                conn.execute(sa.text(statement))
    metadata.create_all(conn, checkfirst=True)
    stmt = insert(meta).values(key="schema_version", value=str(LEDGER_SCHEMA_VERSION))
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    )


def _ledger_tables_present(conn: sa.Connection) -> bool:
    names = [f"{LEDGER_SCHEMA}.{t.name}" for t in metadata.sorted_tables]
    found = conn.execute(
        sa.text("SELECT count(to_regclass(n)) FROM unnest(CAST(:names AS text[])) AS n"),
        {"names": names},
    ).scalar_one()
    return bool(found == len(names))


def ledger_version(conn: sa.Connection) -> int | None:
    """The ledger's schema version, or None where there is no ledger yet. Read-only.

    A ``schema_version`` that is not a whole number is a damaged ledger (exit 11).
    """
    if not conn.execute(sa.text("SELECT to_regclass('seedctl.meta') IS NOT NULL")).scalar_one():
        return None
    value = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == "schema_version")
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise LedgerSchemaError(
            f"seedctl.meta holds schema_version {value[:40]!r}, not a version number: the "
            "ledger is damaged. Restore it, or set it to the version its tables have."
        ) from None


def get_environment(conn: sa.Connection) -> str | None:
    """The environment this database is marked as, or None. Read-only."""
    if not ledger_exists(conn):
        return None
    value: str | None = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == "environment")
    ).scalar_one_or_none()
    return value


def set_environment(conn: sa.Connection, environment: str) -> None:
    """Mark the database as development, staging or production. Writes ``seedctl.meta``."""
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            f"environment must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
        )
    ensure_ledger(conn)
    stmt = insert(meta).values(key="environment", value=environment)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value})
    )


def applied_hashes(conn: sa.Connection, tenant: str) -> set[bytes]:
    """Hashes (raw 32-byte digests) of every command applied for ``tenant``. Read-only.

    Raw bytes rather than hex strings halve the memory a million-command ledger takes.
    """
    if not ledger_exists(conn):
        return set()
    result = conn.execute(
        sa.text("SELECT decode(command_hash, 'hex') FROM seedctl.applied WHERE tenant = :t"),
        {"t": tenant},
    )
    return {bytes(row[0]) for row in result}


def analyze_if_stale(conn: sa.Connection) -> None:
    """Fresh statistics for the ledger, whether or not autovacuum has run: revert's page
    queries and apply's removal checks otherwise fall into nested-loop plans (minutes
    instead of a second). Writes statistics only, when a tenth of the ledger changed."""
    stale = conn.execute(
        sa.text(
            "SELECT coalesce(n_mod_since_analyze > greatest(n_live_tup, 1) / 10, true) "
            "FROM pg_stat_user_tables WHERE relid = 'seedctl.applied'::regclass"
        )
    ).scalar()
    if stale is not False:
        conn.execute(sa.text("ANALYZE seedctl.applied"))


def start_run(
    conn: sa.Connection,
    *,
    tenant: str,
    kind: str,
    version: str,
    log_digest: str | None = None,
    log_file_sha256: str | None = None,
    scenario: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> uuid.UUID:
    """Record a run as running and return its id. Writes ``seedctl.runs``."""
    run_id = uuid.uuid4()
    conn.execute(
        runs.insert().values(
            run_id=run_id,
            tenant=tenant,
            kind=kind,
            log_digest=log_digest,
            log_file_sha256=log_file_sha256,
            scenario=scenario,
            params=dict(params) if params is not None else None,
            started_at=dt.datetime.now(dt.UTC),
            status="running",
            os_user=_os_user(),
            host=socket.gethostname(),
            seedctl_version=version,
        )
    )
    return run_id


def mark_interrupted(conn: sa.Connection, tenant: str) -> int:
    """Mark ``tenant``'s runs still 'running' as 'interrupted'; return how many. Writes.

    Only call this while holding the tenant's lock: then no run of the tenant can be
    alive, so a 'running' row is one whose process was killed.
    """
    result = conn.execute(
        runs.update()
        .where(runs.c.tenant == tenant, runs.c.status == "running")
        .values(status="interrupted")
    )
    return int(result.rowcount)


def last_run(conn: sa.Connection, tenant: str) -> sa.Row[Any] | None:
    """The tenant's most recent run of any kind, or None. Read-only."""
    return conn.execute(
        sa.select(runs).where(runs.c.tenant == tenant).order_by(runs.c.started_at.desc()).limit(1)
    ).first()


def last_apply_run(conn: sa.Connection, tenant: str) -> sa.Row[Any] | None:
    """The tenant's most recent apply run, or None. Read-only."""
    return conn.execute(
        sa.select(runs)
        .where(runs.c.tenant == tenant, runs.c.kind == "apply")
        .order_by(runs.c.started_at.desc())
        .limit(1)
    ).first()


def applied_count(conn: sa.Connection, tenant: str) -> int:
    """How many commands the ledger holds for ``tenant``. Read-only."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(applied).where(applied.c.tenant == tenant)
        ).scalar_one()
    )


def finish_run(
    conn: sa.Connection, run_id: uuid.UUID, *, status: str, counts: Mapping[str, Any]
) -> None:
    """Mark a run finished with its outcome counts. Exactly one row must change."""
    result = conn.execute(
        runs.update()
        .where(runs.c.run_id == run_id)
        .values(status=status, finished_at=dt.datetime.now(dt.UTC), counts=dict(counts))
    )
    if result.rowcount != 1:
        raise LedgerSchemaError(f"run {run_id} is missing from seedctl.runs")


def _os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None
