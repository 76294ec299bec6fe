"""The okr-demo scenario: the client's tenant exactly at scale 1, deterministic, growing cleanly."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st
from seedctl.engine.scenarios import ScenarioParams, get_scenario
from seedctl.engine.scenarios.okr_demo import OKR_DEMO, metadata
from seedctl.engine.scenarios.okr_demo.roster import CHAIN_TIERS
from seedctl.ledger import Command, JsonScalar, LogHeader, append_commands, canonical_bytes
from seedctl.ledger.ids import (
    NAMESPACES,
    NaturalKey,
    check_in_key,
    cycle_key,
    initiative_key,
    key_result_key,
    objective_key,
    objective_key_result_key,
    organization_key,
    role_assignment_key,
    strategic_pillar_key,
    team_key,
    user_key,
    workspace_key,
)

SEED = "puzzel-cx-demo-seed-2025"
AS_OF = dt.date(2026, 1, 15)
PARAMS = ScenarioParams(seed=SEED, as_of=AS_OF, scale=1)

# The SHA-256 of the scale-1 log file's bytes at AS_OF. It changes only together with
# OKR_DEMO.version ("okr-demo/1"): any change to what the scenario generates must bump
# the version, and then this hash is updated in the same commit.
GOLDEN_VERSION = "okr-demo/1"
GOLDEN_LOG_SHA256 = "480b1819ed6d98c0f69487a796520d9c3ba256a961327190bf9c751b60d43950"
"""The scale-1 log in format seedctl-log/2 (header, 2820 commands, one generation record)."""
GOLDEN_COMMANDS_SHA256 = "ff1d3c30fd466257de4a7c8b93775803af5009aee1001e6aec2e626f124e5ca7"
"""The same log's command hashes, one a line: unchanged since format 1, so a ledger written
from a format-1 log still knows every command."""

SCALE_1_COUNTS = {
    "organization": 1,
    "workspace": 5,
    "team": 12,
    "user": 200,
    "cycle": 4,
    "strategic_pillar": 4,
    "objective": 148,
    "key_result": 580,
    "objective_key_result": 580,
    "initiative": 279,
    "check_in": 654,
    "role_assignment": 353,
}


def write_log(path: Path, params: ScenarioParams = PARAMS) -> Path:
    """Write (or append to) a log of the scenario the way ``seedctl generate`` does."""
    header = LogHeader(
        scenario=OKR_DEMO.name,
        tenant=OKR_DEMO.tenant(params),
        params=params.as_header(),
        generator=OKR_DEMO.version,
    )
    append_commands(path, header, OKR_DEMO.generate(params))
    return path


@pytest.fixture(scope="module")
def commands() -> list[Command]:
    """The scale-1 stream at AS_OF."""
    return list(OKR_DEMO.generate(PARAMS))


def of(commands: list[Command], entity: str) -> list[Command]:
    """The commands of one entity, in stream order."""
    return [c for c in commands if c.entity == entity]


def u(value: JsonScalar) -> uuid.UUID:
    """A UUID column value as a UUID."""
    assert isinstance(value, str)
    return uuid.UUID(value)


# -- identity, determinism ---------------------------------------------------------------


def test_is_registered_with_its_version_and_tenant() -> None:
    """The registry serves okr-demo at the golden version, for the spec's tenant slug."""
    scenario = get_scenario("okr-demo")
    assert scenario is OKR_DEMO
    assert scenario.version == GOLDEN_VERSION
    assert scenario.tenant(PARAMS) == "puzzel-cx-demo"
    assert OKR_DEMO.default_seed == SEED


def test_golden_log_hash(tmp_path: Path) -> None:
    """The scale-1 log's bytes are pinned; they may change only together with the version."""
    assert OKR_DEMO.version == GOLDEN_VERSION, "version bumped: update GOLDEN_LOG_SHA256 too"
    data = write_log(tmp_path / "golden.jsonl").read_bytes()
    assert hashlib.sha256(data).hexdigest() == GOLDEN_LOG_SHA256
    records = [json.loads(line) for line in data.decode().splitlines()[1:]]
    hashes = [r["hash"] for r in records if r["op"] != "generation"]
    assert hashlib.sha256("\n".join(hashes).encode()).hexdigest() == GOLDEN_COMMANDS_SHA256


_WRITER = """
import datetime as dt, sys
from seedctl.engine.scenarios.base import ScenarioParams
from seedctl.engine.scenarios.okr_demo.scenario import OKR_DEMO
from seedctl.ledger.logfile import LogHeader
from seedctl.ledger.logwrite import append_commands
p = ScenarioParams("puzzel-cx-demo-seed-2025", dt.date(2026, 1, 15), 2)
h = LogHeader(scenario=OKR_DEMO.name, tenant=OKR_DEMO.tenant(p), params=p.as_header(),
              generator=OKR_DEMO.version)
append_commands(sys.argv[1], h, OKR_DEMO.generate(p))
"""


def test_logs_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    """Two interpreters with different PYTHONHASHSEED write the same bytes (no set order)."""
    outputs = []
    for hash_seed in ("0", "4242"):
        path = tmp_path / f"log-{hash_seed}.jsonl"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", _WRITER, str(path)], env=env, check=True, timeout=120)
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 1_000_000


def test_generate_streams() -> None:
    """``generate`` hands back a lazy iterator, not a list: the log is written as it is made."""
    stream = OKR_DEMO.generate(PARAMS)
    assert iter(stream) is stream
    assert next(stream).entity == "organization"


def test_rejects_scale_below_one() -> None:
    """Scale 0 is an error at the scenario too, not an empty tenant."""
    with pytest.raises(ValueError, match="at least 1"):
        next(OKR_DEMO.generate(ScenarioParams(SEED, AS_OF, 0)))


# -- counts --------------------------------------------------------------------------------


def test_counts_at_scale_1(commands: list[Command]) -> None:
    """Every entity's count at scale 1, and exactly 200 users with @puzzelcx.local (spec 8)."""
    counts = Counter(c.entity for c in commands)
    assert dict(counts) == SCALE_1_COUNTS
    emails = [c.values["email"] for c in of(commands, "user")]
    assert sum(1 for e in emails if isinstance(e, str) and "@puzzelcx.local" in e) == 200


@pytest.mark.parametrize("scale", [1, 3])
def test_expected_counts_match_the_stream(scale: int) -> None:
    """``expected_counts`` equals what ``generate`` yields, per entity, in dependency order."""
    params = ScenarioParams(SEED, AS_OF, scale)
    expected = OKR_DEMO.expected_counts(params)
    assert list(expected) == list(OKR_DEMO.entity_tables)
    assert dict(expected) == dict(Counter(c.entity for c in OKR_DEMO.generate(params)))


def test_scale_grows_people_teams_objectives_and_check_ins() -> None:
    """Scale 2 adds 178 people, 12 teams and more objectives and check-ins; the frame stays."""
    one = OKR_DEMO.expected_counts(PARAMS)
    two = OKR_DEMO.expected_counts(ScenarioParams(SEED, AS_OF, 2))
    assert two["user"] - one["user"] == 178
    assert two["team"] == 24
    assert two["objective"] - one["objective"] == 12 * 2 * 4
    assert two["check_in"] > one["check_in"]
    for entity in ("organization", "workspace", "cycle", "strategic_pillar"):
        assert two[entity] == one[entity]


def test_a_larger_scale_changes_no_existing_command() -> None:
    """Every scale-1 command appears byte for byte at scale 2: growing only adds."""
    one = {canonical_bytes(c) for c in OKR_DEMO.generate(PARAMS)}
    two = {canonical_bytes(c) for c in OKR_DEMO.generate(ScenarioParams(SEED, AS_OF, 2))}
    assert one <= two


# -- ids and natural keys ------------------------------------------------------------------


def natural_key(c: Command) -> NaturalKey:
    """The command's natural key rebuilt from its values with ``seedctl.ledger.ids`` alone."""
    v = c.values
    builders: dict[str, Callable[[], NaturalKey]] = {
        "organization": lambda: organization_key(str(v["slug"])),
        "workspace": lambda: workspace_key(u(v["organization_id"]), str(v["slug"])),
        "team": lambda: team_key(u(v["workspace_id"]), str(v["slug"])),
        "user": lambda: user_key(str(v["email"])),
        "cycle": lambda: cycle_key(u(v["organization_id"]), str(v["name"])),
        "strategic_pillar": lambda: strategic_pillar_key(u(v["organization_id"]), str(v["name"])),
        "objective": lambda: objective_key(
            u(v["organization_id"]),
            str(v["scope_type"]),
            None if v["scope_type"] == "tenant" else u(v["team_id"] or v["workspace_id"]),
            u(v["cycle_id"]),
            str(v["title"]),
        ),
        "key_result": lambda: key_result_key(u(v["objective_id"]), str(v["title"])),
        "objective_key_result": lambda: objective_key_result_key(
            u(v["objective_id"]), u(v["key_result_id"])
        ),
        "initiative": lambda: initiative_key(u(v["objective_id"]), str(v["title"])),
        "check_in": lambda: check_in_key(u(v["key_result_id"]), int(str(v["sequence"]))),
        "role_assignment": lambda: role_assignment_key(
            u(v["user_id"]), str(v["role"]), str(v["scope_type"]), u(v["scope_id"])
        ),
    }
    return builders[c.entity]()


def test_every_id_recomputes_from_its_natural_key(commands: list[Command]) -> None:
    """Each command's key is what ledger.ids builds from its values, and its id the UUIDv5 of it."""
    for c in commands:
        key = natural_key(c)
        assert key.namespace == NAMESPACES[c.entity]
        assert c.key == key.text, c
        assert c.id == str(key.id) == c.values["id"], c


def unique_columns(table: sa.Table) -> list[tuple[str, ...]]:
    """The column tuples of a table's unique constraints."""
    return [
        tuple(col.name for col in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]


def test_commands_fit_the_target_schema(commands: list[Command]) -> None:
    """Each command names its table, sets only its columns, and conflicts on its natural key."""
    for c in commands:
        table = metadata.tables[c.table]
        assert OKR_DEMO.entity_tables[c.entity] == c.table
        assert set(c.values) == {col.name for col in table.columns}, c.table
        assert unique_columns(table) == [c.conflict], c.table


def test_insert_only_columns(commands: list[Command]) -> None:
    """Users keep an existing password hash; role assignments update nothing at all."""
    for c in commands:
        if c.entity == "user":
            assert c.insert_only == ("password_hash",)
        elif c.entity == "role_assignment":
            assert set(c.insert_only) == set(c.values) - set(c.conflict) - {"id"}
        else:
            assert c.insert_only == ()


# -- the roster ----------------------------------------------------------------------------


def test_tenant_frame(commands: list[Command]) -> None:
    """The organisation, the spec's named workspace and teams, cycles with anchored dates."""
    (org,) = of(commands, "organization")
    assert org.values["slug"] == "puzzel-cx-demo"
    assert org.values["name"] == "Puzzel CX Demo"
    workspaces = {c.values["slug"] for c in of(commands, "workspace")}
    assert workspaces == {
        "sales",
        "customer-support",
        "customer-success",
        "product-engineering",
        "marketing",
    }
    teams = {c.values["slug"] for c in of(commands, "team")}
    assert {"enterprise-sales", "tier-1-support"} <= teams
    cycles = {
        c.values["name"]: (c.values["start_date"], c.values["end_date"])
        for c in of(commands, "cycle")
    }
    assert cycles == {
        "Q4 2025": ("2025-10-01", "2025-12-31"),
        "Q1 2026": ("2026-01-01", "2026-03-31"),
        "Q2 2026": ("2026-04-01", "2026-06-30"),
        "Q3 2026": ("2026-07-01", "2026-09-30"),
    }
    assert len(of(commands, "strategic_pillar")) == 4


def test_email_patterns(commands: list[Command]) -> None:
    """Emails follow spec section 4: founder, admin1-5, workspace/team leads, members, platform."""
    emails = [str(c.values["email"]) for c in of(commands, "user")]
    ws = "|".join(str(c.values["slug"]) for c in of(commands, "workspace"))
    teams = "|".join(str(c.values["slug"]) for c in of(commands, "team"))
    patterns = {
        "founder": r"founder@puzzelcx\.local",
        "platform": r"platform@puzzelcx\.local",
        "admin": r"admin[1-5]@puzzelcx\.local",
        "workspace-lead": rf"workspace-lead-({ws})-[1-3]@puzzelcx\.local",
        "team-lead": rf"team-lead-({teams})-[12]@puzzelcx\.local",
        "member": rf"member-({ws})-[1-9][0-9]*@puzzelcx\.local",
    }
    kinds = Counter()
    for email in emails:
        matched = [k for k, p in patterns.items() if re.fullmatch(p, email)]
        assert len(matched) == 1, email
        kinds[matched[0]] += 1
    assert kinds == {
        "founder": 1,
        "platform": 1,
        "admin": 5,
        "workspace-lead": 15,
        "team-lead": 24,
        "member": 154,
    }
    assert {f"member-sales-{n}@puzzelcx.local" for n in range(1, 51)} <= set(emails)
    assert len(set(emails)) == len(emails)


def test_platform_user_is_a_superuser_outside_the_tenant(commands: list[Command]) -> None:
    """Only platform@ is a superuser; it has no organisation, manager or role."""
    users = {c.values["email"]: c for c in of(commands, "user")}
    platform = users.pop("platform@puzzelcx.local")
    assert platform.values["is_superuser"] is True
    assert platform.values["organization_id"] is None
    assert platform.values["manager_id"] is None
    assert all(
        c.values["is_superuser"] is False and c.values["organization_id"] for c in users.values()
    )
    assert platform.id not in {c.values["user_id"] for c in of(commands, "role_assignment")}


def test_manager_chain_shape(commands: list[Command]) -> None:
    """Ranked by tier then email, the chain is 1 / 5 / 15 / 24 / rest, each level round-robin."""
    tenant = [c for c in of(commands, "user") if c.values["email"] != "platform@puzzelcx.local"]
    emails = [str(c.values["email"]) for c in tenant]
    manager = [c.values["manager_id"] for c in tenant]
    ids = [c.id for c in tenant]
    assert emails[0] == "founder@puzzelcx.local"
    assert emails[1:6] == [f"admin{n}@puzzelcx.local" for n in range(1, 6)]
    assert emails[6:21] == sorted(emails[6:21]) and all(
        e.startswith("workspace-lead-") for e in emails[6:21]
    )
    assert emails[21:45] == sorted(emails[21:45]) and all(
        e.startswith("team-lead-") for e in emails[21:45]
    )
    assert emails[45:] == sorted(emails[45:]) and all(e.startswith("member-") for e in emails[45:])
    assert manager[0] is None
    starts = [sum(CHAIN_TIERS[:i]) for i in range(len(CHAIN_TIERS) + 1)]  # 0, 1, 6, 21, 45
    for level in range(1, len(starts)):
        pool = ids[starts[level - 1] : starts[level]] if level < len(CHAIN_TIERS) else ids[21:45]
        end = starts[level + 1] if level + 1 < len(starts) else len(ids)
        reports = manager[starts[level] : end]
        size = len(pool)
        assert set(reports) <= set(pool), level
        assert (
            sorted(reports[:size]) == sorted(pool) or len(reports) < size
        )  # each pool member once
        assert all(
            reports[i] == reports[i + size] for i in range(len(reports) - size)
        )  # round-robin


def test_managers_come_before_their_reports(commands: list[Command]) -> None:
    """A user's manager_id always names a user earlier in the stream."""
    seen: set[str] = set()
    for c in of(commands, "user"):
        assert c.values["manager_id"] is None or c.values["manager_id"] in seen
        seen.add(c.id)


def test_password_hashes_are_real_and_deterministic(
    commands: list[Command], tmp_path: Path
) -> None:
    """Each user gets an Argon2id hash of 'changeme', own salt; the plaintext is never logged."""
    hasher = PasswordHasher()
    users = of(commands, "user")
    hashes = [str(c.values["password_hash"]) for c in users]
    assert len(set(hashes)) == len(hashes)
    for h in hashes[:5]:
        assert h.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert hasher.verify(h, "changeme")
    again = {c.id: c.values["password_hash"] for c in of(list(OKR_DEMO.generate(PARAMS)), "user")}
    assert again == {c.id: c.values["password_hash"] for c in users}
    other = next(
        c for c in OKR_DEMO.generate(ScenarioParams("other", AS_OF, 1)) if c.entity == "user"
    )
    assert other.values["password_hash"] != users[0].values["password_hash"]
    assert b"changeme" not in write_log(tmp_path / "log.jsonl").read_bytes()


def test_role_assignments(commands: list[Command]) -> None:
    """Founder owns the tenant, admins administer it, leads lead, members hold two roles."""
    roles = Counter(
        (c.values["role"], c.values["scope_type"]) for c in of(commands, "role_assignment")
    )
    assert roles == {
        ("TENANT_OWNER", "TENANT"): 1,
        ("TENANT_ADMIN", "TENANT"): 5,
        ("WORKSPACE_LEAD", "WORKSPACE"): 15,
        ("TEAM_LEAD", "TEAM"): 24,
        ("WORKSPACE_MEMBER", "WORKSPACE"): 154,
        ("TEAM_MEMBER", "TEAM"): 154,
    }


# -- objectives and below ------------------------------------------------------------------


def test_objectives_at_every_scope_with_three_to_five_key_results(commands: list[Command]) -> None:
    """Every cycle has tenant, workspace and team objectives; each has 3-5 KRs, each KR a link."""
    scopes = Counter(
        (c.values["scope_type"], c.values["cycle_id"]) for c in of(commands, "objective")
    )
    cycles = [c.id for c in of(commands, "cycle")]
    for cycle in cycles:
        assert scopes[("tenant", cycle)] == 3
        assert scopes[("workspace", cycle)] == 10
        assert scopes[("team", cycle)] == 24
    per_objective = Counter(c.values["objective_id"] for c in of(commands, "key_result"))
    assert set(per_objective.values()) == {3, 4, 5}
    assert set(per_objective) == {c.id for c in of(commands, "objective")}
    links = {
        (c.values["objective_id"], c.values["key_result_id"])
        for c in of(commands, "objective_key_result")
    }
    assert links == {(c.values["objective_id"], c.id) for c in of(commands, "key_result")}
    assert {c.values["objective_id"] for c in of(commands, "initiative")} == set(per_objective)


def test_objective_dates_stay_near_their_cycle(commands: list[Command]) -> None:
    """Objectives start at or up to two weeks after their cycle's start and end by its end."""
    cycles = {c.id: c.values for c in of(commands, "cycle")}
    for c in of(commands, "objective"):
        cycle = cycles[str(c.values["cycle_id"])]
        start, end = (
            dt.date.fromisoformat(str(c.values["start_date"])),
            dt.date.fromisoformat(str(c.values["end_date"])),
        )
        assert 0 <= (start - dt.date.fromisoformat(str(cycle["start_date"]))).days <= 14
        assert 0 <= (dt.date.fromisoformat(str(cycle["end_date"])) - end).days <= 7


def test_check_ins_follow_the_spec_spread(commands: list[Command]) -> None:
    """Last check-ins are recent (0-7 days before as_of) or stale (14+): overdue and no progress."""
    last: dict[str, Command] = {}
    for c in of(commands, "check_in"):
        day = dt.date.fromisoformat(str(c.values["check_in_date"]))
        assert day <= AS_OF
        assert str(c.values["checked_in_at"]).startswith(f"{day.isoformat()}T")
        assert str(c.values["checked_in_at"]).endswith("+00:00")  # GMT in December and January
        last[str(c.values["key_result_id"])] = c
    ages = [
        (AS_OF - dt.date.fromisoformat(str(c.values["check_in_date"]))).days for c in last.values()
    ]
    assert all(a <= 7 or a >= 14 for a in ages)
    recent = sum(1 for a in ages if a <= 7)
    assert 0.4 < recent / len(ages) < 0.7
    no_progress = sum(
        1
        for c in last.values()
        if c.values["progress"] == 0
        and (AS_OF - dt.date.fromisoformat(str(c.values["check_in_date"]))).days >= 14
    )
    assert no_progress > 0


def test_summer_check_ins_carry_the_bst_offset() -> None:
    """With as_of in July, check-in timestamps are in British Summer Time (+01:00)."""
    params = ScenarioParams(SEED, dt.date(2026, 7, 15), 1)
    stamps = [
        str(c.values["checked_in_at"]) for c in OKR_DEMO.generate(params) if c.entity == "check_in"
    ]
    assert stamps and all(s.endswith("+01:00") for s in stamps if s < "2026-10-25")


def test_a_later_as_of_changes_only_check_ins(tmp_path: Path) -> None:
    """Appending a later as_of to a log adds only check-ins, one per existing check-in, each
    overriding the check-in's command before; then the generation record."""
    path = write_log(tmp_path / "log.jsonl")
    later = ScenarioParams(SEED, AS_OF + dt.timedelta(days=7), 1)
    header = LogHeader(
        scenario=OKR_DEMO.name,
        tenant="puzzel-cx-demo",
        params=later.as_header(),
        generator=OKR_DEMO.version,
    )
    result = append_commands(path, header, OKR_DEMO.generate(later), remove_missing=True)
    assert (result.added, result.removed, result.generation) == (
        SCALE_1_COUNTS["check_in"],
        0,
        2,
    )
    *appended, record = path.read_text(encoding="utf-8").splitlines()[-result.added - 1 :]
    assert all('"entity":"check_in"' in line and '"overrides":' in line for line in appended)
    assert json.loads(record)["params"] == later.as_header()


# -- any scale: no duplicates, parents first -----------------------------------------------


def foreign_keys() -> dict[str, dict[str, str]]:
    """Table -> column -> referenced table, from the schema's foreign keys."""
    result: dict[str, dict[str, str]] = defaultdict(dict)
    for table in metadata.tables.values():
        for fk in table.foreign_keys:
            result[table.name][fk.parent.name] = fk.column.table.name
    return result


def check_stream(params: ScenarioParams) -> dict[str, set[str]]:
    """Assert unique ids and natural keys and parents-first references; return ids per table."""
    fks = foreign_keys()
    scope_tables = {"TENANT": "organizations", "WORKSPACE": "workspaces", "TEAM": "teams"}
    seen: dict[str, set[str]] = defaultdict(set)
    all_ids: set[str] = set()
    keys: set[tuple[str, str]] = set()
    for c in OKR_DEMO.generate(params):
        assert c.id not in all_ids
        assert (c.entity, c.key) not in keys
        for column, target in fks[c.table].items():
            value = c.values[column]
            assert value is None or value in seen[target], (c.table, column)
        if c.entity == "role_assignment":
            assert c.values["scope_id"] in seen[scope_tables[str(c.values["scope_type"])]]
        all_ids.add(c.id)
        keys.add((c.entity, c.key))
        seen[c.table].add(c.id)
    return seen


@settings(max_examples=8, deadline=None)
@given(scale=st.integers(1, 3), seed=st.text(min_size=1, max_size=12), days=st.integers(-400, 400))
def test_no_duplicates_and_parents_first(scale: int, seed: str, days: int) -> None:
    """For any seed, date and small scale: unique ids and keys, every reference points back."""
    seen = check_stream(ScenarioParams(seed, AS_OF + dt.timedelta(days=days), scale))
    assert len(seen["users"]) == 22 + 178 * scale


def test_chunk_boundary_keeps_parents_first_and_only_adds() -> None:
    """Past 16 blocks the stream starts a second chunk: still parents first, still only adding."""
    params = ScenarioParams(SEED, AS_OF, 17)
    seen = check_stream(params)
    assert len(seen["users"]) == 22 + 178 * 17
    sixteen = {canonical_bytes(c) for c in OKR_DEMO.generate(ScenarioParams(SEED, AS_OF, 16))}
    assert sixteen <= {canonical_bytes(c) for c in OKR_DEMO.generate(params)}
