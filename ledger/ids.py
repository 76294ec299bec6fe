"""UUIDv5 namespaces and natural keys, exactly as the client's spec section 1 writes them.

Each entity has one namespace constant and one ``*_key`` function next to it. The
key text is what the spec concatenates (``orgId + ":" + slug`` and so on, with the
UUIDs in their canonical lower-case form), so the IDs equal those of the spec's own
TypeScript implementation. Three of the spec's namespaces are RFC 4122's URL, OID
and X500 namespaces; that is deliberate and kept.

Entities the spec gives no namespace get new fixed ones continuing its sequence
(``6ba7b81a``..``6ba7b81c``). They are part of the ID contract: never change them.
"""

from __future__ import annotations

import re
import uuid
from typing import NamedTuple

__all__ = [
    "BASE_NAMESPACE",
    "CHECK_IN_NAMESPACE",
    "CYCLE_NAMESPACE",
    "INITIATIVE_NAMESPACE",
    "KEY_RESULT_NAMESPACE",
    "NAMESPACES",
    "OBJECTIVE_KEY_RESULT_NAMESPACE",
    "OBJECTIVE_NAMESPACE",
    "ORGANIZATION_NAMESPACE",
    "ROLE_ASSIGNMENT_NAMESPACE",
    "STRATEGIC_PILLAR_NAMESPACE",
    "TEAM_NAMESPACE",
    "USER_NAMESPACE",
    "WORKSPACE_NAMESPACE",
    "NaturalKey",
    "check_in_key",
    "cycle_key",
    "initiative_key",
    "key_result_key",
    "objective_key",
    "objective_key_result_key",
    "organization_key",
    "role_assignment_key",
    "slugify",
    "strategic_pillar_key",
    "team_key",
    "user_key",
    "workspace_key",
]


class NaturalKey(NamedTuple):
    """An entity's natural key text in its namespace; ``id`` is the UUIDv5 of the two."""

    namespace: uuid.UUID
    text: str

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(self.namespace, self.text)


BASE_NAMESPACE = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")  # RFC 4122 DNS

ORGANIZATION_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def organization_key(slug: str) -> NaturalKey:
    """Organisation: its slug, e.g. ``puzzel-cx-demo``."""
    return NaturalKey(ORGANIZATION_NAMESPACE, slug)


WORKSPACE_NAMESPACE = uuid.UUID("6ba7b812-9dad-11d1-80b4-00c04fd430c8")


def workspace_key(organization_id: uuid.UUID, slug: str) -> NaturalKey:
    """Workspace: ``orgId + ":" + slug``."""
    return NaturalKey(WORKSPACE_NAMESPACE, f"{organization_id}:{slug}")


TEAM_NAMESPACE = uuid.UUID("6ba7b813-9dad-11d1-80b4-00c04fd430c8")


def team_key(workspace_id: uuid.UUID, slug: str) -> NaturalKey:
    """Team: ``workspaceId + ":" + slug``."""
    return NaturalKey(TEAM_NAMESPACE, f"{workspace_id}:{slug}")


USER_NAMESPACE = uuid.UUID("6ba7b814-9dad-11d1-80b4-00c04fd430c8")


def user_key(email: str) -> NaturalKey:
    """User: the email address, as given (the spec does not fold case)."""
    return NaturalKey(USER_NAMESPACE, email)


CYCLE_NAMESPACE = uuid.UUID("6ba7b815-9dad-11d1-80b4-00c04fd430c8")


def cycle_key(organization_id: uuid.UUID, name: str) -> NaturalKey:
    """Cycle: ``orgId + ":" + name``, e.g. ``<org-id>:Q4 2025``."""
    return NaturalKey(CYCLE_NAMESPACE, f"{organization_id}:{name}")


OBJECTIVE_NAMESPACE = uuid.UUID("6ba7b816-9dad-11d1-80b4-00c04fd430c8")


def objective_key(
    organization_id: uuid.UUID,
    scope_type: str,
    scope_id: uuid.UUID | None,
    cycle_id: uuid.UUID,
    title: str,
) -> NaturalKey:
    """Objective: ``org:scopeType:scopeId:cycle:title``; tenant scope has ``scopeId = ""``."""
    if scope_type not in {"tenant", "workspace", "team"}:
        raise ValueError(
            f"objective scope_type must be tenant, workspace or team, not {scope_type!r}"
        )
    if (scope_type == "tenant") != (scope_id is None):
        raise ValueError("a tenant-scope objective has no scope_id; the others need one")
    scope = "" if scope_id is None else str(scope_id)
    return NaturalKey(
        OBJECTIVE_NAMESPACE, f"{organization_id}:{scope_type}:{scope}:{cycle_id}:{title}"
    )


KEY_RESULT_NAMESPACE = uuid.UUID("6ba7b817-9dad-11d1-80b4-00c04fd430c8")


def key_result_key(objective_id: uuid.UUID, title: str) -> NaturalKey:
    """Key result: ``objectiveId + ":" + title``."""
    return NaturalKey(KEY_RESULT_NAMESPACE, f"{objective_id}:{title}")


INITIATIVE_NAMESPACE = uuid.UUID("6ba7b818-9dad-11d1-80b4-00c04fd430c8")


def initiative_key(objective_id: uuid.UUID, title: str) -> NaturalKey:
    """Initiative: ``objectiveId + ":" + title``."""
    return NaturalKey(INITIATIVE_NAMESPACE, f"{objective_id}:{title}")


STRATEGIC_PILLAR_NAMESPACE = uuid.UUID("6ba7b819-9dad-11d1-80b4-00c04fd430c8")


def strategic_pillar_key(organization_id: uuid.UUID, name: str) -> NaturalKey:
    """Strategic pillar: ``orgId + ":" + name``."""
    return NaturalKey(STRATEGIC_PILLAR_NAMESPACE, f"{organization_id}:{name}")


# Namespaces of our own for the entities the spec names but gives no namespace.

CHECK_IN_NAMESPACE = uuid.UUID("6ba7b81a-9dad-11d1-80b4-00c04fd430c8")


def check_in_key(key_result_id: uuid.UUID, sequence: int) -> NaturalKey:
    """Check-in: ``keyResultId + ":" + n``, the n-th check-in of that key result (from 1).

    The date is deliberately not part of the key: a later ``as_of`` moves a check-in's
    date, which must update the same row rather than add another.
    """
    if sequence < 1:
        raise ValueError("check-in sequence numbers start at 1")
    return NaturalKey(CHECK_IN_NAMESPACE, f"{key_result_id}:{sequence}")


ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("6ba7b81b-9dad-11d1-80b4-00c04fd430c8")


def role_assignment_key(
    user_id: uuid.UUID, role: str, scope_type: str, scope_id: uuid.UUID
) -> NaturalKey:
    """Role assignment: ``userId:role:scopeType:scopeId``, the spec's unique constraint."""
    return NaturalKey(ROLE_ASSIGNMENT_NAMESPACE, f"{user_id}:{role}:{scope_type}:{scope_id}")


OBJECTIVE_KEY_RESULT_NAMESPACE = uuid.UUID("6ba7b81c-9dad-11d1-80b4-00c04fd430c8")


def objective_key_result_key(objective_id: uuid.UUID, key_result_id: uuid.UUID) -> NaturalKey:
    """Objective-key-result link: ``objectiveId + ":" + keyResultId``."""
    return NaturalKey(OBJECTIVE_KEY_RESULT_NAMESPACE, f"{objective_id}:{key_result_id}")


NAMESPACES: dict[str, uuid.UUID] = {
    "organization": ORGANIZATION_NAMESPACE,
    "workspace": WORKSPACE_NAMESPACE,
    "team": TEAM_NAMESPACE,
    "user": USER_NAMESPACE,
    "cycle": CYCLE_NAMESPACE,
    "strategic_pillar": STRATEGIC_PILLAR_NAMESPACE,
    "objective": OBJECTIVE_NAMESPACE,
    "key_result": KEY_RESULT_NAMESPACE,
    "objective_key_result": OBJECTIVE_KEY_RESULT_NAMESPACE,
    "initiative": INITIATIVE_NAMESPACE,
    "check_in": CHECK_IN_NAMESPACE,
    "role_assignment": ROLE_ASSIGNMENT_NAMESPACE,
}
"""Entity name to namespace; the verifier recomputes every command's id from it."""

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """Spec section 6: lower-case, runs of anything but ``a-z0-9`` become one hyphen, trimmed."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-")
