"""Who works at the demo tenant: teams and people per scale step, and the manager chain.

Scale ``N`` is ``N`` *blocks*. Block 1 is the spec's tenant: the founder, 5 admins,
3 leads per workspace, the 12 base teams with 2 leads each and 154 members. Every
further block adds the same 12 teams again as pods (``Enterprise Sales Pod 2``),
their 24 leads and 154 more members, numbered on from the last block
(``member-sales-51`` ...). Nothing here depends on the scale except how many blocks
there are, so a larger scale only ever adds people.

Ranks (spec section 5, reconciled): the spec sorts by email yet puts the founder
first. People are ranked by block, then role tier (founder, admins, workspace leads,
team leads, members), then email. At scale 1 that is "tier, then email"; at larger
scales each block follows the last, so nobody's rank moves when blocks are added.
The chain then applies the spec's shape to the ranks: 1 without manager, the next 5
report to rank 1, the next 15 round-robin to those 5, the next 24 round-robin to
those 15, everyone after round-robin to those 24. The rotation order of each pool
is a keyed shuffle, the seeded part of the spec's "manager chain assignments".
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum
from typing import NamedTuple

from seedctl.engine.scenarios.keyed_random import KeyedRandom
from seedctl.engine.scenarios.okr_demo.catalogue import WORKSPACES, WorkspaceSpec
from seedctl.ledger import slugify

__all__ = [
    "ADMINS",
    "CHAIN_TIERS",
    "EMAIL_DOMAIN",
    "FOUNDER_EMAIL",
    "PLATFORM_EMAIL",
    "TEAM_LEADS_PER_TEAM",
    "WORKSPACE_LEADS_PER_WORKSPACE",
    "ManagerChain",
    "Person",
    "RankedPerson",
    "Team",
    "Tier",
    "Workspace",
    "block_people",
    "blocks",
    "first_rank",
    "people_per_block",
    "team_leads",
    "team_members",
    "teams_of_block",
    "workspaces",
]

EMAIL_DOMAIN = "puzzelcx.local"
FOUNDER_EMAIL = f"founder@{EMAIL_DOMAIN}"
PLATFORM_EMAIL = f"platform@{EMAIL_DOMAIN}"
ADMINS = 5
WORKSPACE_LEADS_PER_WORKSPACE = 3
TEAM_LEADS_PER_TEAM = 2
CHAIN_TIERS = (1, 5, 15, 24)
"""Spec section 5: sizes of the ranked groups that have reports; the rest report to the last."""


class Tier(IntEnum):
    """Role tiers, in rank order."""

    FOUNDER = 0
    ADMIN = 1
    WORKSPACE_LEAD = 2
    TEAM_LEAD = 3
    MEMBER = 4


class Workspace(NamedTuple):
    position: int
    slug: str
    spec: WorkspaceSpec


class Team(NamedTuple):
    """A team of one block: the base team in block 1, its pod in later blocks."""

    workspace: Workspace
    position: int
    """Position among its workspace's teams."""
    block: int
    slug: str
    name: str


class Person(NamedTuple):
    email: str
    tier: Tier
    workspace: Workspace | None
    """None for the founder and the admins."""
    team: Team | None
    """Set for team leads and members."""

    def home_workspace(self) -> Workspace:
        """The workspace of a lead or member; an error for the founder and admins."""
        if self.workspace is None:
            raise ValueError(f"{self.email} belongs to no workspace")
        return self.workspace

    def home_team(self) -> Team:
        """The team of a team lead or member; an error for everyone else."""
        if self.team is None:
            raise ValueError(f"{self.email} belongs to no team")
        return self.team


class RankedPerson(NamedTuple):
    rank: int
    """1-based position in the chain's order."""
    person: Person
    manager_email: str | None


_WORKSPACES = tuple(Workspace(i, slugify(spec.name), spec) for i, spec in enumerate(WORKSPACES))


def workspaces() -> tuple[Workspace, ...]:
    """The five departments, in catalogue order."""
    return _WORKSPACES


def blocks(scale: int) -> range:
    """Block numbers for a scale: 1 to ``scale``."""
    return range(1, scale + 1)


def _team_name(base: str, block: int) -> str:
    return base if block == 1 else f"{base} Pod {block}"


def teams_of_block(block: int) -> list[Team]:
    """The 12 teams a block adds, workspace by workspace in catalogue order."""
    result = []
    for ws in _WORKSPACES:
        for index, base in enumerate(ws.spec.teams):
            name = _team_name(base, block)
            result.append(Team(ws, index, block, slugify(name), name))
    return result


def team_leads(team: Team) -> list[str]:
    """``team-lead-<team>-1`` and ``-2``."""
    return [f"team-lead-{team.slug}-{n}@{EMAIL_DOMAIN}" for n in range(1, TEAM_LEADS_PER_TEAM + 1)]


def _member_numbers(ws: Workspace, team: Team) -> range:
    """A team's members: its block's members of the workspace, dealt round the teams."""
    per_block = ws.spec.members
    first = (team.block - 1) * per_block + 1
    return range(first + team.position, first + per_block, len(ws.spec.teams))


def team_members(team: Team) -> list[str]:
    """Emails of a team's members, in member-number order."""
    ws = team.workspace
    return [f"member-{ws.slug}-{n}@{EMAIL_DOMAIN}" for n in _member_numbers(ws, team)]


def people_per_block(block: int) -> int:
    """How many tenant people a block holds (block 1 also the founder, admins, leads)."""
    teams = sum(len(ws.spec.teams) for ws in _WORKSPACES)
    per_block = teams * TEAM_LEADS_PER_TEAM + sum(ws.spec.members for ws in _WORKSPACES)
    if block == 1:
        per_block += 1 + ADMINS + len(_WORKSPACES) * WORKSPACE_LEADS_PER_WORKSPACE
    return per_block


def block_people(block: int) -> list[Person]:
    """A block's tenant people in rank order: tier, then email."""
    people: list[Person] = []
    if block == 1:
        people.append(Person(FOUNDER_EMAIL, Tier.FOUNDER, None, None))
        people.extend(
            Person(f"admin{n}@{EMAIL_DOMAIN}", Tier.ADMIN, None, None) for n in range(1, ADMINS + 1)
        )
        people.extend(
            Person(f"workspace-lead-{ws.slug}-{n}@{EMAIL_DOMAIN}", Tier.WORKSPACE_LEAD, ws, None)
            for ws in _WORKSPACES
            for n in range(1, WORKSPACE_LEADS_PER_WORKSPACE + 1)
        )
    for team in teams_of_block(block):
        people.extend(Person(e, Tier.TEAM_LEAD, team.workspace, team) for e in team_leads(team))
        people.extend(Person(e, Tier.MEMBER, team.workspace, team) for e in team_members(team))
    people.sort(key=lambda p: (p.tier, p.email))
    return people


class ManagerChain:
    """Spec section 5's chain over the ranked people of any scale."""

    def __init__(self, rng: KeyedRandom) -> None:
        top = block_people(1)[: sum(CHAIN_TIERS)]
        self._pools: list[list[str]] = []
        start = 0
        for size in CHAIN_TIERS:
            group = top[start : start + size]
            expected = Tier(len(self._pools))
            if any(p.tier is not expected for p in group):
                raise AssertionError(f"the roster's {expected.name} tier is not {size} people")
            self._pools.append(rng.shuffled([p.email for p in group], "user.manager-rotation"))
            start += size
        self._tier_starts = tuple(sum(CHAIN_TIERS[:i]) + 1 for i in range(len(CHAIN_TIERS) + 1))

    def manager(self, rank: int) -> str | None:
        """The email of the manager of the person at ``rank`` (1-based); None for rank 1."""
        if rank == 1:
            return None
        # The last group whose first rank is <= rank is where the person sits; they
        # report round-robin to the group before it, the "rest" to the last pool.
        level = min(sum(1 for first in self._tier_starts if first <= rank) - 1, len(self._pools))
        pool = self._pools[level - 1]
        return pool[(rank - self._tier_starts[level]) % len(pool)]

    def ranked(self, block_numbers: range) -> Iterator[RankedPerson]:
        """The people of consecutive blocks, in rank order, with their manager's email."""
        rank = first_rank(block_numbers.start) - 1
        for block in block_numbers:
            for person in block_people(block):
                rank += 1
                yield RankedPerson(rank, person, self.manager(rank))


def first_rank(block: int) -> int:
    """The rank of a block's first person: blocks after the first are all the same size."""
    if block == 1:
        return 1
    return 1 + people_per_block(1) + (block - 2) * people_per_block(2)
