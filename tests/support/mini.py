"""A tiny two-tenant scenario for applier tests: organisations, users with a manager
chain and an insert-only password column, and memberships that update nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import sqlalchemy as sa
from seedctl.engine.scenarios import ScenarioParams, register_scenario
from seedctl.ledger import Command, LogHeader, append_commands
from sqlalchemy.dialects.postgresql import UUID

NS = uuid.UUID("00000000-0000-5000-8000-00000000beef")

metadata = sa.MetaData()
orgs = sa.Table(
    "mini_orgs",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
)
people = sa.Table(
    "mini_people",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("org_id", UUID, sa.ForeignKey("mini_orgs.id"), nullable=False),
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("manager_id", UUID, sa.ForeignKey("mini_people.id")),
    sa.Column("password_hash", sa.Text),
    sa.Column("last_seen", sa.Date),
)
memberships = sa.Table(
    "mini_memberships",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("person_id", UUID, sa.ForeignKey("mini_people.id"), nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("person_id", "role"),
)


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NS, ":".join(parts)))


class MiniScenario:
    """``scale`` people per tenant; ``as_of`` moves every person's last_seen date."""

    name = "mini"
    version = "mini/1"
    name_format = "Person {}"
    lead_every = 10
    metadata = metadata
    entity_tables: Mapping[str, str] = {
        "org": "mini_orgs",
        "person": "mini_people",
        "membership": "mini_memberships",
    }

    def tenant(self, params: ScenarioParams) -> str:
        return params.seed

    def generate(self, params: ScenarioParams) -> Iterator[Command]:
        slug = params.seed
        org_id = _id("org", slug)
        yield Command(
            op="upsert",
            entity="org",
            table="mini_orgs",
            id=org_id,
            key=slug,
            values={"id": org_id, "slug": slug, "name": slug.title()},
            conflict=("slug",),
        )
        person_ids = []
        for i in range(params.scale):
            email = f"p{i}@{slug}.test"
            pid = _id("person", email)
            manager = person_ids[(i - 1) // 2] if i else None
            person_ids.append(pid)
            seen = params.as_of - dt.timedelta(days=i % 7)
            yield Command(
                op="upsert",
                entity="person",
                table="mini_people",
                id=pid,
                key=email,
                values={
                    "id": pid,
                    "org_id": org_id,
                    "email": email,
                    "name": self.name_format.format(i),
                    "manager_id": manager,
                    "password_hash": f"hash-of-{email}",
                    "last_seen": seen.isoformat(),
                },
                conflict=("email",),
                insert_only=("password_hash",),
            )
        for i, pid in enumerate(person_ids):
            role = "lead" if i % self.lead_every == 0 else "member"
            mid = _id("membership", pid, role)
            yield Command(
                op="upsert",
                entity="membership",
                table="mini_memberships",
                id=mid,
                key=f"{pid}:{role}",
                values={"id": mid, "person_id": pid, "role": role, "note": "seeded"},
                conflict=("person_id", "role"),
                insert_only=("note",),
            )

    def expected_counts(self, params: ScenarioParams) -> Mapping[str, int]:
        return {"org": 1, "person": params.scale, "membership": params.scale}


class MiniScenarioV2(MiniScenario):
    """The next version of ``mini``: people are named otherwise (updates) and every fifth
    is a lead (memberships whose natural key changes: removals and new rows)."""

    version = "mini/2"
    name_format = "Person no. {}"
    lead_every = 5


MINI = MiniScenario()
MINI_V2 = MiniScenarioV2()
register_scenario(MINI)

TABLES = ["mini_orgs", "mini_people", "mini_memberships"]


def make_log(
    path: Path, *, scale: int = 30, as_of: dt.date = dt.date(2026, 1, 1), seed: str = "acme"
) -> Path:
    """Generate (or append to) a mini log; the header keeps the first generation's params."""
    params = ScenarioParams(seed=seed, as_of=as_of, scale=scale)
    header = LogHeader(
        scenario="mini", tenant=seed, params=params.as_header(), generator=MINI.version
    )
    append_commands(path, header, MINI.generate(params))
    return path
