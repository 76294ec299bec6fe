"""The direct path (COPY straight into the target, for batches of new rows) against the
upsert path: same tables, same ledger, whatever the batch holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
from seedctl.engine.apply import apply_log
from seedctl.engine.generation import generate_log
from seedctl.engine.revert import revert
from seedctl.engine.scenarios import get_scenario
from structlog.testing import capture_logs

from tests.support.dbstate import dump_ledger, dump_tables
from tests.support.mini import TABLES, make_log


def outcomes(result: object) -> dict[str, tuple[int, ...]]:
    entities = result.entities  # type: ignore[attr-defined]
    return {
        name: (t.inserted, t.updated, t.unchanged, t.skipped, t.found_rows)
        for name, t in entities.items()
    }


def test_first_apply_by_copy_equals_the_upsert_path(
    database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    log = make_log(tmp_path / "mini.log", scale=40)
    direct = apply_log(log, database_url=database_url, create_schema=True, max_rows=7)
    upsert = apply_log(
        log, database_url=other_database_url, create_schema=True, max_rows=7, direct_copy=False
    )
    assert outcomes(direct) == outcomes(upsert)
    assert dump_tables(database_url, TABLES) == dump_tables(other_database_url, TABLES)
    assert dump_ledger(database_url) == dump_ledger(other_database_url)


def test_okr_demo_by_binary_copy_equals_the_upsert_path(
    database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    """Every column type of the demo (uuid, date, timestamptz, numeric, ...) stores the same."""
    log = tmp_path / "okr.log"
    generate_log("okr-demo", log, as_of=dt.date(2026, 1, 15))
    tables = sorted(get_scenario("okr-demo").metadata.tables)
    apply_log(log, database_url=database_url, create_schema=True)
    apply_log(log, database_url=other_database_url, create_schema=True, direct_copy=False)
    assert dump_tables(database_url, tables) == dump_tables(other_database_url, tables)
    assert dump_ledger(database_url) == dump_ledger(other_database_url)


def test_a_batch_that_is_not_all_new_falls_back_to_the_upsert_path(
    database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    """A row with a seed id already there (adopted, with its before-image) makes the COPY
    fail; the batch is applied by the upsert statement instead, with the same result."""
    log = make_log(tmp_path / "mini.log", scale=20)
    for url in (database_url, other_database_url):
        early = make_log(tmp_path / f"{url[-6:]}.log", scale=3)
        apply_log(early, database_url=url, create_schema=True)
        with psycopg.connect(url) as conn:
            conn.execute("DELETE FROM seedctl.applied")  # rows now look pre-existing
            conn.execute("UPDATE mini_people SET name = 'Renamed by hand'")
    with capture_logs() as events:
        direct = apply_log(log, database_url=database_url, max_rows=5)
    fell_back = {e["table"] for e in events if e["event"] == "direct_copy_fell_back"}
    assert fell_back == {"mini_orgs", "mini_people", "mini_memberships"}
    upsert = apply_log(log, database_url=other_database_url, max_rows=5, direct_copy=False)
    assert direct.entities["person"].updated == 3
    assert outcomes(direct) == outcomes(upsert)
    assert dump_tables(database_url, TABLES) == dump_tables(other_database_url, TABLES)
    assert dump_ledger(database_url) == dump_ledger(other_database_url)


def test_concurrent_writers_leave_what_one_writer_leaves(
    database_url: str, other_database_url: str, tmp_path: Path
) -> None:
    """Three connections at once (where allowed) against one: same tables, same ledger,
    and the newest-first order still deletes every row on revert."""
    log = tmp_path / "okr.log"
    generate_log("okr-demo", log, as_of=dt.date(2026, 1, 15), scale=2)
    tables = sorted(get_scenario("okr-demo").metadata.tables)
    many = apply_log(log, database_url=database_url, create_schema=True, max_rows=100, writers=3)
    one = apply_log(
        log, database_url=other_database_url, create_schema=True, max_rows=100, writers=1
    )
    assert outcomes(many) == outcomes(one)
    assert dump_tables(database_url, tables) == dump_tables(other_database_url, tables)
    assert dump_ledger(database_url) == dump_ledger(other_database_url)
    revert(database_url=database_url, log_path=log)
    assert all(rows == [] for rows in dump_tables(database_url, tables).values())
