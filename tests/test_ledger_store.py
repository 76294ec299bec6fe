"""The ledger tables in a real PostgreSQL: schema, version check, environment mark, runs."""

from __future__ import annotations

import datetime as dt
import getpass
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from seedctl.engine.db import connect_engine
from seedctl.ledger import ConfigError, LedgerSchemaError
from seedctl.ledger.store import (
    LEDGER_SCHEMA_VERSION,
    applied,
    applied_count,
    applied_hashes,
    ensure_ledger,
    finish_run,
    get_environment,
    last_run,
    ledger_exists,
    ledger_version,
    mark_interrupted,
    runs,
    set_environment,
    start_run,
)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on this test's fresh, empty database."""
    with connect_engine(database_url) as engine:
        yield engine


@pytest.fixture
def ledger(engine: sa.Engine) -> sa.Engine:
    """The engine, with the ledger tables created."""
    with engine.begin() as conn:
        ensure_ledger(conn)
    return engine


def ledger_tables(conn: sa.Connection) -> set[str]:
    rows = conn.execute(
        sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'seedctl'")
    )
    return set(rows.scalars())


def meta_rows(conn: sa.Connection) -> dict[str, str]:
    rows = conn.execute(sa.text("SELECT key, value FROM seedctl.meta"))
    return {row.key: row.value for row in rows}


def test_ensure_ledger_creates_schema_tables_and_version(engine: sa.Engine) -> None:
    """ensure_ledger creates schema seedctl with meta, runs and applied, and the version row."""
    with engine.begin() as conn:
        assert not ledger_exists(conn)
        ensure_ledger(conn)
    with engine.connect() as conn:
        assert ledger_exists(conn)
        assert ledger_tables(conn) == {"meta", "runs", "applied"}
        assert meta_rows(conn) == {"schema_version": str(LEDGER_SCHEMA_VERSION)}


def test_ensure_ledger_twice_is_a_no_op(ledger: sa.Engine) -> None:
    """A second ensure_ledger changes nothing and keeps a single version row."""
    with ledger.begin() as conn:
        ensure_ledger(conn)
    with ledger.connect() as conn:
        assert ledger_tables(conn) == {"meta", "runs", "applied"}
        assert meta_rows(conn) == {"schema_version": str(LEDGER_SCHEMA_VERSION)}


def race_to_create_the_ledger(engine: sa.Engine) -> list[BaseException]:
    """Two threads, each in its own transaction, call ensure_ledger at the same moment."""
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def create() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SELECT 1"))  # connected before the race starts
                start.wait(timeout=30)
                ensure_ledger(conn)
        except BaseException as e:
            errors.append(e)  # re-raised in the main thread through the caller's assert

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_ensure_ledger_concurrently_from_two_threads(engine: sa.Engine) -> None:
    """Two sessions creating the ledger at the same moment both succeed (the lock serialises)."""
    for _ in range(3):
        assert race_to_create_the_ledger(engine) == []
        with engine.begin() as conn:
            assert ledger_tables(conn) == {"meta", "runs", "applied"}
            assert meta_rows(conn) == {"schema_version": str(LEDGER_SCHEMA_VERSION)}
            conn.execute(sa.text("DROP SCHEMA seedctl CASCADE"))


def test_newer_ledger_version_is_refused(ledger: sa.Engine) -> None:
    """A ledger written by a newer seedctl is refused with LedgerSchemaError (exit 11)."""
    newer = LEDGER_SCHEMA_VERSION + 1
    with ledger.begin() as conn:
        conn.execute(
            sa.text("UPDATE seedctl.meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(newer)},
        )
    with pytest.raises(LedgerSchemaError) as info, ledger.begin() as conn:
        ensure_ledger(conn)
    assert str(info.value) == (
        f"the ledger in this database is version {newer}; this seedctl knows up to "
        f"{LEDGER_SCHEMA_VERSION}. Upgrade seedctl."
    )
    assert info.value.exit_code == 11


def test_environment_is_unset_and_read_only_on_a_fresh_database(engine: sa.Engine) -> None:
    """get_environment on a database without a ledger is None and creates nothing."""
    with engine.begin() as conn:
        assert get_environment(conn) is None
        assert not ledger_exists(conn)


def test_set_and_get_environment(engine: sa.Engine) -> None:
    """set_environment creates the ledger if needed, and the latest mark wins."""
    with engine.begin() as conn:
        set_environment(conn, "production")
    with engine.begin() as conn:
        assert get_environment(conn) == "production"
        set_environment(conn, "staging")
    with engine.connect() as conn:
        assert get_environment(conn) == "staging"


def test_unknown_environment_is_refused(ledger: sa.Engine) -> None:
    """Only development, staging and production are accepted; the mark is left as it was."""
    with ledger.begin() as conn:
        set_environment(conn, "development")
    with pytest.raises(ConfigError) as info, ledger.begin() as conn:
        set_environment(conn, "prod")
    assert str(info.value) == (
        "environment must be one of development, staging, production, not 'prod'"
    )
    with ledger.connect() as conn:
        assert get_environment(conn) == "development"


def test_start_and_finish_run(ledger: sa.Engine) -> None:
    """start_run records a running run with who and where; finish_run closes it with counts."""
    with ledger.begin() as conn:
        run_id = start_run(
            conn,
            tenant="puzzel-cx-demo",
            kind="apply",
            version="0.1.0",
            log_digest="ab" * 32,
            scenario="okr-demo",
            params={"seed": "s", "as_of": "2025-11-03", "scale": 1},
        )
    with ledger.connect() as conn:
        row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).one()._asdict()
        current_user = conn.execute(sa.text("SELECT current_user")).scalar_one()
    assert isinstance(run_id, uuid.UUID)
    assert row["status"] == "running"
    assert row["finished_at"] is None
    assert (row["tenant"], row["kind"], row["scenario"]) == ("puzzel-cx-demo", "apply", "okr-demo")
    assert row["params"] == {"seed": "s", "as_of": "2025-11-03", "scale": 1}
    assert (row["log_digest"], row["seedctl_version"]) == ("ab" * 32, "0.1.0")
    assert row["db_user"] == current_user
    assert row["host"]
    assert row["started_at"].tzinfo is not None

    with ledger.begin() as conn:
        finish_run(conn, run_id, status="succeeded", counts={"inserted": 3, "updated": 0})
    with ledger.connect() as conn:
        done = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).one()._asdict()
    assert done["status"] == "succeeded"
    assert done["counts"] == {"inserted": 3, "updated": 0}
    assert row["started_at"] <= done["finished_at"] <= dt.datetime.now(dt.UTC)


def test_finish_of_an_unknown_run_is_refused(ledger: sa.Engine) -> None:
    """finish_run must change exactly one row; an unknown run id is an error, not a no-op."""
    missing = uuid.uuid4()
    message = f"run {missing} is missing from seedctl.runs"
    with pytest.raises(LedgerSchemaError, match=message), ledger.begin() as conn:
        finish_run(conn, missing, status="failed", counts={})


@pytest.mark.parametrize(("kind", "status"), [("seed", "running"), ("apply", "done")])
def test_runs_refuse_unknown_kinds_and_statuses(ledger: sa.Engine, kind: str, status: str) -> None:
    """The runs table's check constraints refuse kinds and statuses outside the documented sets."""
    with pytest.raises(sa.exc.IntegrityError, match=r"runs_(kind|status)"), ledger.begin() as conn:
        run_id = start_run(conn, tenant="t", kind=kind, version="0.1.0")
        finish_run(conn, run_id, status=status, counts={})


def test_applied_hashes_per_tenant(ledger: sa.Engine) -> None:
    """applied_hashes returns the raw digests applied for one tenant only."""
    with ledger.connect() as conn:
        assert applied_hashes(conn, "a") == set()
    digests = {"a": "1f" * 32, "b": "2e" * 32}
    with ledger.begin() as conn:
        for tenant, digest in digests.items():
            run_id = start_run(conn, tenant=tenant, kind="apply", version="0.1.0")
            conn.execute(
                applied.insert().values(
                    tenant=tenant,
                    command_hash=digest,
                    seq=1,
                    entity="organization",
                    table_name="organizations",
                    row_id=uuid.uuid4(),
                    run_id=run_id,
                    outcome="inserted",
                    after={"id": "x"},
                )
            )
    with ledger.connect() as conn:
        assert applied_hashes(conn, "a") == {bytes.fromhex(digests["a"])}
        assert applied_hashes(conn, "c") == set()


def test_applied_hashes_without_a_ledger(engine: sa.Engine) -> None:
    """applied_hashes on a database without the ledger is empty and creates nothing."""
    with engine.connect() as conn:
        assert applied_hashes(conn, "a") == set()
        assert not ledger_exists(conn)


def test_a_version_1_ledger_is_migrated_in_place(database_url: str) -> None:
    """A ledger written by the first schema version gains the new column, index and version."""
    with connect_engine(database_url) as engine, engine.begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA seedctl")
        conn.exec_driver_sql(
            "CREATE TABLE seedctl.meta (key text PRIMARY KEY, value text NOT NULL)"
        )
        conn.exec_driver_sql("INSERT INTO seedctl.meta VALUES ('schema_version', '1')")
        conn.exec_driver_sql(
            "CREATE TABLE seedctl.runs (run_id uuid PRIMARY KEY, tenant text NOT NULL, "
            "kind text NOT NULL, log_digest text, scenario text, params jsonb, "
            "started_at timestamptz NOT NULL, finished_at timestamptz, status text NOT NULL, "
            "db_user text NOT NULL DEFAULT current_user, os_user text, host text, "
            "seedctl_version text NOT NULL, counts jsonb, "
            "CONSTRAINT runs_status CHECK (status IN ('running', 'succeeded', 'failed')))"
        )
        conn.exec_driver_sql(
            "CREATE TABLE seedctl.applied (tenant text, command_hash text, seq bigint NOT NULL, "
            "entity text NOT NULL, table_name text NOT NULL, row_id uuid NOT NULL, "
            "run_id uuid NOT NULL REFERENCES seedctl.runs, outcome text NOT NULL, before jsonb, "
            "after jsonb NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp(), "
            "PRIMARY KEY (tenant, command_hash))"
        )
    with connect_engine(database_url) as engine, engine.begin() as conn:
        ensure_ledger(conn)
        run = start_run(conn, tenant="t", kind="apply", version="test", log_file_sha256="ab")
        finish_run(conn, run, status="interrupted", counts={})
    with psycopg.connect(database_url) as conn:
        assert conn.execute(
            "SELECT value FROM seedctl.meta WHERE key = 'schema_version'"
        ).fetchone() == (str(LEDGER_SCHEMA_VERSION),)
        assert conn.execute("SELECT to_regclass('seedctl.applied_inserted_order')").fetchone() == (
            "seedctl.applied_inserted_order",
        )
        # Version 3: no foreign key trigger per ledger row.
        assert conn.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'seedctl.applied'::regclass "
            "AND contype = 'f'"
        ).fetchone() == (0,)
        default = conn.execute(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_schema = 'seedctl' AND table_name = 'applied' "
            "AND column_name = 'applied_at'"
        ).fetchone()
    assert default == ("now()",)


def test_read_paths_refuse_a_newer_ledger_too(database_url: str) -> None:
    """ledger_exists, which every read-only command asks first, raises on a newer version."""
    with connect_engine(database_url) as engine, engine.begin() as conn:
        ensure_ledger(conn)
        conn.exec_driver_sql(
            f"UPDATE seedctl.meta SET value = '{LEDGER_SCHEMA_VERSION + 1}' "
            "WHERE key = 'schema_version'"
        )
    with (
        connect_engine(database_url) as engine,
        engine.connect() as conn,
        pytest.raises(LedgerSchemaError) as info,
    ):
        ledger_exists(conn)
    assert str(info.value) == (
        f"the ledger in this database is version {LEDGER_SCHEMA_VERSION + 1}; this seedctl "
        f"reads up to {LEDGER_SCHEMA_VERSION}. Upgrade seedctl."
    )


def record_applied(conn: sa.Connection, tenant: str, run_id: uuid.UUID, n: int) -> None:
    """Write ``n`` ledger rows for ``tenant`` by hand, as the applier would."""
    for i in range(n):
        conn.execute(
            applied.insert().values(
                tenant=tenant,
                command_hash=f"{i:064x}",
                seq=i + 1,
                entity="user",
                table_name="users",
                row_id=uuid.uuid4(),
                run_id=run_id,
                outcome="inserted",
                after={"id": "x"},
            )
        )


def test_ledger_version_reads_the_version_row(engine: sa.Engine) -> None:
    """ledger_version is None without a ledger or without a version row, else the number."""
    with engine.begin() as conn:
        assert ledger_version(conn) is None
        ensure_ledger(conn)
        assert ledger_version(conn) == LEDGER_SCHEMA_VERSION
        conn.execute(sa.text("DELETE FROM seedctl.meta WHERE key = 'schema_version'"))
        assert ledger_version(conn) is None


def test_applied_count_per_tenant(ledger: sa.Engine) -> None:
    """applied_count counts one tenant's ledger rows only."""
    with ledger.begin() as conn:
        assert applied_count(conn, "a") == 0
        run_id = start_run(conn, tenant="a", kind="apply", version="0.1.0")
        record_applied(conn, "a", run_id, 3)
        other = start_run(conn, tenant="b", kind="apply", version="0.1.0")
        record_applied(conn, "b", other, 1)
    with ledger.connect() as conn:
        assert (applied_count(conn, "a"), applied_count(conn, "b")) == (3, 1)
        assert applied_count(conn, "c") == 0


def test_mark_interrupted_touches_only_the_tenants_running_runs(ledger: sa.Engine) -> None:
    """Runs of the tenant still 'running' become 'interrupted'; finished runs and other
    tenants' runs keep their status, and the count says how many changed."""
    with ledger.begin() as conn:
        killed = [start_run(conn, tenant="a", kind="apply", version="0.1.0") for _ in range(2)]
        done = start_run(conn, tenant="a", kind="apply", version="0.1.0")
        finish_run(conn, done, status="succeeded", counts={})
        elsewhere = start_run(conn, tenant="b", kind="apply", version="0.1.0")
    with ledger.begin() as conn:
        assert mark_interrupted(conn, "a") == 2
        assert mark_interrupted(conn, "a") == 0
    with ledger.connect() as conn:
        status = {row.run_id: row.status for row in conn.execute(sa.select(runs))}
    assert status == {
        killed[0]: "interrupted",
        killed[1]: "interrupted",
        done: "succeeded",
        elsewhere: "running",
    }


def test_last_run_is_the_tenants_newest(ledger: sa.Engine) -> None:
    """last_run is None before any run, then the tenant's most recently started one of any
    kind; another tenant's later run does not count."""
    with ledger.begin() as conn:
        assert last_run(conn, "a") is None
        start_run(conn, tenant="a", kind="apply", version="0.1.0", scenario="first")
    with ledger.begin() as conn:
        newest = start_run(conn, tenant="a", kind="revert", version="0.1.0", scenario="second")
    with ledger.begin() as conn:
        start_run(conn, tenant="b", kind="apply", version="0.1.0", scenario="other")
    with ledger.connect() as conn:
        row = last_run(conn, "a")
    assert row is not None
    assert (row.run_id, row.kind, row.scenario) == (newest, "revert", "second")


def test_start_run_records_the_file_hash_and_os_user(ledger: sa.Engine) -> None:
    """A run records the log file's SHA-256 and the OS user; omitted params stay NULL."""
    with ledger.begin() as conn:
        run_id = start_run(
            conn, tenant="t", kind="apply", version="0.1.0", log_file_sha256="cd" * 32
        )
    with ledger.connect() as conn:
        row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).one()
    assert row.log_file_sha256 == "cd" * 32
    assert row.os_user == getpass.getuser()
    assert (row.params, row.log_digest, row.scenario, row.counts) == (None, None, None, None)


def test_run_times_are_right_in_any_session_time_zone(ledger: sa.Engine) -> None:
    """A run's start and finish are stored as the true instant, also when the session's time
    zone is far from the machine's: seedctl sends aware UTC times, never local wall time."""
    with ledger.begin() as conn:
        conn.execute(sa.text("SET LOCAL TIME ZONE 'Pacific/Kiritimati'"))  # UTC+14
        run_id = start_run(conn, tenant="t", kind="apply", version="0.1.0")
        finish_run(conn, run_id, status="succeeded", counts={})
        lag = conn.execute(
            sa.text(
                "SELECT extract(epoch FROM clock_timestamp() - started_at), "
                "extract(epoch FROM clock_timestamp() - finished_at) "
                "FROM seedctl.runs WHERE run_id = :r"
            ),
            {"r": run_id},
        ).one()
    assert all(0 <= float(seconds) < 300 for seconds in lag), lag
