"""Least privilege: a role with DML rights on an existing ledger and target applies and
reverts; a role without them gets one line naming the privilege and the statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import sql
from seedctl.engine.db import sqlalchemy_url
from seedctl.engine.scenarios import get_scenario
from seedctl.engine.target import create_target_schema
from seedctl.ledger import store
from sqlalchemy.engine import make_url

from tests.support.cli import seedctl
from tests.support.okr_log import okr_log


def _as_role(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture
def role(database_url: str) -> Iterator[str]:
    """A login role of this test alone, dropped (with its grants) at the end."""
    name = f"seedctl_role_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def _prepared(database_url: str, tmp_path: Path) -> Path:
    """The admin's part: the target tables and an empty ledger exist; return the log."""
    create_target_schema(database_url, get_scenario("okr-demo"))
    engine = sa.create_engine(sqlalchemy_url(database_url), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        store.ensure_ledger(conn)
    engine.dispose()
    return okr_log(tmp_path / "L")


def _grant(database_url: str, role: str, privileges: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for schema in ("public", "seedctl"):
            names = {"schema": sql.Identifier(schema), "role": sql.Identifier(role)}
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {schema} TO {role}").format(**names))
            conn.execute(
                sql.SQL("GRANT {privileges} ON ALL TABLES IN SCHEMA {schema} TO {role}").format(
                    privileges=sql.SQL(privileges), **names
                )
            )


def _users(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM users").fetchone()
    assert row is not None
    return int(row[0])


def test_a_role_with_dml_rights_on_an_existing_ledger_applies_and_reverts(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path, role: str
) -> None:
    """SELECT, INSERT, UPDATE, DELETE on the target and seedctl schemas suffice: no DDL runs."""
    log = _prepared(database_url, tmp_path)
    _grant(database_url, role, "SELECT, INSERT, UPDATE, DELETE")
    env = {**seedctl_env, "SEEDCTL_DATABASE_URL": _as_role(database_url, role)}
    applied = seedctl("apply", "--log", str(log), env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert _users(database_url) == 200
    again = seedctl("apply", "--log", str(log), env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "nothing to apply" in again.stdout
    reverted = seedctl("revert", "--log", str(log), env=env, cwd=tmp_path)
    assert reverted.returncode == 0, reverted.stderr
    assert _users(database_url) == 0


def test_a_read_only_role_gets_one_line_naming_the_privilege_and_statement(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path, role: str
) -> None:
    """A role with SELECT only: apply exits 4 with one error line, no traceback, nothing written."""
    log = _prepared(database_url, tmp_path)
    _grant(database_url, role, "SELECT")
    env = {**seedctl_env, "SEEDCTL_DATABASE_URL": _as_role(database_url, role)}
    result = seedctl("apply", "--log", str(log), env=env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (4, "")
    assert "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if not line.startswith("target: ")]
    assert error.startswith("error: apply: ledger and target tables: permission denied ")
    assert ": the role needs UPDATE for: UPDATE seedctl.runs SET status=" in result.stderr
    assert _users(database_url) == 0


def test_a_role_without_create_cannot_make_the_ledger_and_is_told_so(
    database_url: str, seedctl_env: dict[str, str], tmp_path: Path, role: str
) -> None:
    """No ledger yet and no CREATE on the database: exit 4 naming CREATE and the statement."""
    log = okr_log(tmp_path / "L")
    create_target_schema(database_url, get_scenario("okr-demo"))
    with psycopg.connect(database_url, autocommit=True) as conn:
        database = conn.info.dbname
        conn.execute(
            sql.SQL("REVOKE CREATE ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
    env = {**seedctl_env, "SEEDCTL_DATABASE_URL": _as_role(database_url, role)}
    result = seedctl("apply", "--log", str(log), env=env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (4, "")
    assert "Traceback" not in result.stderr
    assert ": the role needs CREATE for: CREATE SCHEMA IF NOT EXISTS seedctl" in result.stderr
