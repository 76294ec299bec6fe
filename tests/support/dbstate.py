"""Helpers to read a database's whole state for equality checks in tests."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import sql


def dump_tables(url: str, tables: list[str]) -> dict[str, list[Any]]:
    """Every row of every table, as JSON, in id order."""
    out: dict[str, list[Any]] = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
            if not exists or not exists[0]:
                out[table] = []
                continue
            rows = conn.execute(
                sql.SQL("SELECT to_jsonb(t)::text FROM {} t ORDER BY id").format(
                    sql.Identifier(table)
                )
            ).fetchall()
            out[table] = [json.loads(r[0]) for r in rows]
    return out


def dump_ledger(url: str) -> list[tuple[Any, ...]]:
    """The ledger minus what legitimately differs between runs (run ids, times)."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT tenant, command_hash, seq, entity, table_name, row_id::text, outcome, "
            "before::text, after::text FROM seedctl.applied ORDER BY tenant, seq"
        ).fetchall()


def row_versions(url: str, tables: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(id, xmin) of every row: any write to a row changes its xmin."""
    out = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            out[table] = conn.execute(
                sql.SQL("SELECT id::text, xmin::text FROM {} ORDER BY id").format(
                    sql.Identifier(table)
                )
            ).fetchall()
    return out
