"""Does the database hold the tables and columns the scenario's schema needs? Read-only."""

from __future__ import annotations

import sqlalchemy as sa

from ledger.errors import UnknownNameError

__all__ = ["check_target_schema"]


def check_target_schema(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """Raise naming every missing table or column, so apply fails before its first write."""
    problems: list[str] = []
    for table in metadata.sorted_tables:
        schema = table.schema or "public"
        rows = conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = :s AND table_name = :t"
            ),
            {"s": schema, "t": table.name},
        ).scalars()
        present = set(rows)
        if not present:
            problems.append(f"table {schema}.{table.name} is missing")
            continue
        problems.extend(
            f"column {schema}.{table.name}.{c.name} is missing"
            for c in table.columns
            if c.name not in present
        )
    if problems:
        raise UnknownNameError(
            "the database does not have the scenario's target schema ("
            + "; ".join(problems[:5])
            + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            + "). Run `seedctl schema create`, or pass --create-schema."
        )
