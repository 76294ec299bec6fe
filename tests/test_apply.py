"""apply against real PostgreSQL, in process, on the small ``mini`` scenario."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.engine.db import LOCK_CLASS, RetryPolicy
from seedctl.ledger import (
    CollisionError,
    LockBusyError,
    LogCorruptError,
    LogHeader,
    ProductionGuardError,
    UnknownNameError,
    append_commands,
)

from tests.support.dbstate import dump_ledger, dump_tables, row_versions
from tests.support.mini import MINI, TABLES, make_log

FAST_RETRY = RetryPolicy(attempts=6, base_delay=0.05, max_delay=0.2)


def test_first_apply_inserts_every_row_and_records_each_command(
    database_url: str, tmp_path: Path
) -> None:
    """A first apply inserts one row per command and writes one ledger row per command."""
    log = make_log(tmp_path / "mini.log", scale=30)
    result = apply_log(log, database_url=database_url, create_schema=True, max_rows=7)
    assert result.entities["person"].inserted == 30
    assert result.entities["membership"].inserted == 30
    assert result.written == 61
    assert all(t.found_rows == t.expected_rows for t in result.entities.values())
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM seedctl.applied").fetchone() == (61,)
        assert conn.execute("SELECT status FROM seedctl.runs").fetchall() == [("succeeded",)]
        assert conn.execute(
            "SELECT count(*) FROM mini_people WHERE manager_id IS NULL"
        ).fetchone() == (1,)


def test_rerun_writes_no_row_at_all(database_url: str, tmp_path: Path) -> None:
    """A second apply of the same log leaves every row's xmin and the ledger as they were."""
    log = make_log(tmp_path / "mini.log")
    apply_log(log, database_url=database_url, create_schema=True)
    versions, ledger = row_versions(database_url, TABLES), dump_ledger(database_url)
    again = apply_log(log, database_url=database_url)
    assert again.run_id is None
    assert again.written == 0
    assert again.pending == 0
    assert row_versions(database_url, TABLES) == versions
    assert dump_ledger(database_url) == ledger


def test_rerun_of_an_unchanged_file_skips_the_scan_but_a_touched_ledger_does_not(
    database_url: str, tmp_path: Path
) -> None:
    """The no-op fast path holds only while the ledger is as the last apply left it."""
    log = make_log(tmp_path / "mini.log", scale=8)
    first = apply_log(log, database_url=database_url, create_schema=True)
    again = apply_log(log, database_url=database_url)
    assert again.unchanged_since_run == first.run_id
    assert again.pending == 0
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM seedctl.applied WHERE entity = 'org'")
    exact = apply_log(log, database_url=database_url)
    assert exact.unchanged_since_run is None
    assert exact.entities["org"].unchanged == 1
    assert exact.written == 0


def test_later_as_of_updates_only_changed_rows_and_keeps_before_images(
    database_url: str, tmp_path: Path
) -> None:
    """Appending a later as_of updates just the date-dependent rows and records their old images."""
    log = make_log(tmp_path / "mini.log", scale=20)
    apply_log(log, database_url=database_url, create_schema=True)
    make_log(log, scale=20, as_of=dt.date(2026, 1, 4))
    result = apply_log(log, database_url=database_url)
    assert result.entities["person"].updated == 20
    assert result.entities["membership"].inserted == 0
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT before->>'last_seen', after->>'last_seen' FROM seedctl.applied "
            "WHERE outcome = 'updated' ORDER BY seq"
        ).fetchall()
    assert len(rows) == 20
    for before, after in rows:
        assert dt.date.fromisoformat(after) - dt.date.fromisoformat(before) == dt.timedelta(days=3)


def test_insert_only_columns_survive_updates(database_url: str, tmp_path: Path) -> None:
    """An update keeps an existing password_hash (the spec's 'preserve passwordHash if exists')."""
    log = make_log(tmp_path / "mini.log", scale=5)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE mini_people SET password_hash = 'set-by-the-app'")
        conn.execute("UPDATE mini_memberships SET note = 'edited in the app'")
    make_log(log, scale=5, as_of=dt.date(2026, 2, 1))
    apply_log(log, database_url=database_url)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT DISTINCT password_hash FROM mini_people").fetchall() == [
            ("set-by-the-app",)
        ]
        assert conn.execute("SELECT DISTINCT note FROM mini_memberships").fetchall() == [
            ("edited in the app",)
        ]
        assert conn.execute(
            "SELECT DISTINCT last_seen BETWEEN '2026-01-20' AND '2026-02-01' FROM mini_people"
        ).fetchall() == [(True,)]


def test_collision_with_a_row_seedctl_did_not_write_stops_before_any_write(
    database_url: str, tmp_path: Path
) -> None:
    """A person made by the app with the seed's email stops apply; nothing at all is written."""
    log = make_log(tmp_path / "mini.log", scale=10)
    apply_log(
        make_log(tmp_path / "other.log", seed="other", scale=1),
        database_url=database_url,
        create_schema=True,
    )
    with psycopg.connect(database_url) as conn:
        org = conn.execute("SELECT id FROM mini_orgs").fetchone()
        assert org is not None
        conn.execute(
            "INSERT INTO mini_people (id, org_id, email, name) "
            "VALUES ('11111111-1111-1111-1111-111111111111', %s, 'p7@acme.test', 'App user')",
            (org[0],),
        )
    before = dump_tables(database_url, TABLES), dump_ledger(database_url)
    with pytest.raises(CollisionError) as caught:
        apply_log(log, database_url=database_url)
    message = str(caught.value)
    assert "mini_people" in message
    assert "email=p7@acme.test" in message
    assert "11111111-1111-1111-1111-111111111111" in message
    assert (dump_tables(database_url, TABLES), dump_ledger(database_url)) == before


def test_a_preexisting_row_with_the_seed_id_is_updated_with_its_before_image(
    database_url: str, tmp_path: Path
) -> None:
    """A row that already carries the seed's UUIDv5 is the same entity: updated, not a collision."""
    log = make_log(tmp_path / "mini.log", scale=3)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM seedctl.applied WHERE entity = 'org'")
        conn.execute("UPDATE mini_orgs SET name = 'Renamed by the app'")
    result = apply_log(log, database_url=database_url)
    assert result.entities["org"].updated == 1
    with psycopg.connect(database_url) as conn:
        before = conn.execute(
            "SELECT before->>'name' FROM seedctl.applied WHERE entity = 'org'"
        ).fetchone()
    assert before == ("Renamed by the app",)


def test_production_database_is_refused_unless_allowed(database_url: str, tmp_path: Path) -> None:
    """A database marked production refuses apply, with a message that says how to proceed."""
    from seedctl.engine.db import connect_engine
    from seedctl.ledger.store import set_environment

    with connect_engine(database_url) as engine, engine.begin() as conn:
        set_environment(conn, "production")
    log = make_log(tmp_path / "mini.log", scale=2)
    with pytest.raises(ProductionGuardError, match="--allow-production"):
        apply_log(log, database_url=database_url, create_schema=True)
    assert dump_tables(database_url, TABLES) == {t: [] for t in TABLES}
    result = apply_log(log, database_url=database_url, create_schema=True, allow_production=True)
    assert result.written == 5


def test_torn_log_writes_nothing(database_url: str, tmp_path: Path) -> None:
    """A log with a torn last line is refused before the database is touched."""
    log = make_log(tmp_path / "mini.log", scale=5)
    data = log.read_bytes()
    log.write_bytes(data[:-20])
    with pytest.raises(LogCorruptError, match=r"mini\.log:\d+: last line is torn"):
        apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('seedctl.applied')").fetchone() == (None,)
        assert conn.execute("SELECT to_regclass('mini_people')").fetchone() == (None,)


def test_unknown_column_is_refused_with_its_line(database_url: str, tmp_path: Path) -> None:
    """A command naming a column outside the target schema is refused with file, line and name."""
    from seedctl.ledger import Command

    log = make_log(tmp_path / "mini.log", scale=1)
    header = LogHeader(scenario="mini", tenant="acme", params={}, generator=MINI.version)
    bad = Command(
        op="upsert",
        entity="org",
        table="mini_orgs",
        id="00000000-0000-0000-0000-000000000001",
        key="x",
        values={
            "id": "00000000-0000-0000-0000-000000000001",
            "slug": "x",
            "name": "x",
            "evil; DROP TABLE mini_orgs": "1",
        },
        conflict=("slug",),
    )
    append_commands(log, header, [bad])
    with pytest.raises(UnknownNameError, match=r"mini\.log:6: unknown column mini_orgs\.evil"):
        apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT to_regclass('mini_orgs')").fetchone() == (None,)


def test_no_wait_fails_at_once_when_another_run_holds_the_tenant_lock(
    database_url: str, tmp_path: Path
) -> None:
    """With wait off, a held tenant lock is a LockBusyError; nothing is written."""
    log = make_log(tmp_path / "mini.log", scale=2)
    with psycopg.connect(database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, hashtext('acme'))", (LOCK_CLASS,))
        with pytest.raises(LockBusyError, match="locked by another session"):
            apply_log(log, database_url=database_url, create_schema=True, wait=False)
    assert dump_tables(database_url, TABLES) == {t: [] for t in TABLES}


def test_waiting_apply_runs_once_the_lock_is_released(database_url: str, tmp_path: Path) -> None:
    """With wait on, apply queues behind the lock holder and then applies everything."""
    log = make_log(tmp_path / "mini.log", scale=4)
    holder = psycopg.connect(database_url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s, hashtext('acme'))", (LOCK_CLASS,))
    timer = threading.Timer(0.5, holder.close)
    timer.start()
    started = time.monotonic()
    result = apply_log(log, database_url=database_url, create_schema=True, wait=True)
    timer.join()
    assert time.monotonic() - started >= 0.4
    assert result.written == 9


class _TerminateOnce:
    """An observer that kills the applier's own backends (every writer's) after the first batch."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.done = False

    def started(self, pending: Mapping[str, int]) -> None:
        pass

    def advanced(self, entity: str, rows: int) -> None:
        if not self.done:
            self.done = True
            with psycopg.connect(self.url, autocommit=True) as conn:
                killed = conn.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'seedctl apply' AND datname = current_database()"
                ).fetchone()
            assert killed is not None and killed[0] >= 1

    def finished(self) -> None:
        pass


def test_lost_connection_is_retried_and_the_result_equals_an_uninterrupted_run(
    database_url: str, tmp_path: Path, server_url: str
) -> None:
    """pg_terminate_backend mid-run: apply reconnects, retakes the lock, resumes, and matches."""
    from tests.conftest import with_database

    log = make_log(tmp_path / "mini.log", scale=40)
    observer = _TerminateOnce(database_url)
    result = apply_log(
        log,
        database_url=database_url,
        create_schema=True,
        max_rows=10,
        observer=observer,
        retry=FAST_RETRY,
    )
    assert observer.done
    assert result.written == 81

    reference = with_database(
        server_url, database_url.rsplit("/", 1)[1].split("?", maxsplit=1)[0] + "_ref"
    )
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{reference.rsplit("/", 1)[1].split("?")[0]}"')
    try:
        apply_log(log, database_url=reference, create_schema=True)
        assert dump_tables(database_url, TABLES) == dump_tables(reference, TABLES)
        assert dump_ledger(database_url) == dump_ledger(reference)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(
                f'DROP DATABASE "{reference.rsplit("/", 1)[1].split("?")[0]}" WITH (FORCE)'
            )


def test_lock_timeout_on_a_locked_table_is_retried_until_it_is_free(
    database_url: str, tmp_path: Path
) -> None:
    """55P03 (lock not available) is transient: apply backs off and succeeds once it frees."""
    log = make_log(tmp_path / "mini.log", scale=3)
    apply_log(
        make_log(tmp_path / "warm.log", seed="warm", scale=1),
        database_url=database_url,
        create_schema=True,
    )
    blocker = psycopg.connect(database_url)
    blocker.execute("LOCK TABLE mini_people IN ACCESS EXCLUSIVE MODE")
    timer = threading.Timer(0.8, blocker.rollback)
    timer.start()
    try:
        result = apply_log(
            log,
            database_url=database_url,
            lock_timeout_ms=100,
            retry=RetryPolicy(attempts=20, base_delay=0.05, max_delay=0.2),
        )
    finally:
        timer.join()
        blocker.close()
    assert result.written == 7
