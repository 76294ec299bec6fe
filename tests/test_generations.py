"""Generations: every generate records one, a row can go back to what it held before, rows a
generation no longer makes are removed (and come back with revert), and any sequence of
generations leaves the database as a fresh apply of the last one alone. Real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seedctl.engine.apply import apply_log
from seedctl.engine.generation import generate_log
from seedctl.engine.revert import revert
from seedctl.engine.scenarios import register_scenario
from seedctl.ledger import ConfigError, DependentRowsError, DriftError, LogCorruptError, verify_log
from seedctl.ledger.logfile import LogHeader, LogReader

from tests.support.dbstate import dump_tables
from tests.support.mini import MINI, MINI_V2, TABLES

DAY_1, DAY_2, DAY_3 = dt.date(2026, 11, 25), dt.date(2026, 12, 25), dt.date(2027, 1, 9)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def gen(path: Path, *, as_of: dt.date | None = None, scale: int | None = None) -> Any:
    return generate_log("mini", path, seed="acme", as_of=as_of, scale=scale, workers=0)


def last_seen(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT DISTINCT last_seen::text FROM mini_people ORDER BY 1")
        return [r[0] for r in rows.fetchall()]


def count(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        return int(row[0])


# -- the log ------------------------------------------------------------------------------


def test_every_generation_is_recorded_with_its_params(tmp_path: Path) -> None:
    """Each generate that changes anything appends one generation record with its params,
    the scenario version and what it changed; the same params again write nothing."""
    log = tmp_path / "mini.log"
    first = gen(log, as_of=DAY_1, scale=5)
    size = log.stat().st_size
    again = gen(log, as_of=DAY_1, scale=5)
    assert (again.generation, again.added, log.stat().st_size) == (0, 0, size)
    later = gen(log, as_of=DAY_2)
    smaller = gen(log, scale=3)
    generations = verify_log(log).generations
    assert [g.generation for g in generations] == [1, 2, 3]
    assert [g.params for g in generations] == [
        {"seed": "acme", "as_of": "2026-11-25", "scale": 5},
        {"seed": "acme", "as_of": "2026-12-25", "scale": 5},
        {"seed": "acme", "as_of": "2026-12-25", "scale": 3},
    ]
    assert {g.generator for g in generations} == {MINI.version}
    assert [(g.commands, g.removed, g.rows) for g in generations] == [
        (first.added, 0, 11),
        (later.added, 0, 11),
        (smaller.added, 4, 7),  # two people and their two memberships
    ]
    assert later.kept == ("scale",) and smaller.kept == ("as_of",)


def test_going_back_in_time_records_commands_of_their_own(tmp_path: Path) -> None:
    """as_of 11-25, 12-25, then 11-25 again: the third generation re-records the rows whose
    content went back, each with a hash of its own that names the command it overrides."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=5)
    second = gen(log, as_of=DAY_2)
    third = gen(log, as_of=DAY_1)
    assert third.added == second.added > 0
    lines = records(log)
    hashes = [r["hash"] for r in lines]
    assert len(hashes) == len(set(hashes)), "every line has its own hash"
    back = [r for r in lines if r["op"] == "upsert" and r["seq"] > lines[-third.added - 2]["seq"]]
    first_of = {r["id"]: r for r in lines if r["op"] == "upsert" and "overrides" not in r}
    for r in back:
        assert r["values"] == first_of[r["id"]]["values"]
        assert r["overrides"] in hashes


def test_removed_rows_are_deleted_children_first(tmp_path: Path) -> None:
    """A smaller scale records a delete for each row it no longer makes: memberships before
    the people they belong to, reports before their managers."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=9)
    gen(log, scale=4)
    deletes = [r for r in records(log) if r["op"] == "delete"]
    assert [r["entity"] for r in deletes] == ["membership"] * 5 + ["person"] * 5
    keys = [r["key"] for r in deletes if r["entity"] == "person"]
    assert keys == [f"p{i}@acme.test" for i in (8, 7, 6, 5, 4)]
    assert all(set(r["values"]) == set() and r["overrides"] for r in deletes)


def test_a_bare_generate_on_a_later_day_adds_nothing(tmp_path: Path) -> None:
    """Without --as-of, an existing log keeps its last generation's as_of and scale."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=5)
    before = log.read_bytes()
    result = gen(log)
    assert (result.generation, result.added, result.kept) == (0, 0, ("as_of", "scale"))
    assert result.params["as_of"] == "2026-11-25"
    assert log.read_bytes() == before


def test_a_crashed_generate_is_cut_off_and_done_again(tmp_path: Path) -> None:
    """Lines of a generation without its record (kill -9 mid-append) are refused by verify,
    and the next generate cuts them off and writes the generation whole."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=5)
    gen(log, as_of=DAY_2)
    whole = log.read_bytes()
    content = whole.split(b"\n")[:-1]
    log.write_bytes(b"\n".join(content[:-3]) + b"\n" + content[-3][:17])  # torn mid-line
    with pytest.raises(LogCorruptError, match="last line is torn"):
        verify_log(log)
    log.write_bytes(b"\n".join(content[:-2]) + b"\n")  # complete lines, no record
    with pytest.raises(LogCorruptError, match="the log ends inside generation 2"):
        verify_log(log)
    result = gen(log, as_of=DAY_2)
    assert result.healed_lines > 0
    assert log.read_bytes() == whole


# -- applying generations -----------------------------------------------------------------


def test_apply_follows_the_log_back_in_time(tmp_path: Path, database_url: str) -> None:
    """The issue's case: apply 12-25, apply 11-25, apply 12-25 again: the database holds
    each generation's dates in turn, and each rerun writes nothing."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_2, scale=7)
    apply_log(log, database_url=database_url, create_schema=True)
    assert last_seen(database_url)[-1] == "2026-12-25"
    gen(log, as_of=DAY_1)
    back = apply_log(log, database_url=database_url)
    assert back.entities["person"].updated == 7
    assert last_seen(database_url)[-1] == "2026-11-25"
    gen(log, as_of=DAY_2)
    forth = apply_log(log, database_url=database_url)
    assert forth.entities["person"].updated == 7
    assert last_seen(database_url)[-1] == "2026-12-25"
    assert apply_log(log, database_url=database_url).written == 0


def test_removal_deletes_only_seeded_rows_and_revert_restores_them(
    tmp_path: Path, database_url: str
) -> None:
    """A smaller scale deletes the rows the seed wrote that it no longer makes, with their
    images in the ledger; an app's own row is never touched; revert brings them back."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=6)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        org = conn.execute("SELECT id FROM mini_orgs").fetchone()
        assert org is not None
        conn.execute(
            "INSERT INTO mini_people (id, org_id, email, name) "
            "VALUES ('00000000-0000-4000-8000-000000000001', %s, 'app@acme.test', 'App')",
            (org[0],),
        )
    seeded = dump_tables(database_url, TABLES)
    gen(log, scale=2)
    result = apply_log(log, database_url=database_url)
    assert (result.entities["person"].deleted, result.entities["membership"].deleted) == (4, 4)
    assert count(database_url, "mini_people") == 3  # two seeded, the app's own
    with psycopg.connect(database_url) as conn:
        images = conn.execute(
            "SELECT count(*) FROM seedctl.applied WHERE outcome = 'deleted' "
            "AND before IS NOT NULL AND after IS NULL"
        ).fetchone()
        assert images is not None and images[0] == 8
    revert(database_url=database_url, log_path=log, runs=1)
    assert dump_tables(database_url, TABLES) == seeded


def test_removal_stops_at_rows_the_seed_did_not_write(tmp_path: Path, database_url: str) -> None:
    """A row to remove that an app row points at stops apply before any write (exit 12),
    as it stops a revert; --no-prune keeps the row and applies the rest."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=4)
    apply_log(log, database_url=database_url, create_schema=True)
    add_app_membership(database_url, "p3@acme.test")
    before = dump_tables(database_url, TABLES)
    gen(log, as_of=DAY_2, scale=3)
    with pytest.raises(
        DependentRowsError, match=r"mini_memberships: 1 row .* refer to mini_people"
    ):
        apply_log(log, database_url=database_url)
    assert dump_tables(database_url, TABLES) == before
    kept = apply_log(log, database_url=database_url, prune=False)
    assert kept.entities["person"].kept == 1
    assert count(database_url, "mini_people") == 4
    assert last_seen(database_url)[-1] == "2026-12-25"


def test_a_format_1_log_still_applies_and_is_upgraded_by_generate(
    tmp_path: Path, database_url: str
) -> None:
    """A log written by an earlier seedctl (format 1: no generation records) reads and
    applies; generate upgrades it in place (hashes kept, the old file beside it), and the
    ledger written from it still counts every command as applied."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=4)
    v1 = tmp_path / "v1.log"
    write_format_1(log, v1)
    applied = apply_log(v1, database_url=database_url, create_schema=True)
    assert applied.written == 9
    result = gen(v1, as_of=DAY_1)
    assert (result.upgraded, result.generation, result.added) == (True, 0, 0)
    assert (tmp_path / "v1.log.v1").exists()
    summary = verify_log(v1)
    assert summary.header.format == "seedctl-log/2"
    assert summary.generations[0].upgraded_from == "seedctl-log/1"
    assert apply_log(v1, database_url=database_url).written == 0


def write_format_1(source: Path, target: Path) -> None:
    """``source``'s commands as a format-1 log, chained the way format 1 chained them."""
    import hashlib

    with LogReader(source) as reader:
        header = reader.header
        # Format 1 had no deletes and no overrides: a row's commands stood one after another.
        commands = [
            msgspec.structs.replace(command.command(), overrides=msgspec.UNSET)
            for command, _ in reader
            if command.op == "upsert"
        ]
    from seedctl.ledger import canonical_bytes

    head = canonical_bytes(
        LogHeader(
            format="seedctl-log/1",
            scenario=header.scenario,
            tenant=header.tenant,
            params=header.params,
            generator=header.generator,
        )
    )
    out = [head]
    prev = hashlib.sha256(head).hexdigest()
    for seq, command in enumerate(commands, start=1):
        body = json.loads(canonical_bytes(command))
        line = canonical_bytes(
            {
                **body,
                "seq": seq,
                "prev": prev,
                "hash": hashlib.sha256(canonical_bytes(command)).hexdigest(),
            }
        )
        out.append(line)
        prev = hashlib.sha256(line).hexdigest()
    target.write_bytes(b"".join(line + b"\n" for line in out))
    verify_log(target)


# -- any sequence of generations ----------------------------------------------------------

GENERATIONS = st.lists(
    st.tuples(
        st.sampled_from([DAY_1, DAY_2, DAY_3]),
        st.sampled_from([1, 3, 6]),
        st.sampled_from([MINI, MINI_V2]),  # the scenario's version
        st.booleans(),  # apply after this generation, or only after a later one
    ),
    min_size=1,
    max_size=5,
)


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS seedctl CASCADE")
        for table in reversed(TABLES):
            conn.execute(f"DROP TABLE IF EXISTS {table}")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=GENERATIONS)
def test_any_sequence_of_generations_equals_a_fresh_apply_of_the_last(
    tmp_path_factory: pytest.TempPathFactory,
    database_url: str,
    reference_url: str,
    steps: list[tuple[dt.date, int, Any, bool]],
) -> None:
    """Generations in any order of as_of, scale and scenario version, applied after some of
    them and at the end: every seeded table equals a fresh apply of the last generation
    alone, a rerun writes nothing, and a full revert leaves the tables empty."""
    reset(database_url)
    reset(reference_url)
    folder = tmp_path_factory.mktemp("generations")
    log = folder / "mini.log"
    try:
        for as_of, scale, version, applied_now in steps:
            register_scenario(version)
            gen(log, as_of=as_of, scale=scale)
            if applied_now:
                apply_log(log, database_url=database_url, create_schema=True)
        apply_log(log, database_url=database_url, create_schema=True)
        last_as_of, last_scale, last_version, _ = steps[-1]
        register_scenario(last_version)
        fresh = folder / "fresh.log"
        gen(fresh, as_of=last_as_of, scale=last_scale)
        apply_log(fresh, database_url=reference_url, create_schema=True)
    finally:
        register_scenario(MINI)
    assert dump_tables(database_url, TABLES) == dump_tables(reference_url, TABLES)
    assert [g.generator for g in verify_log(log).generations][-1] == last_version.version
    assert apply_log(log, database_url=database_url).written == 0
    revert(database_url=database_url, log_path=log)
    assert all(not rows for rows in dump_tables(database_url, TABLES).values())


# -- found by review: churn, --no-prune, drift, format-1 params --------------------------


def add_app_membership(url: str, email: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO mini_memberships (id, person_id, role) SELECT "
            "'00000000-0000-4000-8000-000000000002', id, 'app-made' FROM mini_people "
            "WHERE email = %s",
            (email,),
        )


def test_a_row_removed_and_made_again_before_apply_is_never_deleted(
    tmp_path: Path, database_url: str
) -> None:
    """Scale 4, 3, 4 again, applied at once: the delete in between is overridden by the last
    generation, so the row (and the app's own row hanging on it) stays, and nothing at all
    is written: the last generation makes exactly what the database holds."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=4)
    apply_log(log, database_url=database_url, create_schema=True)
    add_app_membership(database_url, "p3@acme.test")
    before = dump_tables(database_url, TABLES)
    gen(log, scale=3)
    gen(log, scale=4)
    for prune in (True, False):
        result = apply_log(log, database_url=database_url, prune=prune)
        assert sum(t.deleted for t in result.entities.values()) == 0
    assert dump_tables(database_url, TABLES) == before


def test_no_prune_keeps_the_rows_but_applies_every_other_change(
    tmp_path: Path, database_url: str
) -> None:
    """--no-prune leaves only the deletes pending: the people a later generation makes again
    and the dates it moves are written, the rows it removed stay, the run succeeds; a later
    apply without it removes them."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=6)
    apply_log(log, database_url=database_url, create_schema=True)
    gen(log, scale=3)
    apply_log(log, database_url=database_url, prune=False)
    gen(log, as_of=DAY_2, scale=5)
    kept = apply_log(log, database_url=database_url, prune=False)
    assert kept.entities["person"].kept == 1
    assert count(database_url, "mini_people") == 6
    assert last_seen(database_url)[-1] == "2026-12-25"
    pruned = apply_log(log, database_url=database_url)
    assert pruned.entities["person"].deleted == 1
    assert count(database_url, "mini_people") == 5


def test_drift_on_a_row_to_remove(tmp_path: Path, database_url: str) -> None:
    """A row the app edited that a generation removes: fail stops (exit 9), skip keeps it
    and the run succeeds, overwrite removes it with its edited image in the ledger."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=4)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE mini_people SET name = 'Renamed' WHERE email = 'p3@acme.test'")
    gen(log, scale=3)
    with pytest.raises(DriftError, match="mini_people"):
        apply_log(log, database_url=database_url)
    skipped = apply_log(log, database_url=database_url, on_drift="skip")
    assert (skipped.entities["person"].drift_skipped, count(database_url, "mini_people")) == (1, 4)
    overwritten = apply_log(log, database_url=database_url, on_drift="overwrite")
    assert overwritten.entities["person"].deleted == 1
    with psycopg.connect(database_url) as conn:
        image = conn.execute(
            "SELECT before->>'name' FROM seedctl.applied WHERE outcome = 'deleted' "
            "AND table_name = 'mini_people'"
        ).fetchone()
    assert image == ("Renamed",)


def test_a_row_the_app_deleted_already_is_no_drift(tmp_path: Path, database_url: str) -> None:
    """A generation removes a row the app deleted already: nothing to remove, no drift; the
    delete is recorded (absent), so it is not pending again."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=4)
    apply_log(log, database_url=database_url, create_schema=True)
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "DELETE FROM mini_memberships WHERE person_id = "
            "(SELECT id FROM mini_people WHERE email = 'p3@acme.test')"
        )
    gen(log, scale=3)
    result = apply_log(log, database_url=database_url)
    assert (result.entities["membership"].absent, result.entities["person"].deleted) == (1, 1)
    assert apply_log(log, database_url=database_url).written == 0


def test_revert_after_removal_and_a_new_serial_key_is_exact(
    tmp_path: Path, database_url: str
) -> None:
    """Prisma's serial User ids: scale 2, then 1 (removed), then 2 at another date (made
    again, with new ids), each applied; revert --runs 2 leaves every table as after the
    first apply, keys and all, and a full revert empties them."""
    from tests.support.app_scenarios import PRISMA_APP, PRISMA_MIGRATIONS, apply_migrations
    from tests.test_app_schemas import APPS, exact_state

    app = APPS["prisma"]
    apply_migrations(database_url, PRISMA_MIGRATIONS)
    log = tmp_path / "prisma.log"
    seed = "prisma-app-seed"

    def make(scale: int, as_of: dt.date = DAY_1) -> None:
        generate_log(PRISMA_APP.name, log, seed=seed, as_of=as_of, scale=scale, workers=0)
        apply_log(log, database_url=database_url)

    make(2)
    first = exact_state(database_url, app)
    make(1)
    make(2, DAY_2)
    assert exact_state(database_url, app) != first
    revert(database_url=database_url, log_path=log, runs=2)
    assert exact_state(database_url, app) == first
    revert(database_url=database_url, log_path=log)
    assert all(not rows for rows in exact_state(database_url, app).values())


def test_a_grown_format_1_log_needs_its_params_said(tmp_path: Path, database_url: str) -> None:
    """A format-1 log records only its first generation's params: once later generations
    changed it, a bare generate refuses to guess (exit 2) and writes nothing; with --as-of
    and --scale it upgrades and appends."""
    log = tmp_path / "mini.log"
    gen(log, as_of=DAY_1, scale=3)
    gen(log, as_of=DAY_2)
    v1 = tmp_path / "v1.log"
    write_format_1(log, v1)
    before = v1.read_bytes()
    with pytest.raises(ConfigError, match="pass --as-of and --scale"):
        gen(v1)
    assert v1.read_bytes() == before
    result = gen(v1, as_of=DAY_2, scale=3)
    assert (result.upgraded, result.added) == (True, 0)
