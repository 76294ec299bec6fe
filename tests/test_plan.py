"""plan (the dry run) against real PostgreSQL on the ``mini`` scenario: exact counts, no writes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from seedctl.engine.apply import ApplyResult, apply_log
from seedctl.engine.db import connect_engine, read_only_transaction
from seedctl.engine.plan import PlanResult, plan_log
from seedctl.ledger import CollisionError, UnknownNameError
from sqlalchemy.engine import make_url

from tests.support.cli import target_line
from tests.support.mini import MINI, make_log
from tests.support.plan_verify import database_snapshot, run_cli


class _StopAfter:
    """An apply observer that raises after ``batches`` batches: a run killed half way."""

    def __init__(self, batches: int) -> None:
        self.left = batches
        self.seen = 0

    def started(self, pending: Mapping[str, int]) -> None:
        pass

    def advanced(self, entity: str, rows: int) -> None:
        self.seen += 1
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt

    def finished(self) -> None:
        pass


class _CountBatches(_StopAfter):
    """An apply observer that only counts batches."""

    def __init__(self) -> None:
        super().__init__(batches=-1)


def _plan_then_apply(
    log: Path, url: str, *, max_rows: int = 1000, create_schema: bool = True
) -> tuple[PlanResult, ApplyResult, int]:
    """Plan, prove the database unchanged, then apply; return both results and apply's batches."""
    before = database_snapshot(url)
    plan = plan_log(log, database_url=url, max_rows=max_rows)
    assert database_snapshot(url) == before
    counter = _CountBatches()
    applied = apply_log(
        log, database_url=url, create_schema=create_schema, max_rows=max_rows, observer=counter
    )
    return plan, applied, counter.seen


def _assert_plan_matches_apply(plan: PlanResult, applied: ApplyResult, batches: int) -> None:
    assert plan.batches == batches
    assert set(plan.entities) == set(applied.entities)
    for entity, tally in applied.entities.items():
        planned = plan.entities[entity]
        assert (planned.commands, planned.applied) == (tally.commands, tally.already), entity
        assert planned.would_insert == tally.inserted, entity
        assert planned.would_update == tally.updated, entity
        assert planned.unchanged == tally.unchanged, entity
        assert planned.would_collide == 0, entity


def test_empty_database_plans_every_row_as_insert_and_creates_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """On an empty database every command is would-insert, no table or ledger appears, and
    apply then inserts exactly what plan said, in as many batches."""
    log = make_log(tmp_path / "mini.log", scale=30)
    plan, applied, batches = _plan_then_apply(log, database_url, max_rows=7)
    assert not plan.ledger_exists
    assert plan.missing_tables == ["mini_orgs", "mini_people", "mini_memberships"]
    assert {e: p.would_insert for e, p in plan.entities.items()} == {
        "org": 1,
        "person": 30,
        "membership": 30,
    }
    assert plan.batches == 1 + 5 + 5
    assert any("do not exist yet" in note for note in plan.notes)
    assert any("ledger schema seedctl does not exist yet" in note for note in plan.notes)
    _assert_plan_matches_apply(plan, applied, batches)


def test_partly_applied_log_plans_only_the_rest(database_url: str, tmp_path: Path) -> None:
    """After a run killed half way, plan counts the applied commands as done and the rest as
    would-insert, without touching a row or the ledger; the resumed apply agrees."""
    log = make_log(tmp_path / "mini.log", scale=30)
    with pytest.raises(KeyboardInterrupt):
        apply_log(
            log, database_url=database_url, create_schema=True, max_rows=7, observer=_StopAfter(3)
        )
    plan, applied, batches = _plan_then_apply(log, database_url, max_rows=7)
    assert (plan.entities["org"].applied, plan.entities["person"].applied) == (1, 14)
    assert plan.entities["person"].pending == 16
    assert plan.entities["person"].would_insert == 16
    assert plan.ledger_exists
    assert plan.missing_tables == []
    _assert_plan_matches_apply(plan, applied, batches)


def test_later_as_of_on_a_fully_applied_log_plans_updates(
    database_url: str, tmp_path: Path
) -> None:
    """A later as_of appended to an applied log is would-update for every moved row, and apply
    then updates exactly those."""
    log = make_log(tmp_path / "mini.log", scale=20)
    apply_log(log, database_url=database_url, create_schema=True)
    make_log(log, scale=20, as_of=dt.date(2026, 1, 4))
    plan, applied, batches = _plan_then_apply(log, database_url)
    assert plan.entities["person"].applied == 20
    assert plan.entities["person"].pending == 20
    assert plan.entities["person"].would_update == 20
    assert plan.would_write == 20
    _assert_plan_matches_apply(plan, applied, batches)


def test_rows_already_there_plan_as_update_or_unchanged(database_url: str, tmp_path: Path) -> None:
    """Rows that carry the seed's id but are missing from the ledger are would-update when a
    column differs and unchanged otherwise (no updatable column: apply's DO NOTHING)."""
    log = make_log(tmp_path / "mini.log", scale=10)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM seedctl.applied WHERE entity IN ('org', 'membership')")
        conn.execute("UPDATE mini_orgs SET name = 'Renamed by the app'")
        conn.execute("UPDATE mini_memberships SET note = 'insert-only, so not compared'")
    plan, applied, batches = _plan_then_apply(log, database_url)
    assert plan.entities["org"].would_update == 1
    assert plan.entities["membership"].unchanged == 10
    assert plan.entities["person"].pending == 0
    _assert_plan_matches_apply(plan, applied, batches)


@pytest.mark.parametrize("tables_exist", [False, True], ids=["no-tables", "empty-tables"])
def test_two_pending_generations_of_one_row_plan_as_insert_then_update(
    database_url: str, tmp_path: Path, tables_exist: bool
) -> None:
    """When an older and an appended generation are both pending, plan compares the later one
    with what the earlier batch would have written, as apply will: insert, then update."""
    log = make_log(tmp_path / "mini.log", scale=12)
    make_log(log, scale=12, as_of=dt.date(2026, 1, 9))
    if tables_exist:
        with connect_engine(database_url) as engine, engine.begin() as conn:
            MINI.metadata.create_all(conn)
    plan, applied, batches = _plan_then_apply(log, database_url, max_rows=5)
    assert plan.entities["person"].would_insert == 12
    assert plan.entities["person"].would_update == 12  # every last_seen moves by 8 days
    _assert_plan_matches_apply(plan, applied, batches)


def test_a_row_the_seed_did_not_write_is_would_collide(database_url: str, tmp_path: Path) -> None:
    """A row with the seed's natural key but another id is would-collide, named as apply names it,
    and apply then refuses, as plan said it would."""
    apply_log(
        make_log(tmp_path / "other.log", seed="other", scale=1),
        database_url=database_url,
        create_schema=True,
    )
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO mini_people (id, org_id, email, name) SELECT "
            "'11111111-1111-1111-1111-111111111111', id, 'p7@acme.test', 'App user' FROM mini_orgs"
        )
    log = make_log(tmp_path / "mini.log", scale=10)
    before = database_snapshot(database_url)
    plan = plan_log(log, database_url=database_url)
    assert database_snapshot(database_url) == before
    assert plan.entities["person"].would_collide == 1
    assert plan.entities["person"].would_insert == 9
    assert plan.collisions == [
        "mini_people email=p7@acme.test: existing id 11111111-1111-1111-1111-111111111111, "
        f"seed id {_person_id(log, 'p7@acme.test')}"
    ]
    assert any("apply would stop before writing anything" in note for note in plan.notes)
    with pytest.raises(CollisionError, match=r"email=p7@acme\.test"):
        apply_log(log, database_url=database_url)


def test_a_seed_id_held_under_another_natural_key_is_would_collide(
    database_url: str, tmp_path: Path
) -> None:
    """A pending row whose id is taken by a row with another natural key is would-collide, as
    apply's insert would violate the primary key and be refused."""
    log = make_log(tmp_path / "mini.log", scale=2)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM seedctl.applied WHERE entity = 'org'")
        conn.execute("UPDATE mini_orgs SET slug = 'renamed-by-the-app'")
        org_id = _row(conn, "SELECT id::text FROM mini_orgs")
    plan = plan_log(log, database_url=database_url)
    assert plan.entities["org"].would_collide == 1
    assert plan.collisions == [f"mini_orgs id {org_id}: held by a row with another natural key"]
    with pytest.raises(CollisionError, match="mini_orgs"):
        apply_log(log, database_url=database_url)


def _row(conn: psycopg.Connection[tuple[object, ...]], query: str) -> str:
    found = conn.execute(query).fetchone()
    assert found is not None
    return str(found[0])


def _person_id(log: Path, email: str) -> str:
    for line in log.read_text().splitlines()[1:]:
        record = json.loads(line)
        if record["key"] == email:
            return str(record["id"])
    raise AssertionError(email)


def test_a_table_missing_a_column_is_refused_like_apply(database_url: str, tmp_path: Path) -> None:
    """A target table without one of the schema's columns is an UnknownNameError naming it."""
    apply_log(
        make_log(tmp_path / "mini.log", scale=2), database_url=database_url, create_schema=True
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("ALTER TABLE mini_people DROP COLUMN last_seen")
    with pytest.raises(
        UnknownNameError,
        match=r"(?s)next.log:3: unknown column mini_people.last_seen .*apply would refuse too",
    ):
        plan_log(make_log(tmp_path / "next.log", scale=3), database_url=database_url)


def test_the_read_only_transaction_refuses_every_kind_of_write(database_url: str) -> None:
    """The transaction plan and verify run in rejects inserts, DDL and temp tables (25006)."""
    statements = [
        "CREATE TABLE t (x int)",
        "CREATE TEMP TABLE t (x int)",
        "CREATE SCHEMA seedctl",
        "SELECT nextval('s')",
    ]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE SEQUENCE s")
    for statement in statements:
        with (
            pytest.raises(sa.exc.DBAPIError) as caught,
            read_only_transaction(database_url, application_name="test") as conn,
        ):
            conn.exec_driver_sql(statement)
        assert isinstance(caught.value.orig, psycopg.errors.ReadOnlySqlTransaction), statement


def test_report_holds_digest_database_and_table_but_never_the_password(
    database_url: str, tmp_path: Path
) -> None:
    """The markdown report is written where asked (parents created) with the log digest, the
    database without its password, a row per entity and the batch count."""
    log = make_log(tmp_path / "mini.log", scale=4)
    with_password = (
        make_url(database_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    )
    report = tmp_path / "deep" / "er" / "report.md"
    plan = plan_log(log, database_url=with_password, report_path=report)
    text = report.read_text()
    assert plan.report_path == str(report)
    assert "s3cret-pw" not in text
    assert f"- Log digest: `{plan.log_digest}`" in text
    assert f"- Database: {plan.database} (environment: unmarked)" in text
    assert "| person | mini_people | 4 | 0 | 4 | 4 | 0 | 0 | 0 | 0 | 1 |" in text
    assert "| **total** | | 9 | 0 | 9 | 9 | 0 | 0 | 0 | 0 | 3 |" in text
    assert "- Batches: 3 " in text


def test_cli_plan_prints_the_table_and_writes_the_default_report(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``seedctl plan`` exits 0, prints per-entity counts and writes
    docs/audit/SEED_DRY_RUN_REPORT.md under the current directory."""
    log = make_log(tmp_path / "mini.log", scale=3)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("plan", "--log", str(log), "--database-url", database_url)
    assert (code, err) == (0, target_line(database_url, "from --database-url"))
    assert "would insert" in out
    assert "7 commands pending in 3 batches; apply would write 7 rows" in out
    assert "report written to docs/audit/SEED_DRY_RUN_REPORT.md" in out
    assert (tmp_path / "docs" / "audit" / "SEED_DRY_RUN_REPORT.md").is_file()


def test_cli_plan_json_is_one_object_and_no_report_writes_no_file(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``seedctl plan --json --no-report`` prints one JSON object and writes no file."""
    log = make_log(tmp_path / "mini.log", scale=3)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(
        "plan", "--log", str(log), "--database-url", database_url, "--json", "--no-report"
    )
    assert code == 0
    payload = json.loads(out)
    assert payload["entities"]["person"]["would_insert"] == 3
    assert (payload["pending"], payload["would_write"], payload["batches"]) == (7, 7, 3)
    assert payload["report_path"] is None
    assert not (tmp_path / "docs").exists()


def test_cli_plan_on_a_torn_log_exits_3(database_url: str, tmp_path: Path) -> None:
    """A torn log is refused with its line number and exit code 3, before any query."""
    log = make_log(tmp_path / "mini.log", scale=3)
    log.write_bytes(log.read_bytes()[:-10])
    code, _, err = run_cli("plan", "--log", str(log), "--database-url", database_url, "--no-report")
    assert code == 3
    assert "mini.log:9: last line is torn" in err
