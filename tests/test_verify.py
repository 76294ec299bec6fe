"""verify against real PostgreSQL on the ``mini`` scenario: counts, drift, pending, foreign keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.engine.verify import Difference, VerifyResult, verify_log
from seedctl.ledger import VerificationFailedError

from tests.support.cli import target_line
from tests.support.mini import make_log
from tests.support.plan_verify import database_snapshot, run_cli


def _applied(database_url: str, tmp_path: Path, *, scale: int = 30) -> Path:
    log = make_log(tmp_path / "mini.log", scale=scale)
    apply_log(log, database_url=database_url, create_schema=True)
    return log


def _verify(log: Path, url: str, **options: int) -> VerifyResult:
    """verify_log, asserting on the way that it changed nothing in the database."""
    before = database_snapshot(url)
    result = verify_log(log, database_url=url, **options)
    assert database_snapshot(url) == before
    return result


def _row_id(url: str, query: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return str(row[0])


def test_a_clean_apply_verifies(database_url: str, tmp_path: Path) -> None:
    """Right after apply every check holds: counts from the scenario, no drift, nothing pending,
    every foreign key resolves."""
    log = _applied(database_url, tmp_path)
    result = _verify(log, database_url)
    assert result.ok
    assert result.differences == []
    assert result.expected_from == "scenario"
    assert result.foreign_keys == 3
    assert {e: c.found_rows for e, c in result.entities.items()} == {
        "org": 1,
        "person": 30,
        "membership": 30,
    }
    result.raise_if_failed()


def test_an_edited_and_a_deleted_row_are_reported_with_their_columns(
    database_url: str, tmp_path: Path
) -> None:
    """A hand-edited person is 'changed' naming the column and both values; a deleted membership
    is 'missing' and makes its entity's count short; nothing else is reported."""
    log = _applied(database_url, tmp_path)
    person = _row_id(database_url, "SELECT id FROM mini_people WHERE email = 'p3@acme.test'")
    membership = _row_id(
        database_url, f"SELECT id FROM mini_memberships WHERE person_id = '{person}'"
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE mini_people SET name = 'Edited by hand' WHERE email = 'p3@acme.test'")
        conn.execute("DELETE FROM mini_memberships WHERE id = %s", (membership,))
    result = _verify(log, database_url)
    assert not result.ok
    assert result.difference_counts == {"count": 1, "missing": 1, "changed": 1}
    assert sorted(result.differences, key=lambda d: d.kind) == [
        Difference(
            "person",
            "mini_people",
            person,
            "changed",
            'name: "Person 3" -> "Edited by hand"',
            ("name",),
        ),
        Difference(
            "membership",
            "mini_memberships",
            None,
            "count",
            "expected 30 rows, found 29 seeded rows",
        ),
        Difference(
            "membership",
            "mini_memberships",
            membership,
            "missing",
            "deleted since seedctl wrote it (log seq 35)",
        ),
    ]
    with pytest.raises(
        VerificationFailedError, match=r"3 differences \(1 count, 1 missing, 1 changed\)"
    ):
        result.raise_if_failed()


def test_rows_updated_by_a_later_apply_compare_with_their_newest_image(
    database_url: str, tmp_path: Path
) -> None:
    """After a later as_of is applied, each row is compared with its newest ledger image, not
    its first: the updated rows verify."""
    log = _applied(database_url, tmp_path, scale=10)
    make_log(log, scale=10, as_of=dt.date(2026, 1, 4))
    apply_log(log, database_url=database_url)
    result = _verify(log, database_url)
    assert result.ok, result.differences


def test_pending_commands_and_an_appended_scale_are_reported(
    database_url: str, tmp_path: Path
) -> None:
    """A log appended with a larger scale and not applied again: expected counts are the
    scenario's for the last generation's params (the log records them), and the unapplied
    commands are 'pending'."""
    log = _applied(database_url, tmp_path, scale=10)
    make_log(log, scale=15)
    result = _verify(log, database_url)
    assert (result.expected_from, result.notes) == ("scenario", [])
    assert result.entities["person"].scenario_rows == 15
    assert result.entities["person"].expected_rows == 15
    assert result.difference_counts == {"count": 2, "pending": 2}
    assert (
        Difference(
            "person",
            "mini_people",
            None,
            "pending",
            "5 of 15 commands of the log are not applied (run seedctl apply)",
        )
        in result.differences
    )
    apply_log(log, database_url=database_url)
    assert _verify(log, database_url).ok


def test_a_dangling_foreign_key_is_reported(database_url: str, tmp_path: Path) -> None:
    """With the foreign key constraint dropped, a membership whose person was deleted is
    'dangling-fk', naming the column, its value and the parent table."""
    log = _applied(database_url, tmp_path)
    person = _row_id(database_url, "SELECT id FROM mini_people WHERE email = 'p29@acme.test'")
    membership = _row_id(
        database_url, f"SELECT id FROM mini_memberships WHERE person_id = '{person}'"
    )
    with psycopg.connect(database_url) as conn:
        conn.execute("ALTER TABLE mini_memberships DROP CONSTRAINT mini_memberships_person_id_fkey")
        conn.execute("DELETE FROM mini_people WHERE id = %s", (person,))
    result = _verify(log, database_url)
    assert result.difference_counts == {"count": 1, "missing": 1, "dangling-fk": 1}
    assert (
        Difference(
            "membership",
            "mini_memberships",
            membership,
            "dangling-fk",
            f"mini_memberships.person_id = {person} has no row in mini_people",
            ("person_id",),
        )
        in result.differences
    )


def test_nothing_applied_yet_is_pending_and_short_without_failing_on_missing_tables(
    database_url: str, tmp_path: Path
) -> None:
    """On an empty database (no ledger, no tables) every entity is pending and short."""
    log = make_log(tmp_path / "mini.log", scale=2)
    result = _verify(log, database_url)
    assert result.difference_counts == {"count": 3, "pending": 3}
    assert (
        Difference(
            "person",
            "mini_people",
            None,
            "count",
            "expected 2 rows, found 0 seeded rows (table mini_people does not exist)",
        )
        in result.differences
    )


def test_many_differences_are_all_counted_but_listed_up_to_the_limit(
    database_url: str, tmp_path: Path
) -> None:
    """With more differences than max_differences, the counts stay complete and the list is cut."""
    log = _applied(database_url, tmp_path)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE mini_people SET name = name || '!'")
    result = _verify(log, database_url, max_differences=4)
    assert result.difference_counts == {"changed": 30}
    assert len(result.differences) == 4
    assert result.truncated


def test_cli_verify_exits_0_with_a_summary_when_all_holds(
    database_url: str, tmp_path: Path
) -> None:
    """``seedctl verify`` on a clean apply exits 0 and says what it proved."""
    log = _applied(database_url, tmp_path, scale=5)
    code, out, err = run_cli("verify", "--log", str(log), "--database-url", database_url)
    assert (code, err) == (0, target_line(database_url, "from --database-url"))
    assert "verified tenant acme on database" in out
    assert "11 seeded rows equal their last applied images" in out
    assert "all 11 commands of the log are applied; 3 foreign keys resolve" in out


def test_cli_verify_exits_8_with_a_table_of_differences(database_url: str, tmp_path: Path) -> None:
    """With drift, ``seedctl verify`` prints each difference and exits 8 with one error line."""
    log = _applied(database_url, tmp_path, scale=5)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE mini_people SET name = 'Hand edit' WHERE email = 'p1@acme.test'")
    code, out, err = run_cli("verify", "--log", str(log), "--database-url", database_url)
    assert code == 8
    assert 'name: "Person 1" -> "Hand edit"' in out
    assert "changed" in out
    assert err == target_line(database_url, "from --database-url") + (
        "error: verification failed for tenant acme: 1 difference (1 changed)\n"
    )


def test_cli_verify_json_has_ok_and_the_differences_and_still_exits_8(
    database_url: str, tmp_path: Path
) -> None:
    """``seedctl verify --json`` prints one object with ok false and the differences; exit 8."""
    log = _applied(database_url, tmp_path, scale=5)
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM mini_memberships WHERE role = 'member'")
    code, out, _ = run_cli("verify", "--log", str(log), "--database-url", database_url, "--json")
    assert code == 8
    payload = json.loads(out)
    assert payload["ok"] is False
    assert payload["difference_counts"] == {"count": 1, "missing": 4}
    assert {d["kind"] for d in payload["differences"]} == {"count", "missing"}
    assert payload["entities"]["membership"]["found_rows"] == 1
