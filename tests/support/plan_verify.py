"""Helpers for the plan and verify tests: mini logs, database snapshots, in-process CLI runs."""

from __future__ import annotations

import sys
from typing import Any

import psycopg
from seedctl.cli.app import main
from typer.testing import CliRunner

TABLES = ["mini_orgs", "mini_people", "mini_memberships"]


def database_snapshot(url: str) -> dict[str, Any]:
    """Everything a write could change: every relation outside the system schemas, and
    every row of every user table with its xmin (any write to a row changes its xmin)."""
    snapshot: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        relations = conn.execute(
            "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_to%' AND n.nspname NOT LIKE 'pg\\_temp%' "
            "ORDER BY 1, 2"
        ).fetchall()
        snapshot["relations"] = relations
        for schema, name, kind in relations:
            if kind != "r":
                continue
            rows = conn.execute(
                psycopg.sql.SQL("SELECT xmin::text, to_jsonb(t)::text FROM {} t").format(
                    psycopg.sql.Identifier(schema, name)
                )
            ).fetchall()
            snapshot[f"{schema}.{name}"] = sorted(rows)
    return snapshot


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run ``seedctl ARGS`` in process through the real entry point: (exit code, stdout, stderr).

    The entry point (``seedctl.cli.app.main``) is what maps a SeedctlError to its exit code,
    so it runs inside CliRunner's isolation rather than through ``CliRunner.invoke``.
    """
    runner = CliRunner()
    code: int = 0
    with runner.isolation(env={"COLUMNS": "250"}) as (out, err, _):
        try:
            main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return code, stdout, stderr
