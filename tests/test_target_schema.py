"""The demo target schema and ``seedctl schema create``, against real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import psycopg
import sqlalchemy as sa
from seedctl.engine.db import connect_engine
from seedctl.engine.scenarios import ScenarioParams
from seedctl.engine.scenarios.okr_demo import OKR_DEMO
from seedctl.engine.scenarios.okr_demo.schema import OBJECTIVES, metadata
from seedctl.engine.target import read_target
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.schema import CreateTable

from tests.support.cli import seedctl

TABLES = [
    "organizations", "workspaces", "teams", "users", "cycles", "strategic_pillars", "objectives",
    "key_results", "objective_key_results", "initiatives", "check_ins", "role_assignments",
]  # fmt: skip

NATURAL_KEYS = {
    "organizations": ["slug"],
    "workspaces": ["organization_id", "slug"],
    "teams": ["workspace_id", "slug"],
    "users": ["email"],
    "cycles": ["organization_id", "name"],
    "strategic_pillars": ["organization_id", "name"],
    "objectives": ["organization_id", "scope_type", "workspace_id", "team_id", "cycle_id", "title"],
    "key_results": ["objective_id", "title"],
    "objective_key_results": ["objective_id", "key_result_id"],
    "initiatives": ["objective_id", "title"],
    "check_ins": ["key_result_id", "sequence"],
    "role_assignments": ["user_id", "role", "scope_type", "scope_id"],
}


def test_metadata_has_the_twelve_tables_in_public_with_uuid_ids() -> None:
    """One MetaData, default schema, every table keyed by ``id uuid``."""
    assert sorted(metadata.tables) == sorted(TABLES)
    for table in metadata.tables.values():
        assert table.schema is None
        assert [c.name for c in table.primary_key.columns] == ["id"]
        assert isinstance(table.c.id.type, postgresql.UUID)


def test_objectives_key_compiles_with_nulls_not_distinct() -> None:
    """SQLAlchemy emits NULLS NOT DISTINCT for the objectives' natural key (PostgreSQL 15+)."""
    ddl = str(CreateTable(OBJECTIVES).compile(dialect=postgresql.dialect()))
    assert (
        "CONSTRAINT objectives_natural_key UNIQUE NULLS NOT DISTINCT "
        "(organization_id, scope_type, workspace_id, team_id, cycle_id, title)"
    ) in ddl


def test_schema_create_makes_the_tables_and_constraints(
    seedctl_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    """``schema create`` creates all tables with their natural keys and foreign keys."""
    result = seedctl("schema", "create", "--json", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert sorted(out["created"]) == sorted(TABLES)
    assert out["existing"] == []
    with connect_engine(database_url) as engine, engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert sorted(inspector.get_table_names()) == sorted(TABLES)
        for table, columns in NATURAL_KEYS.items():
            uniques = [u["column_names"] for u in inspector.get_unique_constraints(table)]
            assert uniques == [columns], table
        fks = {
            (table, tuple(fk["constrained_columns"]), fk["referred_table"])
            for table in TABLES
            for fk in inspector.get_foreign_keys(table)
        }
        assert ("users", ("manager_id",), "users") in fks
        assert ("objectives", ("team_id",), "teams") in fks
        assert ("check_ins", ("key_result_id",), "key_results") in fks
        assert ("role_assignments", ("user_id",), "users") in fks
        assert fks == {
            (table.name, (fk.parent.name,), fk.column.table.name)
            for table in metadata.tables.values()
            for fk in table.foreign_keys
        }
        definition = conn.execute(
            sa.text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'objectives_natural_key'"
            )
        ).scalar_one()
        assert definition.startswith("UNIQUE NULLS NOT DISTINCT")


def test_schema_create_twice_is_fine(seedctl_env: dict[str, str], tmp_path: Path) -> None:
    """A second ``schema create`` exits 0, creates nothing and says so."""
    assert seedctl("schema", "create", env=seedctl_env, cwd=tmp_path).returncode == 0
    second = seedctl("schema", "create", env=seedctl_env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "all 12 okr-demo tables already exist; nothing to do" in second.stdout


def test_schema_create_refuses_a_table_of_another_shape(
    seedctl_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    """An existing table without a needed column is reported, and nothing is created."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE organizations (id uuid PRIMARY KEY, slug text)")
    result = seedctl("schema", "create", env=seedctl_env, cwd=tmp_path)
    assert result.returncode == 10  # UnknownNameError, as apply reports it
    assert "organizations lacks name, timezone" in result.stderr
    assert "seedctl never alters a table" in result.stderr
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
        assert tables == (1,)


def test_tenant_objectives_conflict_despite_null_scope(database_url: str) -> None:
    """ON CONFLICT on the objectives' natural key catches a duplicate with NULL scope columns."""
    params = ScenarioParams("puzzel-cx-demo-seed-2025", dt.date(2026, 1, 15), 1)
    with connect_engine(database_url) as engine, engine.begin() as conn:
        metadata.create_all(conn)
        rows: dict[str, list[dict[str, object]]] = {}
        for c in OKR_DEMO.generate(params):
            if c.entity in ("organization", "user", "cycle", "strategic_pillar", "objective"):
                rows.setdefault(c.table, []).append(dict(c.values))
        for table in ("organizations", "users", "cycles", "strategic_pillars"):
            conn.execute(metadata.tables[table].insert(), rows[table])
        tenant_objective = next(r for r in rows["objectives"] if r["scope_type"] == "tenant")
        again = {**tenant_objective, "id": "00000000-0000-4000-8000-000000000001", "status": "DONE"}
        statement = insert(OBJECTIVES).on_conflict_do_nothing(
            index_elements=NATURAL_KEYS["objectives"]
        )
        statement = statement.returning(OBJECTIVES.c.id)
        assert conn.execute(statement, tenant_objective).all() == [(tenant_objective["id"],)]
        assert conn.execute(statement, again).all() == []
        assert conn.execute(sa.select(sa.func.count()).select_from(OBJECTIVES)).scalar_one() == 1


def test_the_catalog_gives_apply_column_types_and_self_references(database_url: str) -> None:
    """Binary COPY picks encoders by these types; the dispatcher never writes two batches of
    a self-referencing table at once. Both come from the database, not the metadata."""
    with connect_engine(database_url) as engine, engine.begin() as conn:
        metadata.create_all(conn)
        conn.exec_driver_sql("ALTER TABLE teams ADD COLUMN parent_id uuid REFERENCES teams (id)")
        found = read_target(conn, OKR_DEMO)
    assert found.missing_tables == []
    assert sorted(found.tables) == sorted(TABLES)
    assert found.self_referencing == {"users", "teams"}
    assert found.column_types["check_ins"]["checked_in_at"] == "timestamptz"
    assert found.column_types["key_results"]["target_value"] == "numeric"
    assert found.column_types["users"]["id"] == "uuid"
    users = found.tables["users"]
    assert users.schema == "public"
    assert users.primary_key == ("id",)
    assert users.id_keyed
    assert ("email",) in users.unique_keys
    assert users.is_unique_key(["email"])
    assert not users.is_unique_key(["name"])
    assert "manager_id" in users.nullable
    assert "email" not in users.nullable
    [manager] = [fk for fk in users.foreign_keys if fk.columns == ("manager_id",)]
    assert (manager.ref_schema, manager.ref_table, manager.ref_columns) == (
        "public",
        "users",
        ("id",),
    )
    objectives = found.tables["objectives"]
    assert objectives.is_unique_key(NATURAL_KEYS["objectives"])


def test_the_catalog_lists_missing_tables_without_raising(database_url: str) -> None:
    """Plan needs the missing tables named, not an error: read_target lists them."""
    with connect_engine(database_url) as engine, engine.connect() as conn:
        found = read_target(conn, OKR_DEMO)
    assert found.tables == {}
    assert sorted(found.missing_tables) == sorted(f"public.{t}" for t in TABLES)
