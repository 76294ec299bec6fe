"""Revert touches only what the seed wrote, asks first, and never stops half way.

App rows that point at seeded rows (Prisma's ``ON DELETE CASCADE`` everywhere,
Django's ``NO ACTION`` keys), an interrupted revert followed by applies, ``--runs``
after a resumed apply, the dry run, the question on a terminal, and the
production mark: each against a real PostgreSQL.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from seedctl.engine.apply import apply_log
from seedctl.engine.db import set_environment
from seedctl.engine.revert import revert
from seedctl.ledger import DependentRowsError, ProductionGuardError

from tests.support.app_scenarios import (
    DJANGO_LIBRARY,
    DJANGO_MIGRATIONS,
    PRISMA_APP,
    PRISMA_MIGRATIONS,
    apply_migrations,
    plugin_env,
    write_log,
)
from tests.support.cli import seedctl, target_line
from tests.test_app_schemas import APPS, exact_state, row_versions


def _count(url: str, query: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query).fetchone()  # type: ignore[call-overload]
    return int(row[0]) if row else 0


@pytest.fixture
def prisma(database_url: str, tmp_path: Path) -> Path:
    """The Prisma fixture seeded once; returns the log."""
    apply_migrations(database_url, PRISMA_MIGRATIONS)
    log = write_log(tmp_path / "seed.log", PRISMA_APP)
    apply_log(log, database_url=database_url)
    return log


def test_an_app_row_a_cascade_would_delete_stops_revert(prisma: Path, database_url: str) -> None:
    """A login session of a seeded user (ON DELETE CASCADE): exit 12 naming it, nothing
    reverted; --cascade reverts and records what went with it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """INSERT INTO "Session" ("id", "userId", "expiresAt")
               SELECT 'sess_seeded', id, '2026-12-31' FROM "User"
               WHERE email = 'user2@acme-demo.test'"""
        )
    with pytest.raises(DependentRowsError) as info:
        revert(database_url=database_url, log_path=prisma)
    assert info.value.exit_code == 12
    assert "public.Session: 1 row (Session_userId_fkey, on delete cascade) refer to User" in str(
        info.value
    )
    assert "pass --cascade" in str(info.value)
    assert _count(database_url, 'SELECT count(*) FROM "User"') == 10

    done = revert(database_url=database_url, log_path=prisma, cascade=True)
    assert done.cascaded == {"public.Session": 1}
    assert _count(database_url, 'SELECT count(*) FROM "User"') == 0
    assert _count(database_url, 'SELECT count(*) FROM "Session"') == 0
    with psycopg.connect(database_url) as conn:
        counts = conn.execute(
            "SELECT counts FROM seedctl.runs WHERE kind = 'revert' ORDER BY started_at DESC"
        ).fetchone()
    assert counts is not None and counts[0]["cascaded"] == {"public.Session": 1}


def test_cascades_are_followed_and_set_null_counts_too(prisma: Path, database_url: str) -> None:
    """An app folder in the seeded organisation takes its own subfolder with it (two keys
    deep); an app user managed by a seeded one would lose the manager (SET NULL)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        org = conn.execute("""SELECT id FROM "Organization" WHERE slug = 'acme-demo'""").fetchone()
        assert org is not None
        conn.execute(
            """INSERT INTO "Folder" ("id", "organizationId", "name")
               VALUES ('app-f', %s, 'Mine')""",
            org,
        )
        conn.execute(
            """INSERT INTO "Organization" ("id", "name", "slug", "settings", "updatedAt")
               VALUES ('other-org', 'Other', 'other', '{}', now())"""
        )
        conn.execute(
            """INSERT INTO "Folder" ("id", "organizationId", "parentId", "name")
               VALUES ('app-f2', 'other-org', 'app-f', 'Deeper')"""
        )
        conn.execute(
            """INSERT INTO "User" ("organizationId", "email", "managerId", "updatedAt")
               SELECT 'other-org', 'app@other.test', id, now() FROM "User"
               WHERE email = 'user0@acme-demo.test'"""
        )
    result = revert(database_url=database_url, log_path=prisma, dry_run=True)
    found = {(d.table, d.key, d.action, d.depth): d.rows for d in result.dependents}
    assert found[("public.Folder", "Folder_organizationId_fkey", "cascade", 1)] == 1
    assert found[("public.Folder", "Folder_parentId_fkey", "cascade", 2)] == 1
    assert found[("public.User", "User_managerId_fkey", "set null", 1)] == 1
    with pytest.raises(DependentRowsError, match=r"public\.Folder: 1 row"):
        revert(database_url=database_url, log_path=prisma)


def test_an_app_row_that_blocks_the_delete_is_refused_even_with_cascade(
    database_url: str, tmp_path: Path
) -> None:
    """A Django loan of a seeded book (NO ACTION): revert would fail part way, so it exits
    12 before writing, --cascade or not, and names the key."""
    apply_migrations(database_url, DJANGO_MIGRATIONS)
    log = write_log(tmp_path / "seed.log", DJANGO_LIBRARY)
    apply_log(log, database_url=database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO library_loan (borrower, due, book_id) "
            "SELECT 'Ann', '2026-02-01', id FROM library_book ORDER BY id LIMIT 1"
        )
    before = exact_state(database_url, APPS["django"])
    for cascade in (False, True):
        with pytest.raises(DependentRowsError) as info:
            revert(database_url=database_url, log_path=log, cascade=cascade)
        message = str(info.value)
        assert (
            "public.library_loan: 1 row (library_loan_book_id_1c2d3e4f_fk_library_book_id, "
            "on delete no action) refer to library_book"
        ) in message
        assert "would make the delete fail" in message
    assert exact_state(database_url, APPS["django"]) == before


def test_the_dry_run_says_what_revert_would_do_and_writes_nothing(
    prisma: Path, database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """--dry-run: per table what would be deleted, in a table and as JSON; no row changes,
    no run is recorded."""
    versions = row_versions(database_url, APPS["prisma"])
    runs = _count(database_url, "SELECT count(*) FROM seedctl.runs")
    result = revert(database_url=database_url, log_path=prisma, dry_run=True)
    assert result.dry_run
    assert result.deleted == {
        "Organization": 1,
        "Team": 3,
        "User": 10,
        "Membership": 10,
        "Profile": 10,
        "Folder": 2,
    }
    assert result.restored == {}
    shown = seedctl(
        "revert",
        "--tenant",
        "acme-demo",
        "--dry-run",
        env=plugin_env(seedctl_env, tmp_path),
        cwd=tmp_path,
    )
    assert shown.returncode == 0, shown.stderr
    assert "revert acme-demo on" in shown.stdout and "(dry run)" in shown.stdout
    assert "would delete" in shown.stdout
    assert shown.stdout.rstrip().endswith("dry run: nothing was written")
    assert row_versions(database_url, APPS["prisma"]) == versions
    assert _count(database_url, "SELECT count(*) FROM seedctl.runs") == runs


def _on_a_terminal(
    args: list[str], env: dict[str, str], cwd: Path, answer: bytes
) -> tuple[int, str]:
    """Run seedctl with a pseudo-terminal as stdin, stdout and stderr; type ``answer``."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd)
    os.close(slave)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"[y/N]" in output:
                os.write(master, answer)
                answered = True
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, output.decode(errors="replace")


def test_on_a_terminal_revert_asks_first(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """The question names the database and the rows; no keeps everything (exit 1), yes
    reverts, and --yes never asks."""
    apply_migrations(database_url, PRISMA_MIGRATIONS)
    log = write_log(tmp_path / "seed.log", PRISMA_APP)
    apply_log(log, database_url=database_url)
    env = plugin_env(seedctl_env, tmp_path)
    args = ["seedctl", "revert", "--log", str(log)]
    code, shown = _on_a_terminal(args, env, tmp_path, b"n\n")
    assert code == 1, shown
    assert "Revert tenant acme-demo on database" in shown
    assert "delete 36 and restore 0 rows? [y/N]" in shown
    assert "revert declined at the question; nothing was reverted" in shown
    assert _count(database_url, 'SELECT count(*) FROM "User"') == 10

    code, shown = _on_a_terminal(args, env, tmp_path, b"y\n")
    assert code == 0, shown
    assert _count(database_url, 'SELECT count(*) FROM "User"') == 0

    apply_log(log, database_url=database_url)
    code, shown = _on_a_terminal([*args, "--yes"], env, tmp_path, b"n\n")
    assert code == 0, shown
    assert "[y/N]" not in shown
    assert _count(database_url, 'SELECT count(*) FROM "User"') == 0


def _kill_revert_after(args: list[str], env: dict[str, str], pages: int) -> None:
    """Run revert and SIGKILL it once it has committed ``pages`` pages (or when it ends)."""
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        seen += "revert_page" in line
        if seen >= pages:
            break
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


def test_an_interrupted_revert_then_applies_still_reverts_to_before(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """A sweep: revert killed -9 after 1, 2 and 3 pages, an apply after each kill (which
    writes again rows the half-done revert had removed), then a revert: the pre-seed state,
    never a foreign-key failure on rows the later applies wrote."""
    apply_migrations(database_url, PRISMA_MIGRATIONS)
    before = exact_state(database_url, APPS["prisma"])
    log = write_log(tmp_path / "seed.log", PRISMA_APP, scale=3)
    env = plugin_env(seedctl_env, tmp_path)
    base = ["seedctl", "--log-format", "json", "--log-level", "debug"]
    revert_args = [*base, "revert", "--log", str(log), "--yes", "--batch-size", "7"]

    def apply_again() -> None:
        done = subprocess.run(
            [*base, "apply", "--log", str(log)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr

    apply_again()
    for pages in (1, 2, 3):
        _kill_revert_after(revert_args, env, pages)
        assert 0 < _count(database_url, 'SELECT count(*) FROM "User"') <= 30
        apply_again()
    final = subprocess.run(revert_args, env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert "Traceback" not in final.stderr
    assert exact_state(database_url, APPS["prisma"]) == before
    assert _count(database_url, "SELECT count(*) FROM seedctl.applied") == 0


def test_runs_1_after_an_interrupted_and_resumed_apply_undoes_both(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """An apply killed -9 and its resumption are one seed: --runs 1 reverts both."""
    apply_migrations(database_url, PRISMA_MIGRATIONS)
    log = write_log(tmp_path / "seed.log", PRISMA_APP, scale=3)
    env = plugin_env(seedctl_env, tmp_path)
    base = ["seedctl", "--log-format", "json", "--log-level", "debug"]
    proc = subprocess.Popen(
        [*base, "apply", "--log", str(log), "--batch-size", "3"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        seen += "batch_applied" in line
        if seen == 5:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    resumed = subprocess.run(
        [*base, "apply", "--log", str(log)], env=env, capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    with psycopg.connect(database_url) as conn:
        statuses = sorted(s for (s,) in conn.execute("SELECT status FROM seedctl.runs").fetchall())
    assert statuses == ["interrupted", "succeeded"]
    revert(database_url=database_url, log_path=log, runs=1)
    assert _count(database_url, 'SELECT count(*) FROM "User"') == 0
    assert _count(database_url, "SELECT count(*) FROM seedctl.applied") == 0


def test_revert_brings_the_ledgers_statistics_up_to_date(prisma: Path, database_url: str) -> None:
    """Without autovacuum the ledger may never have been analyzed: revert analyzes it."""
    with psycopg.connect(database_url) as conn:
        before = conn.execute(
            "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'seedctl.applied'::regclass"
        ).fetchone()
    assert before == (None,)
    revert(database_url=database_url, log_path=prisma)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the statistics collector reports a little late
        with psycopg.connect(database_url) as conn:
            after = conn.execute(
                "SELECT last_analyze FROM pg_stat_user_tables "
                "WHERE relid = 'seedctl.applied'::regclass"
            ).fetchone()
        if after and after[0] is not None:
            break
        time.sleep(0.2)
    assert after is not None and after[0] is not None


def test_lifting_the_production_mark_needs_allow_production(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path
) -> None:
    """env set away from production is exit 7 without --allow-production; with it, done."""
    set_environment("production", database_url=database_url)
    with pytest.raises(ProductionGuardError, match="refusing to mark it staging"):
        set_environment("staging", database_url=database_url)
    refused = seedctl("env", "set", "staging", env=seedctl_env, cwd=tmp_path)
    assert refused.returncode == 7
    assert refused.stderr == target_line(database_url) + (
        "error: this database is marked production; refusing to mark it staging. "
        "Pass --allow-production to mark it staging anyway.\n"
    )
    allowed = seedctl("env", "set", "staging", "--allow-production", env=seedctl_env, cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert seedctl("env", "set", "production", env=seedctl_env, cwd=tmp_path).returncode == 0


def test_columns_the_app_owns_are_not_drift(database_url: str, tmp_path: Path) -> None:
    """A login bumps updatedAt and lastSignedIn (the scenario's app-managed columns), an
    author's insert-only created_at moves: verify passes and revert needs no --force; a
    renamed user is still drift."""
    from seedctl.engine.verify import verify_log
    from seedctl.ledger import DriftError

    apply_migrations(database_url, PRISMA_MIGRATIONS)
    log = write_log(tmp_path / "seed.log", PRISMA_APP)
    apply_log(log, database_url=database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """UPDATE "User" SET "updatedAt" = now(), "lastSignedIn" = now()
               WHERE email = 'user1@acme-demo.test'"""
        )
    assert verify_log(log, database_url=database_url).ok
    assert revert(database_url=database_url, log_path=log, dry_run=True).drift_ignored == []

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""UPDATE "User" SET name = 'Renamed' WHERE email = 'user1@acme-demo.test'""")
    assert verify_log(log, database_url=database_url).difference_counts == {"changed": 1}
    with pytest.raises(DriftError):
        revert(database_url=database_url, log_path=log)

    django = tmp_path / "django"
    django.mkdir()
    other = database_url  # same database, other tenant and tables
    apply_migrations(other, DJANGO_MIGRATIONS)
    library = write_log(django / "seed.log", DJANGO_LIBRARY)
    apply_log(library, database_url=other)
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute("UPDATE library_author SET created_at = now()")
    assert verify_log(library, database_url=other).ok


def _edited_then_regenerated(database_url: str, tmp_path: Path) -> Path:
    """Prisma seeded as of January, a profile edited in the app, then a February log."""
    apply_migrations(database_url, PRISMA_MIGRATIONS)
    log = tmp_path / "seed.log"
    apply_log(write_log(log, PRISMA_APP, as_of="2026-01-15"), database_url=database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """UPDATE "Profile" SET bio = 'Written by me' WHERE "userId" =
               (SELECT id FROM "User" WHERE email = 'user2@acme-demo.test')"""
        )
        conn.execute("""UPDATE "User" SET "updatedAt" = now()""")  # the app's own column
    return write_log(log, PRISMA_APP, as_of="2026-02-15")


def _bio(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            """SELECT bio FROM "Profile" p JOIN "User" u ON u.id = p."userId"
               WHERE u.email = 'user2@acme-demo.test'"""
        ).fetchone()
    return str(row[0]) if row else ""


def test_apply_stops_before_overwriting_an_edited_row(database_url: str, tmp_path: Path) -> None:
    """--on-drift fail (the default): exit 9 naming the row and its log line; nothing written."""
    from seedctl.ledger import DriftError

    log = _edited_then_regenerated(database_url, tmp_path)
    versions = row_versions(database_url, APPS["prisma"])
    from seedctl.engine.plan import plan_log

    plan = plan_log(log, database_url=database_url)
    [drifted] = plan.drifted
    assert drifted.startswith("Profile ") and "seed.log:" in drifted
    assert any("would overwrite rows changed since the seed wrote them" in n for n in plan.notes)
    with pytest.raises(DriftError) as info:
        apply_log(log, database_url=database_url)
    assert info.value.exit_code == 9
    assert "1 pending command would overwrite rows changed since the seed wrote them" in str(
        info.value
    )
    assert "Profile " in str(info.value) and "seed.log:" in str(info.value)
    assert row_versions(database_url, APPS["prisma"]) == versions


def test_apply_skips_or_overwrites_an_edited_row_as_asked(
    database_url: str, tmp_path: Path
) -> None:
    """skip keeps the edit and counts it (the command stays pending); overwrite writes it,
    counts it, and audit keeps the edited text as the before-image."""
    from seedctl.engine.inspect import audit

    log = _edited_then_regenerated(database_url, tmp_path)
    skipped = apply_log(log, database_url=database_url, on_drift="skip")
    assert skipped.entities["profile"].drift_skipped == 1
    assert skipped.entities["profile"].updated == 9
    assert _bio(database_url) == "Written by me"
    from seedctl.engine.plan import plan_log

    assert plan_log(log, database_url=database_url).pending == 1  # left for a later decision

    overwritten = apply_log(log, database_url=database_url, on_drift="overwrite")
    assert overwritten.entities["profile"].drift_overwritten == 1
    assert overwritten.written == 1
    assert _bio(database_url) == "Seeded as of 2026-02-15"
    [entry] = [
        e
        for e in audit(database_url=database_url, entity="profile", limit=100)
        if e.before and e.before.get("bio") == "Written by me"
    ]
    assert entry.outcome == "updated"
