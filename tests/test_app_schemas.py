"""Seeding schemas an app's own migrations made: a Prisma app and a Django app.

The tables come from migration SQL written as Prisma Migrate and Django write it
(tests/fixtures/), with app rows already in them. Each test runs the real
applier, planner, verifier and reverter against a real PostgreSQL, and checks
the app's own rows are never touched.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from seedctl.engine.apply import apply_log
from seedctl.engine.inspect import audit
from seedctl.engine.plan import plan_log
from seedctl.engine.revert import revert
from seedctl.engine.verify import verify_log
from seedctl.ledger import (
    CollisionError,
    LogHeader,
    SeedctlError,
    UnknownNameError,
    append_commands,
)

from tests.support.app_scenarios import (
    DJANGO_LIBRARY,
    DJANGO_MIGRATIONS,
    PRISMA_APP,
    PRISMA_MIGRATIONS,
    DjangoLibrary,
    PrismaApp,
    apply_migrations,
    write_log,
)
from tests.support.app_scenarios import plugin_env as app_plugin_env

REPO = Path(__file__).resolve().parent.parent

PRISMA_APP_ROWS = """
INSERT INTO "Organization" ("id", "name", "slug", "settings", "updatedAt")
    VALUES ('clx0app0org', 'App Made', 'app-made', '{"theme": {"mode": "light"}}', '2025-12-01');
INSERT INTO "User" ("organizationId", "email", "name", "roles", "updatedAt")
    VALUES ('clx0app0org', 'owner@app.test', 'App Owner', '{OWNER}', '2025-12-01');
INSERT INTO "Session" ("id", "userId", "expiresAt") VALUES ('sess_1', 1, '2026-12-31');
INSERT INTO "Invite" ("organizationId", "email") VALUES ('clx0app0org', 'guest@app.test');
INSERT INTO "Folder" ("id", "organizationId", "name")
    VALUES ('clx0app0folder', 'clx0app0org', 'Handbook');
"""

DJANGO_APP_ROWS = """
INSERT INTO library_author (name, email, joined_on, created_at)
    VALUES ('App Author', 'app@library.test', '2024-01-01', '2024-01-01T00:00:00Z');
INSERT INTO library_book (title, isbn, price, details, loan_period, author_id)
    VALUES ('App Book', '9781111111111', '5.00', '{}', '7 days', 1);
INSERT INTO library_loan (borrower, due, book_id) VALUES ('Ann', '2026-02-01', 1);
"""

# What a seed means, whatever keys the database assigned: rows by natural key, references
# by the natural key they point at, columns the database fills in (serial ids,
# createdAt defaults) left out. Two databases seeded from one log compare equal by this.
PRISMA_LOGICAL = {
    "Organization": 'SELECT slug, name, plan, settings, "updatedAt" FROM "Organization"',
    "Team": 'SELECT "id", "organizationId", name, slug, "updatedAt" FROM "Team"',
    "User": 'SELECT u.email, u.name, u.roles::text[], u.tags, m.email, u."updatedAt" '
    'FROM "User" u LEFT JOIN "User" m ON m.id = u."managerId"',
    "Membership": 'SELECT u.email, m."teamId", m.role FROM "Membership" m '
    'JOIN "User" u ON u.id = m."userId"',
    "Profile": 'SELECT u.email, p.bio, p.preferences FROM "Profile" p '
    'JOIN "User" u ON u.id = p."userId"',
    "Folder": 'SELECT "id", "organizationId", "parentId", name FROM "Folder"',
    "Session": 'SELECT s."id", u.email FROM "Session" s JOIN "User" u ON u.id = s."userId"',
    "Invite": 'SELECT email, role FROM "Invite"',
}
DJANGO_LOGICAL = {
    "library_author": "SELECT name, email, joined_on, created_at FROM library_author",
    "library_tag": "SELECT name FROM library_tag",
    "library_book": "SELECT b.title, b.isbn, b.published, b.price, b.details, b.loan_period, "
    "a.email FROM library_book b JOIN library_author a ON a.id = b.author_id",
    "library_book_tags": "SELECT b.isbn, t.name FROM library_book_tags bt "
    "JOIN library_book b ON b.id = bt.book_id JOIN library_tag t ON t.id = bt.tag_id",
    "library_loan": "SELECT l.borrower, b.isbn FROM library_loan l "
    "JOIN library_book b ON b.id = l.book_id",
}


@dataclass(frozen=True)
class App:
    name: str
    scenario: PrismaApp | DjangoLibrary
    migrations: Path
    app_rows: str
    logical: dict[str, str]
    app_insert: str
    """An ordinary insert the app makes after the seed: must not collide with seeded keys."""


APPS = {
    "prisma": App(
        "prisma",
        PRISMA_APP,
        PRISMA_MIGRATIONS,
        PRISMA_APP_ROWS,
        PRISMA_LOGICAL,
        'INSERT INTO "User" ("organizationId", "email", "updatedAt") '
        "VALUES ('clx0app0org', 'later@app.test', now()) RETURNING id",
    ),
    "django": App(
        "django",
        DJANGO_LIBRARY,
        DJANGO_MIGRATIONS,
        DJANGO_APP_ROWS,
        DJANGO_LOGICAL,
        "INSERT INTO library_book (title, isbn, price, details, loan_period, author_id) "
        "VALUES ('Later', '9782222222222', '1.00', '{}', '1 day', 1) RETURNING id",
    ),
}


def logical_state(url: str, app: App) -> dict[str, list[str]]:
    """Every table of ``app`` as its rows' meaning, sorted (see PRISMA_LOGICAL)."""
    with psycopg.connect(url) as conn:
        return _logical(conn, app)


def _logical(conn: psycopg.Connection[Any], app: App) -> dict[str, list[str]]:
    return {
        table: sorted(
            json.dumps(row, default=str, sort_keys=True)
            for row in conn.execute(query).fetchall()  # type: ignore[call-overload]
        )
        for table, query in app.logical.items()
    }


def exact_state(url: str, app: App) -> dict[str, list[str]]:
    """Every row of every table of ``app``, all columns, sorted: for before-and-after."""
    with psycopg.connect(url) as conn:
        return {
            table: sorted(
                str(r[0])
                for r in conn.execute(
                    sql.SQL("SELECT to_jsonb(t)::text FROM {} t").format(sql.Identifier(table))
                ).fetchall()
            )
            for table in app.logical
        }


def row_versions(url: str, app: App) -> dict[str, list[str]]:
    """(xmin, row) of every row: any write to a row changes its xmin."""
    with psycopg.connect(url) as conn:
        return {
            table: sorted(
                str(r[0])
                for r in conn.execute(
                    sql.SQL("SELECT xmin::text || to_jsonb(t)::text FROM {} t").format(
                        sql.Identifier(table)
                    )
                ).fetchall()
            )
            for table in app.logical
        }


@pytest.fixture(params=sorted(APPS))
def app(request: pytest.FixtureRequest, database_url: str) -> App:
    """The app's migrations applied and its own rows in place, on a fresh database."""
    chosen = APPS[request.param]
    apply_migrations(database_url, chosen.migrations)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(chosen.app_rows)  # type: ignore[call-overload]
    return chosen


def test_full_cycle_on_the_apps_own_schema(app: App, database_url: str, tmp_path: Path) -> None:
    """Plan, apply, rerun (no row rewritten), verify, audit, revert to the state before the
    seed with the app's rows untouched, then an ordinary app insert."""
    before = exact_state(database_url, app)
    log = write_log(tmp_path / "seed.log", app.scenario, scale=2)
    expected = app.scenario.expected_counts(_params(app, scale=2))

    plan = plan_log(log, database_url=database_url)
    assert {e: p.would_insert for e, p in plan.entities.items()} == expected
    assert plan.would_collide == 0

    applied = apply_log(log, database_url=database_url)
    assert {e: t.inserted for e, t in applied.entities.items()} == expected
    assert {e: t.found_rows for e, t in applied.entities.items()} == expected
    versions = row_versions(database_url, app)

    rerun = apply_log(log, database_url=database_url)
    assert rerun.written == 0
    forced = apply_log(log, database_url=database_url, direct_copy=False)  # the slow, exact path
    assert forced.written == 0
    assert row_versions(database_url, app) == versions
    assert plan_log(log, database_url=database_url).pending == 0
    assert verify_log(log, database_url=database_url).ok

    entries = audit(database_url=database_url, tenant=applied.tenant, limit=1000)
    assert len(entries) == sum(expected.values())
    keyed = {e.table: e.row_key for e in entries if e.row_key is not None}
    if app.name == "prisma":
        assert set(keyed) == {"User", "Membership", "Profile"}  # text ids are the command ids
        assert set(keyed["Membership"]) == {"userId", "teamId"}
    else:
        assert set(keyed) == set(app.scenario.entity_tables.values())  # identity keys
    with psycopg.connect(database_url) as conn:
        for entry in entries[:20]:
            if entry.row_key is not None:
                where = sql.SQL(" AND ").join(
                    sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(v))
                    for c, v in entry.row_key.items()
                )
                found = conn.execute(
                    sql.SQL("SELECT to_jsonb(t) FROM {} t WHERE {}").format(
                        sql.Identifier(entry.table), where
                    )
                ).fetchone()
                assert found is not None and found[0] == entry.after, entry

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(app.app_insert)  # type: ignore[call-overload]
        conn.execute(app.app_insert.replace("later", "later2").replace("2222", "3333"))  # type: ignore[call-overload]

    reverted = revert(database_url=database_url, log_path=log)
    assert sum(reverted.deleted.values()) == sum(expected.values())
    after = exact_state(database_url, app)
    for table, rows in before.items():
        assert set(rows) <= set(after[table]), f"{table}: an app row changed"
    assert sum(len(r) for r in after.values()) == sum(len(r) for r in before.values()) + 2


def _params(app: App, *, scale: int) -> Any:
    import datetime as dt

    from seedctl.engine.scenarios import ScenarioParams

    return ScenarioParams(f"{app.scenario.name}-seed", dt.date(2026, 1, 15), scale)


def test_the_apps_next_insert_gets_a_key_past_every_seeded_one(
    app: App, database_url: str, tmp_path: Path
) -> None:
    """The database assigned the seeded keys from its own sequence, so the next one is new."""
    log = write_log(tmp_path / "seed.log", app.scenario, scale=2)
    apply_log(log, database_url=database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        table = "User" if app.name == "prisma" else "library_book"
        (highest,) = conn.execute(
            sql.SQL("SELECT max(id) FROM {}").format(sql.Identifier(table))
        ).fetchone() or (0,)
        (new_id,) = conn.execute(app.app_insert).fetchone() or (0,)  # type: ignore[call-overload]
    assert new_id > highest


def test_a_second_generation_updates_by_real_key_and_revert_restores_it(
    database_url: str, tmp_path: Path
) -> None:
    """A later as_of updates rows keyed by serial ids and composite keys; revert --runs 1
    puts the first generation back, row for row."""
    app = APPS["prisma"]
    apply_migrations(database_url, app.migrations)
    log = tmp_path / "seed.log"
    apply_log(write_log(log, app.scenario, as_of="2026-01-15"), database_url=database_url)
    first = logical_state(database_url, app)

    second = apply_log(write_log(log, app.scenario, as_of="2026-02-15"), database_url=database_url)
    updated = {e: t.updated for e, t in second.entities.items() if t.updated}
    # A user's only change is updatedAt, which the app owns once the row exists.
    assert updated == {"organization": 1, "team": 3, "profile": 10}
    assert second.entities["user"].unchanged == 10
    with psycopg.connect(database_url) as conn:
        keys = conn.execute(
            "SELECT DISTINCT row_key::text FROM seedctl.applied "
            "WHERE table_name = 'Profile' AND outcome = 'updated'"
        ).fetchall()
    assert len(keys) == 10
    assert all(json.loads(k)["userId"] > 0 for (k,) in keys)
    assert logical_state(database_url, app) != first

    revert(database_url=database_url, log_path=log, runs=1)
    assert logical_state(database_url, app) == first
    assert verify_log(log, database_url=database_url).difference_counts.get("changed", 0) == 0
    revert(database_url=database_url, log_path=log)
    assert all(not rows for rows in logical_state(database_url, app).values())


def test_a_smaller_generation_removes_rows_by_real_key_and_revert_puts_them_back(
    app: App, database_url: str, reference_url: str, tmp_path: Path
) -> None:
    """Scale 2, then scale 1: the rows scale 1 no longer makes are deleted by their real keys
    (serial and identity ids, the composite Membership key, the Profile keyed by its user,
    children before parents under ON DELETE CASCADE), the app's own rows untouched, the
    tables as a fresh apply of scale 1 leaves them; revert --runs 1 puts every removed row
    back with the very keys the database had given it."""
    before = exact_state(database_url, app)
    log = write_log(tmp_path / "seed.log", app.scenario, scale=2, remove_missing=True)
    apply_log(log, database_url=database_url)
    at_scale_2 = exact_state(database_url, app)

    write_log(log, app.scenario, scale=1, remove_missing=True)
    plan = plan_log(log, database_url=database_url)
    two, one = (app.scenario.expected_counts(_params(app, scale=s)) for s in (2, 1))
    removed = {e: two[e] - one[e] for e in two if two[e] > one[e]}
    assert {e: p.would_delete for e, p in plan.entities.items() if p.would_delete} == removed
    assert plan.dependents == []
    result = apply_log(log, database_url=database_url)
    assert {e: t.deleted for e, t in result.entities.items() if t.deleted} == removed
    after = exact_state(database_url, app)
    for table, rows in before.items():
        assert set(rows) <= set(after[table]), f"{table}: an app row changed or went"

    apply_migrations(reference_url, app.migrations)
    with psycopg.connect(reference_url, autocommit=True) as conn:
        conn.execute(app.app_rows)  # type: ignore[call-overload]
    apply_log(write_log(tmp_path / "fresh.log", app.scenario, scale=1), database_url=reference_url)
    assert logical_state(database_url, app) == logical_state(reference_url, app)
    assert verify_log(log, database_url=database_url).ok

    revert(database_url=database_url, log_path=log, runs=1)
    assert exact_state(database_url, app) == at_scale_2
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(app.app_insert)  # type: ignore[call-overload]


def test_an_app_row_holding_a_seeded_natural_key_is_a_collision(
    app: App, database_url: str, tmp_path: Path
) -> None:
    """A row the app made with a seed row's natural key stops apply before any write."""
    clash = (
        'INSERT INTO "User" ("organizationId", "email", "updatedAt") '
        "VALUES ('clx0app0org', 'user3@acme-demo.test', now())"
        if app.name == "prisma"
        else "INSERT INTO library_tag (name) VALUES ('history')"
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(clash)  # type: ignore[call-overload]
    before = exact_state(database_url, app)
    log = write_log(tmp_path / "seed.log", app.scenario)
    with pytest.raises(CollisionError) as info:
        apply_log(log, database_url=database_url)
    assert "seed id" in str(info.value)
    assert exact_state(database_url, app) == before
    plan = plan_log(log, database_url=database_url)
    assert plan.would_collide == 1


def _bad_schema_cases() -> list[tuple[str, str, str]]:
    return [
        (
            "a column the table lacks",
            'ALTER TABLE "User" DROP COLUMN "tags"',
            r"seed.log:6: unknown column User.tags \(the table has no such column\)",
        ),
        (
            "a NOT NULL column without a default",
            'ALTER TABLE "Team" ADD COLUMN "region" TEXT NOT NULL',
            r"seed.log:3: Team.region is NOT NULL without a default \(text\), and the command "
            "does not set it",
        ),
        (
            "a conflict target that is no unique key",
            'DROP INDEX "User_email_key"',
            r"seed.log:6: conflict columns \(email\) of User are not a unique key of the table in "
            r"the database \(its unique keys: \(id\)\)",
        ),
        (
            "an id column that cannot hold a UUID",
            'ALTER TABLE "Folder" DROP CONSTRAINT "Folder_parentId_fkey"; '
            'ALTER TABLE "Folder" ALTER COLUMN "id" TYPE integer USING 0',
            r"Folder.id is integer, which cannot hold the command id",
        ),
    ]


@pytest.mark.parametrize(
    ("what", "ddl", "message"), _bad_schema_cases(), ids=[c[0] for c in _bad_schema_cases()]
)
def test_a_table_shaped_otherwise_is_refused_before_the_first_write(
    what: str, ddl: str, message: str, database_url: str, tmp_path: Path
) -> None:
    """Exit 10 naming the log line, table and column; not one row written, not a ledger."""
    app = APPS["prisma"]
    apply_migrations(database_url, app.migrations)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(ddl)  # type: ignore[call-overload]
    log = write_log(tmp_path / "seed.log", app.scenario)
    with pytest.raises(UnknownNameError, match=message) as info:
        apply_log(log, database_url=database_url)
    assert info.value.exit_code == 10
    with psycopg.connect(database_url) as conn:
        counts = [
            conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()
            for t in app.scenario.entity_tables.values()
        ]
        applied = conn.execute("SELECT to_regclass('seedctl.applied') IS NOT NULL").fetchone()
    assert counts == [(0,)] * len(counts)
    assert applied is not None
    if applied[0]:
        with psycopg.connect(database_url) as conn:
            assert conn.execute("SELECT count(*) FROM seedctl.applied").fetchone() == (0,)
    with pytest.raises(UnknownNameError, match=message):
        plan_log(log, database_url=database_url)


# --- kill -9 through the real CLI ------------------------------------------------------


@pytest.fixture
def plugin_env(seedctl_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``seedctl`` subprocesses that find the two app scenarios through entry points."""
    return app_plugin_env(seedctl_env, tmp_path)


def _kill_after(args: list[str], env: dict[str, str], event: str, delay: float) -> int | None:
    """Run seedctl and SIGKILL it ``delay`` s after its first ``event`` log line."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        if event in line:
            time.sleep(delay)
            break
    if proc.poll() is not None:
        proc.stderr.read()
        proc.stderr.close()
        return proc.returncode
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    return None


def _ledger_matches_rows(url: str, app: App) -> None:
    """Every seeded row has its ledger entry and no entry lacks its row.

    One snapshot for both counts: a killed run's last COMMIT may still land on the
    server after the process is gone, and must not fall between them.
    """
    with psycopg.connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        exists = conn.execute("SELECT to_regclass('seedctl.applied') IS NOT NULL").fetchone()
        entries = 0
        if exists and exists[0]:
            counted = conn.execute(
                "SELECT count(DISTINCT (table_name, row_id)) FROM seedctl.applied"
            ).fetchone()
            entries = counted[0] if counted else 0
        rows = sum(len(r) for r in _logical(conn, app).values())
    assert rows - APP_ROW_COUNTS[app.name] == entries


APP_ROW_COUNTS = {"prisma": 5, "django": 3}


@pytest.mark.parametrize("name", sorted(APPS))
def test_kill_9_during_apply_then_rerun_equals_a_clean_run(
    name: str,
    database_url: str,
    reference_url: str,
    plugin_env: dict[str, str],
    tmp_path: Path,
) -> None:
    """SIGKILL apply at spread points; after each kill the ledger matches the rows, and the
    final run leaves what an uninterrupted run leaves, whatever keys the database assigned."""
    app = APPS[name]
    for url in (database_url, reference_url):
        apply_migrations(url, app.migrations)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(app.app_rows)  # type: ignore[call-overload]
    log = write_log(tmp_path / "seed.log", app.scenario, scale=3)
    apply = [
        "seedctl", "--log-format", "json", "--log-level", "debug",
        "apply", "--log", str(log), "--batch-size", "1", "--writers", "1",
    ]  # fmt: skip
    done = subprocess.run(
        apply,
        env={**plugin_env, "SEEDCTL_DATABASE_URL": reference_url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rng = random.Random(11)
    kills = 0
    for _ in range(12):
        returncode = _kill_after(apply, plugin_env, "batch_applied", rng.uniform(0, 0.004))
        _ledger_matches_rows(database_url, app)
        if returncode is not None:
            assert returncode == 0
            break
        kills += 1
    assert kills >= 3
    final = subprocess.run(apply, env=plugin_env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert "Traceback" not in final.stderr
    assert logical_state(database_url, app) == logical_state(reference_url, app)
    verified = subprocess.run(
        ["seedctl", "verify", "--log", str(log)],
        env=plugin_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    reverted = subprocess.run(
        ["seedctl", "revert", "--log", str(log)],
        env=plugin_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert reverted.returncode == 0, reverted.stderr
    app_only = logical_state(database_url, app)
    assert sum(len(r) for r in app_only.values()) == APP_ROW_COUNTS[name]


def test_scenario_helpers_are_deterministic() -> None:
    """Same params, same commands: the app scenarios are pure like any scenario."""
    params = _params(APPS["prisma"], scale=2)
    generate: Callable[[], list[Any]] = lambda: list(PRISMA_APP.generate(params))  # noqa: E731
    assert generate() == generate()


def test_a_reference_to_a_row_the_log_never_makes_is_refused_before_the_first_write(
    database_url: str, tmp_path: Path
) -> None:
    """A membership naming a user no command makes: exit 10 at its line, nothing written."""
    app = APPS["prisma"]
    apply_migrations(database_url, app.migrations)
    params = _params(app, scale=1)
    commands = [c for c in PRISMA_APP.generate(params) if c.key != "user9@acme-demo.test"]
    header = LogHeader(
        scenario=PRISMA_APP.name,
        tenant=PRISMA_APP.tenant(params),
        params=params.as_header(),
        generator=PRISMA_APP.version,
    )
    log = tmp_path / "seed.log"
    append_commands(log, header, commands)
    with pytest.raises(
        UnknownNameError, match=r"seed.log:\d+: Membership.userId refers to user "
    ) as info:
        apply_log(log, database_url=database_url)
    assert str(info.value).endswith("which no command of the log makes; nothing was written")
    assert all(not rows for table, rows in exact_state(database_url, app).items())


def test_verify_finds_a_changed_and_a_deleted_row_by_their_real_keys(
    database_url: str, tmp_path: Path
) -> None:
    """Drift on rows keyed by serial and composite keys is found row by row."""
    app = APPS["prisma"]
    apply_migrations(database_url, app.migrations)
    log = write_log(tmp_path / "seed.log", app.scenario)
    apply_log(log, database_url=database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""UPDATE "User" SET name = 'Renamed' WHERE email = 'user4@acme-demo.test'""")
        conn.execute(
            """DELETE FROM "Membership" WHERE "userId" =
               (SELECT id FROM "User" WHERE email = 'user5@acme-demo.test')"""
        )
    result = verify_log(log, database_url=database_url)
    assert result.difference_counts == {"changed": 1, "missing": 1, "count": 1}
    changed = next(d for d in result.differences if d.kind == "changed")
    assert (changed.table, changed.columns) == ("User", ("name",))
    assert "User 4" in changed.detail and "Renamed" in changed.detail
    missing = next(d for d in result.differences if d.kind == "missing")
    assert missing.table == "Membership"


def test_a_table_of_the_same_name_earlier_on_the_search_path_never_gets_the_rows(
    database_url: str, tmp_path: Path
) -> None:
    """The catalog check resolves each table once and every statement names it qualified:
    a decoy table that appears on the search path later changes nothing."""
    app = APPS["prisma"]
    apply_migrations(database_url, app.migrations)
    log = write_log(tmp_path / "seed.log", app.scenario)
    apply_log(log, database_url=database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            'CREATE SCHEMA decoy; CREATE TABLE decoy."Organization" (LIKE public."Organization")'
        )
        name = conn.execute("SELECT current_database()").fetchone()
        assert name is not None
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET search_path = decoy, public").format(
                sql.Identifier(str(name[0]))
            )
        )
    second = write_log(log, app.scenario, as_of="2026-02-15")
    with pytest.raises(UnknownNameError):
        # Resolved on the new search path, the decoy has no unique key on slug: refused
        # before the first write rather than written into the wrong table.
        apply_log(second, database_url=database_url)
    with psycopg.connect(database_url) as conn:
        assert conn.execute('SELECT count(*) FROM decoy."Organization"').fetchone() == (0,)
        assert conn.execute('SELECT count(*) FROM public."Organization"').fetchone() == (1,)


def test_a_unique_key_dropped_after_the_first_apply_is_caught_before_the_next_write(
    database_url: str, tmp_path: Path
) -> None:
    """The unique constraint behind `conflict` is checked in the database on every run."""
    app = APPS["prisma"]
    apply_migrations(database_url, app.migrations)
    log = write_log(tmp_path / "seed.log", app.scenario)
    apply_log(log, database_url=database_url)
    versions = row_versions(database_url, app)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute('DROP INDEX "Team_organizationId_slug_key"')
    write_log(log, app.scenario, as_of="2026-02-15")
    with pytest.raises(
        UnknownNameError, match=r"conflict columns \(organizationId, slug\) of Team"
    ):
        apply_log(log, database_url=database_url)
    assert row_versions(database_url, app) == versions


@pytest.mark.parametrize("app_name", ["prisma", "django"])
def test_a_row_only_the_server_refuses_is_named_by_its_log_line_and_natural_key(
    app_name: str, database_url: str, tmp_path: Path
) -> None:
    """A CHECK constraint the log cannot know of: the error names the refused row's log
    line and natural key, not just its batch; the batch writes nothing."""
    app = APPS[app_name]
    apply_migrations(database_url, app.migrations)
    table, check, key = (
        (
            "Team",
            """ALTER TABLE "Team" ADD CONSTRAINT no_support CHECK (slug <> 'support')""",
            "support",
        )
        if app_name == "prisma"
        else (
            "library_book",
            "ALTER TABLE library_book ADD CONSTRAINT cheap CHECK (price < 15)",
            "9780000000005",
        )
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(check)  # type: ignore[call-overload]
    log = write_log(tmp_path / "seed.log", app.scenario, scale=2)
    commands = list(app.scenario.generate(_params(app, scale=2)))
    culprit = next(i for i, c in enumerate(commands) if c.table == table and c.key.endswith(key))
    with pytest.raises(SeedctlError) as info:
        apply_log(log, database_url=database_url)
    message = str(info.value)
    assert message.startswith(f"{log}:{culprit + 2}: {table} {commands[culprit].key}: "), message
    assert "violates check constraint" in message
    assert "Nothing from this batch was written" in message
