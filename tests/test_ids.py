"""IDs: the spec's UUIDv5 namespaces to the byte, its natural keys and slugify (sections 1, 6).

Every pinned UUID is also recomputed by :func:`rfc4122_uuid5`, written here from RFC 4122
rather than taken from :mod:`uuid`, with the namespace and key text spelled out as
literals: a wrong namespace, separator or key order in ``seedctl.ledger.ids`` fails here.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from seedctl.ledger import ids
from seedctl.ledger.ids import (
    NaturalKey,
    check_in_key,
    cycle_key,
    initiative_key,
    key_result_key,
    objective_key,
    objective_key_result_key,
    organization_key,
    role_assignment_key,
    slugify,
    strategic_pillar_key,
    team_key,
    user_key,
    workspace_key,
)


def rfc4122_uuid5(namespace: str, name: str) -> str:
    """UUIDv5 by RFC 4122 section 4.3: SHA-1 of namespace bytes + UTF-8 name, version, variant."""
    data = bytes.fromhex(namespace.replace("-", "")) + name.encode()
    octets = bytearray(hashlib.sha1(data, usedforsecurity=False).digest())
    octets[6] = (octets[6] & 0x0F) | 0x50  # version 5 in the high nibble of time_hi
    octets[8] = (octets[8] & 0x3F) | 0x80  # RFC 4122 variant: bits 10xx
    h = octets[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# The spec's namespaces, as its text spells them.
NS_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
NS_ORGANIZATION = "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
NS_WORKSPACE = "6ba7b812-9dad-11d1-80b4-00c04fd430c8"
NS_TEAM = "6ba7b813-9dad-11d1-80b4-00c04fd430c8"
NS_USER = "6ba7b814-9dad-11d1-80b4-00c04fd430c8"
NS_CYCLE = "6ba7b815-9dad-11d1-80b4-00c04fd430c8"
NS_OBJECTIVE = "6ba7b816-9dad-11d1-80b4-00c04fd430c8"
NS_KEY_RESULT = "6ba7b817-9dad-11d1-80b4-00c04fd430c8"
NS_INITIATIVE = "6ba7b818-9dad-11d1-80b4-00c04fd430c8"
NS_STRATEGIC_PILLAR = "6ba7b819-9dad-11d1-80b4-00c04fd430c8"
# Ours, documented in docs/ids.md.
NS_CHECK_IN = "6ba7b81a-9dad-11d1-80b4-00c04fd430c8"
NS_ROLE_ASSIGNMENT = "6ba7b81b-9dad-11d1-80b4-00c04fd430c8"
NS_OBJECTIVE_KEY_RESULT = "6ba7b81c-9dad-11d1-80b4-00c04fd430c8"

# Known answers. Each is rfc4122_uuid5 of its namespace and key text (checked below).
ORG_ID = "9db37585-85ed-5f07-882c-4b69f52fd4d1"
USER_ID = "20688f78-5e1e-50ae-bab2-bc9ae47c7e82"
WORKSPACE_ID = "f4ed23fc-be26-52f1-8512-16b356dfbc7d"
TEAM_ID = "2c9b8ead-7761-54df-9333-0000466071bc"
CYCLE_ID = "ebb6ddcc-80f8-5487-ab31-413245d5c54f"
TENANT_OBJECTIVE_ID = "caa1a002-ca31-5186-8f93-202813bb7cb1"
WORKSPACE_OBJECTIVE_ID = "79731e9b-257d-53ba-b769-031a3f6e8d9c"
TEAM_OBJECTIVE_ID = "04d33e51-2ce8-50dc-b0bb-4e688ce84e79"
KEY_RESULT_ID = "9d36c3df-25fc-56dd-928a-94b3b4967920"
INITIATIVE_ID = "ecd63182-2793-531b-9592-6a6929a4ca55"
PILLAR_ID = "8b127cd3-bd47-550a-8569-f1171748a66c"
CHECK_IN_ID = "f49ece88-822a-5c4d-a0fb-b80cae42eb81"
ROLE_ASSIGNMENT_ID = "15ad49e3-a338-57ad-a424-d09de5ab7023"
OBJECTIVE_KEY_RESULT_ID = "90a3fce8-b522-5b11-a8dd-06832091b07d"

U = uuid.UUID


class Case(NamedTuple):
    """One known answer: how seedctl.ledger.ids builds the key, and what it must come to."""

    name: str
    build: Callable[[], NaturalKey]
    namespace: str
    text: str
    expected: str


KNOWN_ANSWERS = [
    Case(
        "organization",
        lambda: organization_key("puzzel-cx-demo"),
        NS_ORGANIZATION,
        "puzzel-cx-demo",
        ORG_ID,
    ),
    Case(
        "user",
        lambda: user_key("founder@puzzelcx.local"),
        NS_USER,
        "founder@puzzelcx.local",
        USER_ID,
    ),
    Case(
        "workspace",
        lambda: workspace_key(U(ORG_ID), "sales"),
        NS_WORKSPACE,
        f"{ORG_ID}:sales",
        WORKSPACE_ID,
    ),
    Case(
        "team",
        lambda: team_key(U(WORKSPACE_ID), "enterprise-sales"),
        NS_TEAM,
        f"{WORKSPACE_ID}:enterprise-sales",
        TEAM_ID,
    ),
    Case(
        "cycle",
        lambda: cycle_key(U(ORG_ID), "Q4 2025"),
        NS_CYCLE,
        f"{ORG_ID}:Q4 2025",
        CYCLE_ID,
    ),
    Case(
        "tenant objective",
        lambda: objective_key(
            U(ORG_ID), "tenant", None, U(CYCLE_ID), "Improve Customer Satisfaction"
        ),
        NS_OBJECTIVE,
        f"{ORG_ID}:tenant::{CYCLE_ID}:Improve Customer Satisfaction",
        TENANT_OBJECTIVE_ID,
    ),
    Case(
        "workspace objective",
        lambda: objective_key(
            U(ORG_ID), "workspace", U(WORKSPACE_ID), U(CYCLE_ID), "Grow Enterprise Pipeline"
        ),
        NS_OBJECTIVE,
        f"{ORG_ID}:workspace:{WORKSPACE_ID}:{CYCLE_ID}:Grow Enterprise Pipeline",
        WORKSPACE_OBJECTIVE_ID,
    ),
    Case(
        "team objective",
        lambda: objective_key(
            U(ORG_ID), "team", U(TEAM_ID), U(CYCLE_ID), "Close Ten Enterprise Deals"
        ),
        NS_OBJECTIVE,
        f"{ORG_ID}:team:{TEAM_ID}:{CYCLE_ID}:Close Ten Enterprise Deals",
        TEAM_OBJECTIVE_ID,
    ),
    Case(
        "key result",
        lambda: key_result_key(U(TENANT_OBJECTIVE_ID), "Raise NPS from 60 to 75"),
        NS_KEY_RESULT,
        f"{TENANT_OBJECTIVE_ID}:Raise NPS from 60 to 75",
        KEY_RESULT_ID,
    ),
    Case(
        "initiative",
        lambda: initiative_key(U(TENANT_OBJECTIVE_ID), "Deploy Customer Feedback Portal"),
        NS_INITIATIVE,
        f"{TENANT_OBJECTIVE_ID}:Deploy Customer Feedback Portal",
        INITIATIVE_ID,
    ),
    Case(
        "strategic pillar",
        lambda: strategic_pillar_key(U(ORG_ID), "Customer Experience Quality"),
        NS_STRATEGIC_PILLAR,
        f"{ORG_ID}:Customer Experience Quality",
        PILLAR_ID,
    ),
    Case(
        "check-in",
        lambda: check_in_key(U(KEY_RESULT_ID), 1),
        NS_CHECK_IN,
        f"{KEY_RESULT_ID}:1",
        CHECK_IN_ID,
    ),
    Case(
        "role assignment",
        lambda: role_assignment_key(U(USER_ID), "TENANT_OWNER", "TENANT", U(ORG_ID)),
        NS_ROLE_ASSIGNMENT,
        f"{USER_ID}:TENANT_OWNER:TENANT:{ORG_ID}",
        ROLE_ASSIGNMENT_ID,
    ),
    Case(
        "objective-key-result link",
        lambda: objective_key_result_key(U(TENANT_OBJECTIVE_ID), U(KEY_RESULT_ID)),
        NS_OBJECTIVE_KEY_RESULT,
        f"{TENANT_OBJECTIVE_ID}:{KEY_RESULT_ID}",
        OBJECTIVE_KEY_RESULT_ID,
    ),
]


def test_rfc4122_reference_matches_a_published_vector() -> None:
    """The test's own UUIDv5 gives the published answer for DNS + "python.org" (Python docs)."""
    assert rfc4122_uuid5(NS_DNS, "python.org") == "886313e1-3b8a-5372-9b90-0c9aee199e5d"


@pytest.mark.parametrize("case", KNOWN_ANSWERS, ids=[case.name for case in KNOWN_ANSWERS])
def test_known_answer(case: Case) -> None:
    """Each entity's key function yields the spec's key text, namespace and the pinned UUID."""
    key = case.build()
    assert str(key.namespace) == case.namespace
    assert key.text == case.text
    assert str(key.id) == case.expected
    assert rfc4122_uuid5(case.namespace, case.text) == case.expected


def test_spec_namespaces_to_the_byte() -> None:
    """The nine namespaces of spec section 1 and the base are exactly the spec's strings."""
    assert str(ids.BASE_NAMESPACE) == NS_DNS
    assert str(ids.ORGANIZATION_NAMESPACE) == NS_ORGANIZATION
    assert str(ids.WORKSPACE_NAMESPACE) == NS_WORKSPACE
    assert str(ids.TEAM_NAMESPACE) == NS_TEAM
    assert str(ids.USER_NAMESPACE) == NS_USER
    assert str(ids.CYCLE_NAMESPACE) == NS_CYCLE
    assert str(ids.OBJECTIVE_NAMESPACE) == NS_OBJECTIVE
    assert str(ids.KEY_RESULT_NAMESPACE) == NS_KEY_RESULT
    assert str(ids.INITIATIVE_NAMESPACE) == NS_INITIATIVE
    assert str(ids.STRATEGIC_PILLAR_NAMESPACE) == NS_STRATEGIC_PILLAR


def test_own_namespaces_are_fixed() -> None:
    """The three namespaces seedctl added continue the spec's sequence and never change."""
    assert str(ids.CHECK_IN_NAMESPACE) == NS_CHECK_IN
    assert str(ids.ROLE_ASSIGNMENT_NAMESPACE) == NS_ROLE_ASSIGNMENT
    assert str(ids.OBJECTIVE_KEY_RESULT_NAMESPACE) == NS_OBJECTIVE_KEY_RESULT


def test_three_spec_namespaces_are_rfc4122_standard_ones() -> None:
    """Organisation, workspace and user namespaces equal RFC 4122's URL, OID and X500."""
    assert ids.BASE_NAMESPACE == uuid.NAMESPACE_DNS
    assert ids.ORGANIZATION_NAMESPACE == uuid.NAMESPACE_URL
    assert ids.WORKSPACE_NAMESPACE == uuid.NAMESPACE_OID
    assert ids.USER_NAMESPACE == uuid.NAMESPACE_X500


def test_namespace_table_covers_every_entity_once() -> None:
    """NAMESPACES maps the twelve entities to twelve distinct namespaces, the base excluded."""
    expected = {
        "organization": U(NS_ORGANIZATION),
        "workspace": U(NS_WORKSPACE),
        "team": U(NS_TEAM),
        "user": U(NS_USER),
        "cycle": U(NS_CYCLE),
        "strategic_pillar": U(NS_STRATEGIC_PILLAR),
        "objective": U(NS_OBJECTIVE),
        "key_result": U(NS_KEY_RESULT),
        "objective_key_result": U(NS_OBJECTIVE_KEY_RESULT),
        "initiative": U(NS_INITIATIVE),
        "check_in": U(NS_CHECK_IN),
        "role_assignment": U(NS_ROLE_ASSIGNMENT),
    }
    table = ids.NAMESPACES
    assert table == expected
    assert len(set(table.values())) == 12
    assert ids.BASE_NAMESPACE not in table.values()


@given(st.text(st.characters(codec="utf-8")))
def test_any_key_text_gets_its_rfc4122_uuid5(text: str) -> None:
    """For any key text, NaturalKey.id is RFC 4122's UUIDv5 of the namespace and that text."""
    assert str(user_key(text).id) == rfc4122_uuid5(NS_USER, text)
    assert str(cycle_key(U(ORG_ID), text).id) == rfc4122_uuid5(NS_CYCLE, f"{ORG_ID}:{text}")


def test_objective_scope_rules() -> None:
    """Tenant objectives take no scope id, workspace and team ones need one, nothing else goes."""
    org, cycle, ws = U(ORG_ID), U(CYCLE_ID), U(WORKSPACE_ID)
    one_rule = r"^a tenant-scope objective has no scope_id; the others need one$"
    with pytest.raises(ValueError, match=one_rule):
        objective_key(org, "tenant", ws, cycle, "T")
    with pytest.raises(ValueError, match=one_rule):
        objective_key(org, "workspace", None, cycle, "T")
    with pytest.raises(ValueError, match="must be tenant, workspace or team, not 'org'"):
        objective_key(org, "org", ws, cycle, "T")


def test_check_in_sequence_starts_at_one() -> None:
    """A check-in's sequence number is 1-based; 0 is refused."""
    with pytest.raises(ValueError, match=r"^check-in sequence numbers start at 1$"):
        check_in_key(U(KEY_RESULT_ID), 0)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Enterprise Sales", "enterprise-sales"),
        ("Tier 1 Support", "tier-1-support"),
        ("Q4 2025", "q4-2025"),
    ],
)
def test_slugify_spec_examples(name: str, slug: str) -> None:
    """slugify gives the three results spec section 6 lists."""
    assert slugify(name) == slug


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("  --Hello, World!--  ", "hello-world"),
        ("a---b", "a-b"),
        ("a / & / b", "a-b"),
        ("R&D...Team!!", "r-d-team"),
        ("!!!", ""),
        ("", ""),
        ("Café Déjà vu", "caf-d-j-vu"),
        ("ÄÖÜ", ""),
        ("already-a-slug", "already-a-slug"),
        ("MiXeD_Case_42", "mixed-case-42"),
    ],
)
def test_slugify_edge_cases(name: str, slug: str) -> None:
    """Leading/trailing junk is trimmed, runs of anything but a-z0-9 become one hyphen."""
    assert slugify(name) == slug


SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@given(st.text())
def test_slugify_output_is_a_slug_and_idempotent(name: str) -> None:
    """slugify always returns a well-formed slug (or ""), and slugifying a slug changes nothing."""
    slug = slugify(name)
    assert slug == "" or SLUG.fullmatch(slug)
    assert slugify(slug) == slug


# docs/ids.md

IDS_DOC = Path(__file__).resolve().parent.parent / "docs" / "ids.md"


def test_docs_namespace_table_matches_the_code() -> None:
    """docs/ids.md's namespace table lists exactly the code's twelve namespaces."""
    rows = re.findall(r"^\| `(\w+)` \| `([0-9a-f-]{36})` \|", IDS_DOC.read_text(), re.M)
    assert {entity: U(namespace) for entity, namespace in rows} == ids.NAMESPACES
    assert len(rows) == 12


def test_docs_examples_are_true() -> None:
    """Every natural-key example in docs/ids.md gives the UUID shown, in its entity's namespace."""
    text = IDS_DOC.read_text()
    checked = 0
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        entity = re.match(r".*\(`(\w+)`\)", section)
        assert entity, section[:60]
        namespace = ids.NAMESPACES[entity.group(1)]
        for key, expected in re.findall(
            r"^- Example: `([^`]*)` → `([0-9a-f-]{36})`$", section, re.M
        ):
            assert str(NaturalKey(namespace, key).id) == expected, key
            assert expected in {case.expected for case in KNOWN_ANSWERS}
            checked += 1
    assert checked == len(KNOWN_ANSWERS)


def test_docs_slug_table_is_true() -> None:
    """The slug examples in docs/ids.md are what slugify returns."""
    rows = re.findall(r"^\| `([^`]*)` \| (?:`([^`]*)`|\(empty\)) \|$", IDS_DOC.read_text(), re.M)
    assert len(rows) == 6
    for name, slug in rows:
        assert slugify(name) == slug
