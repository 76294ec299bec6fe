"""revert against real PostgreSQL, in process, on the small ``mini`` scenario."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.engine.revert import RevertObserver, revert
from seedctl.ledger import DriftError, ProductionGuardError

from tests.support.dbstate import dump_ledger, dump_tables
from tests.support.mini import MINI, TABLES, make_log

PEOPLE_BEFORE = (
    "INSERT INTO mini_people (id, org_id, email, name, password_hash) "
    "SELECT %s, id, 'p1@acme.test', 'Pre-existing', 'old-hash' FROM mini_orgs WHERE slug = 'other'"
)


def _prepared(database_url: str, tmp_path: Path) -> Path:
    """Another tenant seeded first, and a pre-existing row that the seed will adopt and update."""
    import uuid

    apply_log(
        make_log(tmp_path / "other.log", seed="other", scale=3),
        database_url=database_url,
        create_schema=True,
    )
    person_id = str(
        uuid.uuid5(uuid.UUID("00000000-0000-5000-8000-00000000beef"), "person:p1@acme.test")
    )
    with psycopg.connect(database_url) as conn:
        conn.execute(PEOPLE_BEFORE, (person_id,))
    assert MINI.name == "mini"
    return make_log(tmp_path / "acme.log", scale=25)


def test_revert_leaves_the_database_as_it_was_before_the_first_apply(
    database_url: str, tmp_path: Path
) -> None:
    """Apply, revert: other tenants untouched, the adopted row restored (not deleted), no ledger."""
    log = _prepared(database_url, tmp_path)
    before = dump_tables(database_url, TABLES)
    other_ledger = dump_ledger(database_url)
    apply_log(log, database_url=database_url)
    make_log(log, scale=25, as_of=dt.date(2026, 3, 1))
    apply_log(log, database_url=database_url)
    assert dump_tables(database_url, TABLES) != before

    result = revert(database_url=database_url, log_path=log)
    assert dump_tables(database_url, TABLES) == before
    assert dump_ledger(database_url) == other_ledger
    assert result.restored == {"mini_people": 1}
    assert result.deleted["mini_people"] == 24
    with psycopg.connect(database_url) as conn:
        statuses = conn.execute(
            "SELECT kind, status FROM seedctl.runs WHERE tenant = 'acme' ORDER BY started_at"
        ).fetchall()
    assert statuses == [("apply", "reverted"), ("apply", "reverted"), ("revert", "succeeded")]


def test_revert_runs_1_undoes_only_the_latest_apply(database_url: str, tmp_path: Path) -> None:
    """--runs 1 puts the database back to just after the previous apply."""
    log = make_log(tmp_path / "acme.log", scale=12)
    apply_log(log, database_url=database_url, create_schema=True)
    after_first = dump_tables(database_url, TABLES)
    make_log(log, scale=15, as_of=dt.date(2026, 2, 2))
    apply_log(log, database_url=database_url)
    revert(database_url=database_url, log_path=log, runs=1)
    assert dump_tables(database_url, TABLES) == after_first
    again = apply_log(log, database_url=database_url)
    assert again.entities["person"].inserted == 3
    assert again.entities["person"].updated == 12


def test_drift_stops_revert_before_any_write_unless_forced(
    database_url: str, tmp_path: Path
) -> None:
    """A row edited after seeding is reported by id and nothing reverted; --force reverts anyway."""
    log = make_log(tmp_path / "acme.log", scale=6)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "UPDATE mini_people SET name = 'Edited' WHERE email = 'p2@acme.test' RETURNING id"
        ).fetchone()
        assert row is not None
    snapshot = dump_tables(database_url, TABLES), dump_ledger(database_url)
    with pytest.raises(DriftError) as caught:
        revert(database_url=database_url, log_path=log)
    assert f"mini_people {row[0]}: changed" in str(caught.value)
    assert "--force" in str(caught.value)
    assert (dump_tables(database_url, TABLES), dump_ledger(database_url)) == snapshot
    result = revert(database_url=database_url, log_path=log, force=True)
    assert len(result.drift_ignored) == 1
    assert dump_tables(database_url, TABLES) == {t: [] for t in TABLES}


def test_revert_refuses_a_production_database(database_url: str, tmp_path: Path) -> None:
    """A database marked production refuses revert unless --allow-production."""
    from seedctl.engine.db import set_environment

    log = make_log(tmp_path / "acme.log", scale=2)
    apply_log(log, database_url=database_url, create_schema=True)
    set_environment("production", database_url=database_url)
    with pytest.raises(ProductionGuardError, match="--allow-production"):
        revert(database_url=database_url, log_path=log)
    revert(database_url=database_url, log_path=log, allow_production=True)
    assert dump_tables(database_url, TABLES) == {t: [] for t in TABLES}


class _StopAfterFirstPage(RevertObserver):
    def advanced(self, rows: int) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_revert_resumes_and_finishes(database_url: str, tmp_path: Path) -> None:
    """A revert stopped after one page leaves a consistent state; the next revert completes it."""
    log = make_log(tmp_path / "acme.log", scale=30)
    apply_log(log, database_url=database_url, create_schema=True)
    with pytest.raises(KeyboardInterrupt):
        revert(
            database_url=database_url, log_path=log, page_rows=10, observer=_StopAfterFirstPage()
        )
    with psycopg.connect(database_url) as conn:
        left = conn.execute("SELECT count(*) FROM seedctl.applied").fetchone()
        rows = conn.execute(
            "SELECT (SELECT count(*) FROM mini_people) + (SELECT count(*) FROM mini_memberships)"
            " + (SELECT count(*) FROM mini_orgs)"
        ).fetchone()
    assert left is not None and rows is not None
    assert left[0] == rows[0] == 61 - 10
    revert(database_url=database_url, log_path=log, runs=1)
    assert dump_tables(database_url, TABLES) == {t: [] for t in TABLES}
    assert dump_ledger(database_url) == []


def test_revert_pages_smaller_than_apply_batches_delete_children_before_parents(
    database_url: str, tmp_path: Path
) -> None:
    """Revert pages that split an apply batch still delete each report before its manager."""
    log = make_log(tmp_path / "acme.log", scale=3000)
    apply_log(log, database_url=database_url, create_schema=True)
    result = revert(database_url=database_url, log_path=log, page_rows=500)
    assert result.deleted["mini_people"] == 3000
    assert dump_tables(database_url, TABLES) == {t: [] for t in TABLES}
