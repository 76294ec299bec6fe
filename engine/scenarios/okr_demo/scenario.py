"""The OKR demo scenario: the client's tenant ``puzzel-cx-demo``, deterministic at any scale.

``generate`` streams commands in chunks of CHUNK_BLOCKS scale blocks; inside a chunk,
entity by entity in the spec's dependency order (section 9, objective-key-result
links after key results), so parents always precede children and up to scale 16 the
whole stream is in entity order. A chunk's objectives are planned once and held
while their passes run; nothing is kept across chunks, so memory does not grow with
the scale. The roster is in ``okr_demo_roster``, the seeded choices in
``okr_demo_plan``, the words in ``okr_demo_catalogue`` and the tables in
``okr_demo_schema``; docs/scenario-okr-demo.md describes the result.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Final, NamedTuple

from seedctl.engine.scenarios.base import ScenarioParams
from seedctl.engine.scenarios.keyed_random import KeyedRandom, below
from seedctl.engine.scenarios.natural_ids import id_text, id_uuid
from seedctl.engine.scenarios.okr_demo.catalogue import (
    CYCLES,
    FIRST_NAMES,
    LAST_NAMES,
    PILLARS,
    TENANT_DOMAIN,
    CycleSpec,
)
from seedctl.engine.scenarios.okr_demo.choices import (
    Cycle,
    DaysBefore,
    InitiativePlan,
    KeyResultPlan,
    ObjectivePlan,
    ObjectiveSlot,
    Scope,
    check_ins,
    initiatives,
    key_results,
    objective_slots,
    plan_objective,
    value_text,
)
from seedctl.engine.scenarios.okr_demo.passwords import demo_password_hash
from seedctl.engine.scenarios.okr_demo.roster import (
    PLATFORM_EMAIL,
    ManagerChain,
    Person,
    Team,
    Tier,
    block_people,
    blocks,
    people_per_block,
    team_leads,
    team_members,
    teams_of_block,
    workspaces,
)
from seedctl.ledger import Command, JsonValue
from seedctl.ledger.ids import (
    NaturalKey,
    cycle_key,
    objective_key_result_key,
    organization_key,
    role_assignment_key,
    strategic_pillar_key,
    team_key,
    user_key,
    workspace_key,
)
from seedctl.ledger.logencode import EncodedBatch, Upsert, Upserts, encode_upserts_batches

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["DEFAULT_SEED", "ENTITY_TABLES", "OKR_DEMO", "TENANT_NAME", "TENANT_SLUG", "OkrDemo"]

TENANT_SLUG: Final = "puzzel-cx-demo"
TENANT_NAME: Final = "Puzzel CX Demo"
TENANT_TIMEZONE: Final = "Europe/London"
DEFAULT_SEED: Final = "puzzel-cx-demo-seed-2025"
TENANT_OBJECTIVES_PER_CYCLE = 3
WORKSPACE_OBJECTIVES_PER_CYCLE = 2
TEAM_OBJECTIVES_PER_CYCLE = 2
CHUNK_BLOCKS = 16
"""Blocks generated together: big enough for full 1000-row batches, small enough to hold."""

ENTITY_TABLES: Final[Mapping[str, str]] = {
    "organization": "organizations",
    "workspace": "workspaces",
    "team": "teams",
    "user": "users",
    "cycle": "cycles",
    "strategic_pillar": "strategic_pillars",
    "objective": "objectives",
    "key_result": "key_results",
    "objective_key_result": "objective_key_results",
    "initiative": "initiatives",
    "check_in": "check_ins",
    "role_assignment": "role_assignments",
}

# Conflict targets: exactly each table's natural unique constraint.
_CONFLICT: Final[Mapping[str, tuple[str, ...]]] = {
    "organization": ("slug",),
    "workspace": ("organization_id", "slug"),
    "team": ("workspace_id", "slug"),
    "user": ("email",),
    "cycle": ("organization_id", "name"),
    "strategic_pillar": ("organization_id", "name"),
    "objective": ("organization_id", "scope_type", "workspace_id", "team_id", "cycle_id", "title"),
    "key_result": ("objective_id", "title"),
    "objective_key_result": ("objective_id", "key_result_id"),
    "initiative": ("objective_id", "title"),
    "check_in": ("key_result_id", "sequence"),
    "role_assignment": ("user_id", "role", "scope_type", "scope_id"),
}
# Spec: "preserve passwordHash if exists"; role assignments update nothing.
_INSERT_ONLY: Final[Mapping[str, tuple[str, ...]]] = {
    "user": ("password_hash",),
    "role_assignment": ("organization_id",),
}


# One per entity: the fields its commands share, encoded once. A million rows then
# travel as bare (upserts, id, key, values) tuples; a Command is built only where one
# is asked for (``generate``, ``parts``), the log's bytes are written without one.
_UPSERTS: Final = {
    entity: Upserts(
        entity=entity,
        table=ENTITY_TABLES[entity],
        conflict=_CONFLICT[entity],
        insert_only=_INSERT_ONLY.get(entity, ()),
    )
    for entity in ENTITY_TABLES
}


# Per-person tier tests: on Python 3.11 ``Tier.FOUNDER`` is a descriptor call on the
# enum class each time, a noticeable cost at a hundred thousand people.
_FOUNDER, _ADMIN, _WORKSPACE_LEAD, _TEAM_LEAD = (
    Tier.FOUNDER,
    Tier.ADMIN,
    Tier.WORKSPACE_LEAD,
    Tier.TEAM_LEAD,
)


def _row(entity: str, key: NaturalKey, values: dict[str, JsonValue], *, id_: str) -> Upsert:
    return _UPSERTS[entity], id_, key.text, values


def _commands(section: Callable[[], Iterator[Upsert]]) -> Iterator[Command]:
    """A section's rows as the commands they stand for."""
    for upserts, id_, key, values in section():
        yield upserts.command(id_, key, values)


def _encoded(section: Callable[[], Iterator[Upsert]]) -> Iterator[EncodedBatch]:
    """A section's rows encoded for the log, without building their commands."""
    return encode_upserts_batches(section())


@lru_cache(maxsize=8192)
def _user_uuid(email: str) -> uuid.UUID:
    return id_uuid(user_key(email))


@lru_cache(maxsize=8192)
def _user_id(email: str) -> str:
    return str(_user_uuid(email))


class _Bundle(NamedTuple):
    """One objective with everything below it, planned once per chunk."""

    slot: ObjectiveSlot
    plan: ObjectivePlan
    key_results: list[tuple[KeyResultPlan, uuid.UUID]]
    initiatives: list[InitiativePlan]


class _Generation:
    """One run's fixed ids and the passes that stream its commands."""

    def __init__(self, params: ScenarioParams) -> None:
        if params.scale < 1:
            raise ValueError("scale must be at least 1")
        self.params = params
        self.rng = KeyedRandom(params.seed)
        self.calendar = DaysBefore(params.as_of)
        self.chain = ManagerChain(self.rng)
        self.org_key = organization_key(TENANT_SLUG)
        self.org_uuid = id_uuid(self.org_key)
        self.org_id = str(self.org_uuid)
        self.workspace_keys = [workspace_key(self.org_uuid, ws.slug) for ws in workspaces()]
        self.workspace_uuids = [id_uuid(k) for k in self.workspace_keys]
        self.cycles = tuple(self._cycle(spec) for spec in CYCLES)
        self.pillar_keys = [strategic_pillar_key(self.org_uuid, p.name) for p in PILLARS]
        self.pillar_ids = [id_text(k) for k in self.pillar_keys]

    def _cycle(self, spec: CycleSpec) -> Cycle:
        key = cycle_key(self.org_uuid, spec.name)
        uid = id_uuid(key)
        return Cycle(
            spec, uid, str(uid), dt.date.fromisoformat(spec.start), dt.date.fromisoformat(spec.end)
        )

    def team_uuid(self, team: Team) -> uuid.UUID:
        return id_uuid(team_key(self.workspace_uuids[team.workspace.position], team.slug))

    def chunks(self) -> Iterator[range]:
        """Consecutive runs of at most CHUNK_BLOCKS blocks."""
        last = self.params.scale + 1
        for first in range(1, last, CHUNK_BLOCKS):
            yield range(first, min(first + CHUNK_BLOCKS, last))

    def sections(self) -> list[Callable[[], Iterator[Upsert]]]:
        """The stream in independent pieces, in order: per chunk, its frame, plans and roles.

        Each piece recomputes what it needs from the keyed draws, so pieces can run in
        any process in any order; chained in order they are exactly ``commands()``.
        """
        return [
            partial(section, chunk)
            for chunk in self.chunks()
            for section in (self.frame, self.plans, self.role_assignments)
        ]

    def parts(self) -> list[Callable[[], Iterator[Command]]]:
        """The sections as commands."""
        return [partial(_commands, section) for section in self.sections()]

    def encoded_parts(self) -> list[Callable[[], Iterator[EncodedBatch]]]:
        """The sections encoded for the log: ``parts`` encoded, byte for byte."""
        return [partial(_encoded, section) for section in self.sections()]

    def commands(self) -> Iterator[Command]:
        """Chunk by chunk; inside a chunk, entity by entity in dependency order."""
        for part in self.parts():
            yield from part()

    def frame(self, chunk: range) -> Iterator[Upsert]:
        """The chunk's teams and people; the first chunk also the organisation's fixtures."""
        first = chunk.start == 1
        if first:
            yield from self.organizations()
            yield from self.workspace_commands()
        yield from self.teams(chunk)
        yield from self.users(chunk)
        if first:
            yield from self.cycle_commands()
            yield from self.pillars()

    def plans(self, chunk: range) -> Iterator[Upsert]:
        """The chunk's objectives and everything below them, planned once, pass by pass."""
        bundles = [self.bundle(slot) for slot in self.slots(chunk)]
        yield from self.objectives(bundles)
        yield from self.key_results(bundles)
        yield from self.objective_key_results(bundles)
        yield from self.initiatives(bundles)
        yield from self.check_ins(bundles)

    # -- the tenant's frame: organisation, workspaces, teams, people, cycles, pillars ---

    def organizations(self) -> Iterator[Upsert]:
        yield _row(
            "organization",
            self.org_key,
            {
                "id": self.org_id,
                "slug": TENANT_SLUG,
                "name": TENANT_NAME,
                "timezone": TENANT_TIMEZONE,
            },
            id_=self.org_id,
        )

    def workspace_commands(self) -> Iterator[Upsert]:
        for ws, key, uid in zip(
            workspaces(), self.workspace_keys, self.workspace_uuids, strict=True
        ):
            id_ = str(uid)
            values: dict[str, JsonValue] = {
                "id": id_,
                "organization_id": self.org_id,
                "slug": ws.slug,
                "name": ws.spec.name,
            }
            yield _row("workspace", key, values, id_=id_)

    def teams(self, chunk: range) -> Iterator[Upsert]:
        for block in chunk:
            for team in teams_of_block(block):
                ws_uuid = self.workspace_uuids[team.workspace.position]
                key = team_key(ws_uuid, team.slug)
                id_ = id_text(key)
                values: dict[str, JsonValue] = {
                    "id": id_,
                    "workspace_id": str(ws_uuid),
                    "slug": team.slug,
                    "name": team.name,
                }
                yield _row("team", key, values, id_=id_)

    def _user(
        self, email: str, name: str, title: str, manager: str | None, *, platform: bool = False
    ) -> Upsert:
        id_ = _user_id(email)
        values: dict[str, JsonValue] = {
            "id": id_,
            "organization_id": None if platform else self.org_id,
            "email": email,
            "name": name,
            "job_title": title,
            "manager_id": None if manager is None else _user_id(manager),
            "is_superuser": platform,
            "password_hash": demo_password_hash(self.rng, email),
        }
        return _row("user", user_key(email), values, id_=id_)

    def _name(self, person: Person) -> str:
        if person.tier is _FOUNDER:
            return "Founder"  # as the spec's own upsert names the founder
        lanes = self.rng.lanes(person.email, "user.name")
        first = FIRST_NAMES[below(lanes[0], len(FIRST_NAMES))]
        return f"{first} {LAST_NAMES[below(lanes[1], len(LAST_NAMES))]}"

    def _job_title(self, person: Person) -> str:
        if person.tier is _FOUNDER:
            return "Founder & CEO"
        if person.tier is _ADMIN:
            return "Tenant Administrator"
        if person.tier is _TEAM_LEAD:
            return f"{person.home_team().name} Lead"
        workspace = person.home_workspace()
        if person.tier is _WORKSPACE_LEAD:
            return f"{workspace.spec.name} Lead"
        titles = workspace.spec.member_titles
        return titles[self.rng.below(person.email, "user.job-title", len(titles))]

    def users(self, chunk: range) -> Iterator[Upsert]:
        """The platform superuser first (no tenant, no manager), then people in rank order."""
        if chunk.start == 1:
            yield self._user(
                PLATFORM_EMAIL, "Platform Admin", "Platform Operator", None, platform=True
            )
        for ranked in self.chain.ranked(chunk):
            person = ranked.person
            yield self._user(
                person.email, self._name(person), self._job_title(person), ranked.manager_email
            )

    def cycle_commands(self) -> Iterator[Upsert]:
        for cycle in self.cycles:
            spec = cycle.spec
            values: dict[str, JsonValue] = {
                "id": cycle.id,
                "organization_id": self.org_id,
                "name": spec.name,
                "status": spec.status,
                "start_date": spec.start,
                "end_date": spec.end,
                "is_standard": True,
            }
            yield _row("cycle", cycle_key(self.org_uuid, spec.name), values, id_=cycle.id)

    def pillars(self) -> Iterator[Upsert]:
        for pillar, key, id_ in zip(PILLARS, self.pillar_keys, self.pillar_ids, strict=True):
            values: dict[str, JsonValue] = {
                "id": id_,
                "organization_id": self.org_id,
                "name": pillar.name,
                "description": pillar.description,
            }
            yield _row("strategic_pillar", key, values, id_=id_)

    # -- objectives and everything below them --------------------------------------------

    def scopes(self, chunk: range) -> Iterator[Scope]:
        """Tenant and workspaces (first chunk only), then each team of the chunk's blocks."""
        if chunk.start == 1:
            top = block_people(1)
            founder_and_admins = [p.email for p in top if p.tier in (Tier.FOUNDER, Tier.ADMIN)]
            ws_leads = {
                ws.slug: [
                    p.email for p in top if p.tier is Tier.WORKSPACE_LEAD and p.workspace == ws
                ]
                for ws in workspaces()
            }
            all_ws_leads = [e for ws in workspaces() for e in ws_leads[ws.slug]]
            yield Scope(
                scope_type="tenant",
                scope_uuid=None,
                workspace_id=None,
                team_id=None,
                domain=TENANT_DOMAIN,
                per_cycle=TENANT_OBJECTIVES_PER_CYCLE,
                owners=tuple(_user_id(e) for e in founder_and_admins),
                contributors=tuple(_user_id(e) for e in (*founder_and_admins, *all_ws_leads)),
            )
            base_teams = teams_of_block(1)
            for ws, uid in zip(workspaces(), self.workspace_uuids, strict=True):
                leads = ws_leads[ws.slug]
                team_lead_emails = [
                    e for t in base_teams if t.workspace == ws for e in team_leads(t)
                ]
                yield Scope(
                    scope_type="workspace",
                    scope_uuid=uid,
                    workspace_id=str(uid),
                    team_id=None,
                    domain=ws.spec.domain,
                    per_cycle=WORKSPACE_OBJECTIVES_PER_CYCLE,
                    owners=tuple(_user_id(e) for e in leads),
                    contributors=tuple(_user_id(e) for e in (*leads, *team_lead_emails)),
                )
        for block in chunk:
            for team in teams_of_block(block):
                leads = team_leads(team)
                uid = self.team_uuid(team)
                yield Scope(
                    scope_type="team",
                    scope_uuid=uid,
                    workspace_id=str(self.workspace_uuids[team.workspace.position]),
                    team_id=str(uid),
                    domain=team.workspace.spec.domain,
                    per_cycle=TEAM_OBJECTIVES_PER_CYCLE,
                    owners=tuple(_user_id(e) for e in leads),
                    contributors=tuple(_user_id(e) for e in (*leads, *team_members(team))),
                )

    def slots(self, chunk: range) -> Iterator[ObjectiveSlot]:
        for scope in self.scopes(chunk):
            yield from objective_slots(self.rng, self.org_uuid, scope, self.cycles)

    def bundle(self, slot: ObjectiveSlot) -> _Bundle:
        krs = key_results(self.rng, slot)
        return _Bundle(
            slot,
            plan_objective(self.rng, slot, krs),
            [(kr, id_uuid(kr.key)) for kr in krs],
            initiatives(self.rng, slot),
        )

    def objectives(self, bundles: list[_Bundle]) -> Iterator[Upsert]:
        org_id = self.org_id
        for slot, plan, _, _ in bundles:
            scope = slot.scope
            values: dict[str, JsonValue] = {
                "id": slot.id,
                "organization_id": org_id,
                "scope_type": scope.scope_type,
                "workspace_id": scope.workspace_id,
                "team_id": scope.team_id,
                "cycle_id": slot.cycle.id,
                "pillar_id": self.pillar_ids[plan.pillar],
                "owner_id": plan.owner_id,
                "title": slot.title,
                "status": plan.status,
                "progress": plan.progress,
                "start_date": plan.start.isoformat(),
                "end_date": plan.end.isoformat(),
            }
            yield _row("objective", slot.key, values, id_=slot.id)

    def key_results(self, bundles: list[_Bundle]) -> Iterator[Upsert]:
        upserts = _UPSERTS["key_result"]
        for slot, _, krs, _ in bundles:
            for kr, kr_uuid in krs:
                id_ = str(kr_uuid)
                values: dict[str, JsonValue] = {
                    "id": id_,
                    "objective_id": slot.id,
                    "cycle_id": slot.cycle.id,
                    "owner_id": kr.owner_id,
                    "title": kr.title,
                    "unit": kr.unit,
                    "start_value": str(kr.start),
                    "target_value": str(kr.target),
                    "current_value": value_text(kr, kr.progress),
                    "progress": kr.progress,
                    "status": kr.status,
                }
                yield upserts, id_, kr.key.text, values

    def objective_key_results(self, bundles: list[_Bundle]) -> Iterator[Upsert]:
        upserts = _UPSERTS["objective_key_result"]
        for slot, _, krs, _ in bundles:
            for _, kr_uuid in krs:
                key = objective_key_result_key(slot.uuid, kr_uuid)
                id_ = id_text(key)
                values: dict[str, JsonValue] = {
                    "id": id_,
                    "objective_id": slot.id,
                    "key_result_id": str(kr_uuid),
                }
                yield upserts, id_, key.text, values

    def initiatives(self, bundles: list[_Bundle]) -> Iterator[Upsert]:
        upserts = _UPSERTS["initiative"]
        for slot, _, _, planned in bundles:
            for initiative in planned:
                id_ = id_text(initiative.key)
                values: dict[str, JsonValue] = {
                    "id": id_,
                    "objective_id": slot.id,
                    "owner_id": initiative.owner_id,
                    "title": initiative.title,
                    "status": initiative.status,
                    "due_date": initiative.due.isoformat(),
                }
                yield upserts, id_, initiative.key.text, values

    def check_ins(self, bundles: list[_Bundle]) -> Iterator[Upsert]:
        """The only pass that reads as_of: check-in dates count back from it."""
        upserts = _UPSERTS["check_in"]
        for slot, _, krs, _ in bundles:
            if not slot.cycle.active:
                continue
            for kr, kr_uuid in krs:
                kr_id = str(kr_uuid)
                for check_in in check_ins(self.rng, kr, kr_uuid, self.calendar):
                    id_ = id_text(check_in.key)
                    values: dict[str, JsonValue] = {
                        "id": id_,
                        "key_result_id": kr_id,
                        "sequence": check_in.sequence,
                        "author_id": kr.owner_id,
                        "check_in_date": check_in.date,
                        "checked_in_at": check_in.at,
                        "value": value_text(kr, check_in.progress),
                        "progress": check_in.progress,
                        "confidence": check_in.confidence,
                        "note": check_in.note,
                    }
                    yield upserts, id_, check_in.key.text, values

    def _role(self, email: str, role: str, scope_type: str, scope: uuid.UUID) -> Upsert:
        key = role_assignment_key(_user_uuid(email), role, scope_type, scope)
        id_ = id_text(key)
        values: dict[str, JsonValue] = {
            "id": id_,
            "organization_id": self.org_id,
            "user_id": _user_id(email),
            "role": role,
            "scope_type": scope_type,
            "scope_id": str(scope),
        }
        return _UPSERTS["role_assignment"], id_, key.text, values

    def role_assignments(self, chunk: range) -> Iterator[Upsert]:
        """Founder owns the tenant, admins administer it, leads lead; members belong twice."""
        for block in chunk:
            team_uuids = {team.slug: self.team_uuid(team) for team in teams_of_block(block)}
            for person in block_people(block):
                email = person.email
                if person.tier is _FOUNDER:
                    yield self._role(email, "TENANT_OWNER", "TENANT", self.org_uuid)
                elif person.tier is _ADMIN:
                    yield self._role(email, "TENANT_ADMIN", "TENANT", self.org_uuid)
                elif person.tier is _WORKSPACE_LEAD:
                    ws_uuid = self.workspace_uuids[person.home_workspace().position]
                    yield self._role(email, "WORKSPACE_LEAD", "WORKSPACE", ws_uuid)
                elif person.tier is _TEAM_LEAD:
                    team_uuid = team_uuids[person.home_team().slug]
                    yield self._role(email, "TEAM_LEAD", "TEAM", team_uuid)
                else:
                    ws_uuid = self.workspace_uuids[person.home_workspace().position]
                    team_uuid = team_uuids[person.home_team().slug]
                    yield self._role(email, "WORKSPACE_MEMBER", "WORKSPACE", ws_uuid)
                    yield self._role(email, "TEAM_MEMBER", "TEAM", team_uuid)

    # -- counts without building commands ------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per entity, from the same plans ``commands`` uses, without building commands."""
        scale = self.params.scale
        people = sum(people_per_block(b) for b in blocks(scale))
        members = sum(ws.spec.members for ws in workspaces()) * scale
        counts: Counter[str] = Counter(
            organization=1,
            workspace=len(workspaces()),
            team=sum(len(teams_of_block(b)) for b in blocks(scale)),
            user=people + 1,  # and the platform superuser
            cycle=len(self.cycles),
            strategic_pillar=len(PILLARS),
            role_assignment=people + members,  # members hold a workspace and a team role
        )
        for chunk in self.chunks():
            for slot in self.slots(chunk):
                krs = key_results(self.rng, slot)
                counts["objective"] += 1
                counts["key_result"] += len(krs)
                counts["objective_key_result"] += len(krs)
                counts["check_in"] += sum(kr.check_ins for kr in krs)
                counts["initiative"] += len(initiatives(self.rng, slot))
        return {entity: counts[entity] for entity in ENTITY_TABLES}


class OkrDemo:
    """The ``okr-demo`` scenario (see the module docstring and docs/scenario-okr-demo.md)."""

    name = "okr-demo"
    version = "okr-demo/1"
    """Bump whenever any command of any (seed, as_of, scale) changes: the golden test pins it."""
    default_seed = DEFAULT_SEED
    entity_tables: Mapping[str, str] = ENTITY_TABLES

    @property
    def metadata(self) -> sa.MetaData:
        """The demo's tables (``okr_demo_schema``), imported when first asked for: a
        quarter of a second of SQLAlchemy that generating a log never needs."""
        from seedctl.engine.scenarios.okr_demo.schema import metadata

        return metadata

    def tenant(self, params: ScenarioParams) -> str:
        """Always the client's tenant slug, whatever the seed or scale."""
        return TENANT_SLUG

    def generate(self, params: ScenarioParams) -> Iterator[Command]:
        """Stream every command in dependency order. Pure: no I/O, no clock, no global state."""
        return _Generation(params).commands()

    def parts(self, params: ScenarioParams) -> Sequence[Callable[[], Iterator[Command]]]:
        """``generate`` in independent pieces, for worker processes; chained in order, equal."""
        return _Generation(params).parts()

    def encoded_parts(
        self, params: ScenarioParams
    ) -> Sequence[Callable[[], Iterator[EncodedBatch]]]:
        """``parts`` encoded for the log, without building a Command per row."""
        return _Generation(params).encoded_parts()

    def expected_counts(self, params: ScenarioParams) -> Mapping[str, int]:
        """Rows per entity a full apply leaves; walks the plan without building commands."""
        return _Generation(params).counts()


OKR_DEMO: Final = OkrDemo()
