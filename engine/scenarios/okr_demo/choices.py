"""The OKR demo's seeded choices: objectives, key results, initiatives and check-ins.

Pure functions of keyed draws (``seedctl.engine.scenarios.keyed_random``): each plan is recomputed
from its natural key whenever a generation pass needs it, so nothing is held
between passes and memory stays flat at any scale. Only check-in *dates* read
``as_of``; every other choice is independent of it, so a later ``as_of`` changes
check-ins and nothing else.

Draws and the purposes that name them (the natural key is the entity's, unless said):

- ``objective.titles`` (scope and cycle): which catalogue objectives a scope sets.
- ``objective.plan``: how many key results (3-5), which templates, owner, pillar.
- ``objective.schedule``: start and end offsets from the cycle, initiative count
  and titles.
- ``key_result.targets`` (objective key and template): start and target values, owner.
- ``key_result.progress``: check-in pattern (recent, overdue, no progress), progress,
  number of check-ins.
- ``initiative.plan``: status, due date, owner.
- ``check_in.when``: days before the next check-in (or before ``as_of`` for the last),
  time of day, confidence, note and a small wobble in the reported value.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import NamedTuple
from zoneinfo import ZoneInfo

from seedctl.engine.scenarios.keyed_random import (
    KeyedRandom,
    below,
    between,
    cumulative,
    sample,
    weighted,
)
from seedctl.engine.scenarios.natural_ids import id_uuid
from seedctl.engine.scenarios.okr_demo.catalogue import NOTES, PILLARS, CycleSpec, Domain
from seedctl.ledger.ids import (
    NaturalKey,
    check_in_key,
    initiative_key,
    key_result_key,
    objective_key,
)

__all__ = [
    "CheckInPlan",
    "Cycle",
    "DaysBefore",
    "InitiativePlan",
    "KeyResultPlan",
    "ObjectivePlan",
    "ObjectiveSlot",
    "Scope",
    "check_ins",
    "initiatives",
    "key_results",
    "objective_slots",
    "plan_objective",
    "value_text",
]

LONDON = ZoneInfo("Europe/London")

# Check-in patterns of spec section 3: recent (last 0-7 days before as_of),
# overdue (last 14+ days ago) and no progress (14+ days ago, value never moved).
RECENT, OVERDUE, NO_PROGRESS = 0, 1, 2
_PATTERN_WEIGHTS = cumulative((55, 25, 20))
_LAST_DAYS_AGO = ((0, 7), (14, 30), (14, 45))
_CHECK_IN_COUNTS = ((3, 8), (2, 6), (1, 3))
_KR_COUNT_WEIGHTS = cumulative((35, 40, 25))  # 3, 4 or 5 key results
_INITIATIVE_COUNT_WEIGHTS = cumulative((30, 50, 20))  # 1, 2 or 3 initiatives
_INITIATIVE_STATUSES = ("NOT_STARTED", "IN_PROGRESS", "DONE", "BLOCKED")
_INITIATIVE_STATUS_WEIGHTS = cumulative((20, 45, 25, 10))


class Cycle(NamedTuple):
    spec: CycleSpec
    uuid: uuid.UUID
    id: str
    start: dt.date
    end: dt.date

    @property
    def active(self) -> bool:
        return self.spec.status == "ACTIVE"


class Scope(NamedTuple):
    """Where objectives are set, and who may own what there (user ids)."""

    scope_type: str
    scope_uuid: uuid.UUID | None
    workspace_id: str | None
    team_id: str | None
    domain: Domain
    per_cycle: int
    owners: tuple[str, ...]
    """Who owns the scope's objectives."""
    contributors: tuple[str, ...]
    """Who owns its key results and initiatives."""


class ObjectiveSlot(NamedTuple):
    scope: Scope
    cycle: Cycle
    title: str
    key: NaturalKey
    uuid: uuid.UUID
    id: str


class KeyResultPlan(NamedTuple):
    objective: ObjectiveSlot
    title: str
    key: NaturalKey
    unit: str
    start: int
    target: int
    owner_id: str
    pattern: int
    progress: int
    status: str
    check_ins: int


class ObjectivePlan(NamedTuple):
    slot: ObjectiveSlot
    owner_id: str
    pillar: int
    start: dt.date
    end: dt.date
    progress: int
    status: str


class InitiativePlan(NamedTuple):
    title: str
    key: NaturalKey
    owner_id: str
    status: str
    due: dt.date


class CheckInPlan(NamedTuple):
    sequence: int
    key: NaturalKey
    date: str
    """ISO date."""
    at: str
    """ISO timestamp with the Europe/London offset of that day."""
    progress: int
    confidence: int
    note: str


def objective_slots(
    rng: KeyedRandom, organization: uuid.UUID, scope: Scope, cycles: tuple[Cycle, ...]
) -> Iterator[ObjectiveSlot]:
    """The scope's objectives, cycle by cycle: catalogue titles chosen per (scope, cycle)."""
    titles = scope.domain.objectives
    scope_text = "" if scope.scope_uuid is None else str(scope.scope_uuid)
    for cycle in cycles:
        # The objective key without its title names the (scope, cycle) pair.
        pair = f"{organization}:{scope.scope_type}:{scope_text}:{cycle.id}"
        lane = rng.lanes(pair, "objective.titles")[0]
        for index in sample(lane, len(titles), scope.per_cycle):
            title = titles[index]
            key = objective_key(organization, scope.scope_type, scope.scope_uuid, cycle.uuid, title)
            uid = id_uuid(key)
            yield ObjectiveSlot(scope, cycle, title, key, uid, str(uid))


def _value_text(start: int, target: int, progress: int) -> str:
    """The metric ``progress`` percent of the way from start to target, one decimal place."""
    tenths = start * 10 + ((target - start) * progress * 10) // 100
    return f"{tenths // 10}.{tenths % 10}"


def value_text(plan: KeyResultPlan, progress: int) -> str:
    """A key result's metric at ``progress`` percent, as a decimal string."""
    return _value_text(plan.start, plan.target, progress)


def _kr_status(pattern: int, progress: int) -> str:
    if pattern == NO_PROGRESS:
        return "OFF_TRACK"
    if progress >= 100:
        return "COMPLETED"
    if progress >= 50:
        return "ON_TRACK"
    return "AT_RISK" if progress >= 25 else "OFF_TRACK"


def key_results(rng: KeyedRandom, slot: ObjectiveSlot) -> list[KeyResultPlan]:
    """The objective's 3 to 5 key results, each from a different catalogue template."""
    plan_lanes = rng.lanes(slot.key.text, "objective.plan")
    count = 3 + weighted(plan_lanes[0], _KR_COUNT_WEIGHTS)
    templates = slot.scope.domain.key_results
    contributors = slot.scope.contributors
    result = []
    for index in sample(plan_lanes[1], len(templates), count):
        template = templates[index]
        lanes = rng.lanes(f"{slot.key.text}:{template.title}", "key_result.targets")
        start = between(lanes[0], template.start_low, template.start_high)
        target = start + between(lanes[1], template.change_low, template.change_high)
        title = template.title.format(start=start, target=target)
        key = key_result_key(slot.uuid, title)
        owner = contributors[below(lanes[2], len(contributors))]
        if slot.cycle.active:
            shape = rng.lanes(key.text, "key_result.progress")
            pattern = weighted(shape[0], _PATTERN_WEIGHTS)
            if pattern == RECENT:
                progress = min(100, between(shape[1], 0, 60) + between(shape[2], 0, 55))
            elif pattern == OVERDUE:
                progress = between(shape[1], 0, 40) + between(shape[2], 0, 35)
            else:
                progress = 0
            low, high = _CHECK_IN_COUNTS[pattern]
            check_in_count = between(shape[3], low, high)
            status = _kr_status(pattern, progress)
        else:
            pattern, progress, check_in_count, status = NO_PROGRESS, 0, 0, "NOT_STARTED"
        result.append(
            KeyResultPlan(
                objective=slot,
                title=title,
                key=key,
                unit=template.unit,
                start=start,
                target=target,
                owner_id=owner,
                pattern=pattern,
                progress=progress,
                status=status,
                check_ins=check_in_count,
            )
        )
    return result


_PILLAR_WEIGHTS = tuple(
    cumulative(tuple(5 if i == preferred else 1 for i in range(len(PILLARS))))
    for preferred in range(len(PILLARS))
)


def plan_objective(
    rng: KeyedRandom, slot: ObjectiveSlot, krs: list[KeyResultPlan]
) -> ObjectivePlan:
    """Owner, pillar (leaning to the domain's), dates near the cycle's, progress from its KRs."""
    lanes = rng.lanes(slot.key.text, "objective.plan")
    owners = slot.scope.owners
    owner = owners[below(lanes[2], len(owners))]
    pillar = weighted(lanes[3], _PILLAR_WEIGHTS[slot.scope.domain.pillar])
    schedule = rng.lanes(slot.key.text, "objective.schedule")
    # Most objectives run the whole cycle; some start up to two weeks late or end early.
    late = below(schedule[0], 100)
    start = slot.cycle.start + dt.timedelta(days=0 if late < 60 else 1 + late % 14)
    early = below(schedule[1], 100)
    end = slot.cycle.end - dt.timedelta(days=0 if early < 70 else 1 + early % 7)
    progress = sum(kr.progress for kr in krs) // len(krs)
    if not slot.cycle.active:
        status = "NOT_STARTED"
    elif all(kr.status == "COMPLETED" for kr in krs):
        status = "COMPLETED"
    elif progress >= 50:
        status = "ON_TRACK"
    else:
        status = "AT_RISK" if progress >= 25 else "OFF_TRACK"
    return ObjectivePlan(slot, owner, pillar, start, end, progress, status)


def initiatives(rng: KeyedRandom, slot: ObjectiveSlot) -> list[InitiativePlan]:
    """One to three initiatives per objective, due inside its cycle."""
    schedule = rng.lanes(slot.key.text, "objective.schedule")
    count = 1 + weighted(schedule[2], _INITIATIVE_COUNT_WEIGHTS)
    titles = slot.scope.domain.initiatives
    contributors = slot.scope.contributors
    cycle_days = (slot.cycle.end - slot.cycle.start).days
    result = []
    for index in sample(schedule[3], len(titles), count):
        title = titles[index]
        key = initiative_key(slot.uuid, title)
        lanes = rng.lanes(key.text, "initiative.plan")
        if slot.cycle.active:
            status = _INITIATIVE_STATUSES[weighted(lanes[0], _INITIATIVE_STATUS_WEIGHTS)]
        else:
            status = "NOT_STARTED"
        due = slot.cycle.start + dt.timedelta(days=between(lanes[1], 21, cycle_days))
        owner = contributors[below(lanes[2], len(contributors))]
        result.append(InitiativePlan(title, key, owner, status, due))
    return result


class DaysBefore:
    """Dates counted back from ``as_of``, with Europe/London's offset on each; cached.

    Check-ins land on a few hundred distinct days however many there are, so each
    day's ISO text and UTC offset are worked out once.
    """

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self._days: dict[int, tuple[str, str]] = {}

    def __call__(self, days: int) -> tuple[str, str]:
        """ISO date and UTC offset of ``days`` before as_of, e.g. ``("2026-01-08", "+00:00")``."""
        found = self._days.get(days)
        if found is None:
            day = self.as_of - dt.timedelta(days=days)
            # Clocks change at 01:00 UTC, never in working hours, so noon speaks for the day.
            noon = dt.datetime.combine(day, dt.time(12), LONDON)
            found = self._days[days] = (day.isoformat(), noon.isoformat()[-6:])
        return found


def _note_kind(kr: KeyResultPlan) -> str:
    if kr.pattern == NO_PROGRESS or kr.status == "OFF_TRACK":
        return "stuck"
    if kr.pattern == OVERDUE or kr.status == "AT_RISK":
        return "worrying"
    return "good"


_CONFIDENCE = {"good": (7, 10), "worrying": (4, 7), "stuck": (1, 4)}


def check_ins(
    rng: KeyedRandom, kr: KeyResultPlan, kr_uuid: uuid.UUID, days_before: DaysBefore
) -> list[CheckInPlan]:
    """The key result's check-ins, oldest first, the last some days before as_of by pattern.

    Earlier check-ins are spaced 5 to 9 days apart (a weekly rhythm, not a clockwork
    one); the reported progress climbs towards the key result's with a small wobble.
    """
    count = kr.check_ins
    if count == 0:
        return []
    keys = [check_in_key(kr_uuid, n) for n in range(1, count + 1)]
    draws = [rng.lanes(key.text, "check_in.when") for key in keys]
    low, high = _LAST_DAYS_AGO[kr.pattern]
    days_ago = [0] * count
    days_ago[-1] = between(draws[-1][0], low, high)
    for i in range(count - 2, -1, -1):
        days_ago[i] = days_ago[i + 1] + between(draws[i][0], 5, 9)
    kind = _note_kind(kr)
    notes = NOTES[kind]
    low_conf, high_conf = _CONFIDENCE[kind]
    result = []
    for i, (key, lanes) in enumerate(zip(keys, draws, strict=True)):
        sequence = i + 1
        rest, note = divmod(lanes[3], len(notes))
        if sequence == count or kr.pattern == NO_PROGRESS:
            progress = kr.progress
        else:
            wobble = rest % 7 - 3
            progress = min(100, max(0, kr.progress * sequence // count + wobble))
        day, offset = days_before(days_ago[i])
        minute = 510 + below(lanes[1], 570)  # 08:30 to 17:59 local time
        at = f"{day}T{minute // 60:02d}:{minute % 60:02d}:00{offset}"
        result.append(
            CheckInPlan(
                sequence=sequence,
                key=key,
                date=day,
                at=at,
                progress=progress,
                confidence=between(lanes[2], low_conf, high_conf),
                note=notes[note],
            )
        )
    return result
