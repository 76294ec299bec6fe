"""The OKR app's tables, as the demo tenant needs them: the target schema and allow-list.

One :class:`sqlalchemy.MetaData` in PostgreSQL's default schema (``public``). Every
table is addressed by ``id uuid`` (the UUIDv5 of its natural key) and has exactly one
natural unique constraint, which is what the scenario's commands name as their
conflict target. Types are ones PostgreSQL parses from the text of a JSON scalar:
uuid, text, date, timestamptz, integer, boolean and numeric (sent as decimal
strings). There are no server defaults or triggers that change a row on update, so
re-applying the same command finds nothing to change.

Foreign keys use PostgreSQL's default (NO ACTION): seedctl reverts children before
parents itself, and a cascade would delete rows behind the ledger's back.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

__all__ = [
    "CHECK_INS",
    "CYCLES",
    "INITIATIVES",
    "KEY_RESULTS",
    "OBJECTIVES",
    "OBJECTIVE_KEY_RESULTS",
    "ORGANIZATIONS",
    "ROLE_ASSIGNMENTS",
    "STRATEGIC_PILLARS",
    "TEAMS",
    "USERS",
    "WORKSPACES",
    "metadata",
]

# Stable constraint names, so a second `schema create` and a diff against an
# existing database see the same names every time.
metadata: Final = sa.MetaData(
    naming_convention={
        "uq": "%(table_name)s_%(column_0_N_name)s_key",
        "fk": "%(table_name)s_%(column_0_name)s_fkey",
        "ck": "%(table_name)s_%(constraint_name)s_check",
        "pk": "%(table_name)s_pkey",
        "ix": "%(table_name)s_%(column_0_N_name)s_idx",
    }
)


def _id() -> sa.Column[object]:
    return sa.Column("id", UUID(as_uuid=False), primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, UUID(as_uuid=False), sa.ForeignKey(target), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _progress() -> sa.Column[object]:
    return sa.Column("progress", sa.Integer, nullable=False)


# Metric values: up to 12 digits before the point and 2 after covers counts,
# seconds, percentages and pounds alike.
_METRIC = sa.Numeric(14, 2)

ORGANIZATIONS: Final = sa.Table(
    "organizations",
    metadata,
    _id(),
    _text("slug"),
    _text("name"),
    _text("timezone"),
    sa.UniqueConstraint("slug"),
    comment="Tenants. Natural key: slug.",
)

WORKSPACES: Final = sa.Table(
    "workspaces",
    metadata,
    _id(),
    _ref("organization_id", "organizations.id"),
    _text("slug"),
    _text("name"),
    sa.UniqueConstraint("organization_id", "slug"),
    comment="A department of a tenant. Natural key: organization_id, slug.",
)

TEAMS: Final = sa.Table(
    "teams",
    metadata,
    _id(),
    _ref("workspace_id", "workspaces.id"),
    _text("slug"),
    _text("name"),
    sa.UniqueConstraint("workspace_id", "slug"),
    comment="A team inside a workspace. Natural key: workspace_id, slug.",
)

USERS: Final = sa.Table(
    "users",
    metadata,
    _id(),
    # NULL for platform superusers, who belong to no tenant.
    _ref("organization_id", "organizations.id", nullable=True),
    _text("email"),
    _text("name"),
    _text("job_title", nullable=True),
    _ref("manager_id", "users.id", nullable=True),
    sa.Column("is_superuser", sa.Boolean, nullable=False),
    _text("password_hash"),
    sa.UniqueConstraint("email"),
    sa.CheckConstraint("manager_id <> id", name="not_own_manager"),
    comment="People. Natural key: email. password_hash is written on insert only.",
)

CYCLES: Final = sa.Table(
    "cycles",
    metadata,
    _id(),
    _ref("organization_id", "organizations.id"),
    _text("name"),
    _text("status"),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("is_standard", sa.Boolean, nullable=False),
    sa.UniqueConstraint("organization_id", "name"),
    sa.CheckConstraint("end_date >= start_date", name="dates"),
    comment="OKR periods (quarters). Natural key: organization_id, name.",
)

STRATEGIC_PILLARS: Final = sa.Table(
    "strategic_pillars",
    metadata,
    _id(),
    _ref("organization_id", "organizations.id"),
    _text("name"),
    _text("description"),
    sa.UniqueConstraint("organization_id", "name"),
    comment="Long-term themes objectives roll up to. Natural key: organization_id, name.",
)

OBJECTIVES: Final = sa.Table(
    "objectives",
    metadata,
    _id(),
    _ref("organization_id", "organizations.id"),
    _text("scope_type"),
    # Set for workspace- and team-scope objectives (a team's objective carries its
    # team's workspace too), NULL at tenant scope.
    _ref("workspace_id", "workspaces.id", nullable=True),
    _ref("team_id", "teams.id", nullable=True),
    _ref("cycle_id", "cycles.id"),
    _ref("pillar_id", "strategic_pillars.id"),
    _ref("owner_id", "users.id"),
    _text("title"),
    _text("status"),
    _progress(),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    # NULLS NOT DISTINCT (PostgreSQL 15+): two tenant objectives with the same title
    # in one cycle collide although their scope columns are NULL, so ON CONFLICT
    # can use this constraint as the natural key.
    sa.UniqueConstraint(
        "organization_id",
        "scope_type",
        "workspace_id",
        "team_id",
        "cycle_id",
        "title",
        name="objectives_natural_key",  # the generated name would pass 63 bytes
        postgresql_nulls_not_distinct=True,
    ),
    sa.CheckConstraint(
        "(scope_type = 'tenant' AND workspace_id IS NULL AND team_id IS NULL)"
        " OR (scope_type = 'workspace' AND workspace_id IS NOT NULL AND team_id IS NULL)"
        " OR (scope_type = 'team' AND workspace_id IS NOT NULL AND team_id IS NOT NULL)",
        name="scope",
    ),
    sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    comment="Objectives at tenant, workspace or team scope. Natural key: the spec's "
    "composite (organization_id, scope, cycle_id, title).",
)

KEY_RESULTS: Final = sa.Table(
    "key_results",
    metadata,
    _id(),
    _ref("objective_id", "objectives.id"),
    _ref("cycle_id", "cycles.id"),
    _ref("owner_id", "users.id"),
    _text("title"),
    _text("unit"),
    sa.Column("start_value", _METRIC, nullable=False),
    sa.Column("target_value", _METRIC, nullable=False),
    sa.Column("current_value", _METRIC, nullable=False),
    _progress(),
    _text("status"),
    sa.UniqueConstraint("objective_id", "title"),
    sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    comment="Measurable results of an objective. Natural key: objective_id, title.",
)

OBJECTIVE_KEY_RESULTS: Final = sa.Table(
    "objective_key_results",
    metadata,
    _id(),
    _ref("objective_id", "objectives.id"),
    _ref("key_result_id", "key_results.id"),
    sa.UniqueConstraint("objective_id", "key_result_id"),
    comment="Which key results count towards which objective.",
)

INITIATIVES: Final = sa.Table(
    "initiatives",
    metadata,
    _id(),
    _ref("objective_id", "objectives.id"),
    _ref("owner_id", "users.id"),
    _text("title"),
    _text("status"),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.UniqueConstraint("objective_id", "title"),
    comment="Work undertaken to move an objective. Natural key: objective_id, title.",
)

CHECK_INS: Final = sa.Table(
    "check_ins",
    metadata,
    _id(),
    _ref("key_result_id", "key_results.id"),
    sa.Column("sequence", sa.Integer, nullable=False),
    _ref("author_id", "users.id"),
    sa.Column("check_in_date", sa.Date, nullable=False),
    sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("value", _METRIC, nullable=False),
    _progress(),
    sa.Column("confidence", sa.Integer, nullable=False),
    _text("note"),
    sa.UniqueConstraint("key_result_id", "sequence"),
    sa.CheckConstraint("sequence >= 1", name="sequence"),
    sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
    sa.CheckConstraint("confidence BETWEEN 1 AND 10", name="confidence"),
    comment="Progress updates on a key result; the n-th of a key result is its natural key.",
)

ROLE_ASSIGNMENTS: Final = sa.Table(
    "role_assignments",
    metadata,
    _id(),
    # Written on insert only; kept so that every tenant row carries its tenant.
    _ref("organization_id", "organizations.id"),
    _ref("user_id", "users.id"),
    _text("role"),
    _text("scope_type"),
    # An organisation, workspace or team id depending on scope_type: no single FK.
    sa.Column("scope_id", UUID(as_uuid=False), nullable=False),
    sa.UniqueConstraint("user_id", "role", "scope_type", "scope_id"),
    comment="Who may do what where. Natural key: user_id, role, scope_type, scope_id.",
)


def _index_referencing_columns(schema: sa.MetaData) -> None:
    """Index every foreign-key column that does not already lead a key of its table.

    PostgreSQL does not index referencing columns by itself. Without these, every
    parent row that revert deletes makes the server scan each child table for
    references: quadratic in the tenant's size. Apps want them for their joins too.
    """
    for table in schema.tables.values():
        leading = {
            constraint.columns[0].name
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint)
            and len(constraint.columns)
        }
        for column in sorted({fk.parent for fk in table.foreign_keys}, key=lambda c: c.name):
            if column.name not in leading:
                sa.Index(None, column)


_index_referencing_columns(metadata)
