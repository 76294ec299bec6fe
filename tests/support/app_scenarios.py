"""Scenarios for app schemas seedctl did not make: a Prisma app and a Django app.

Their tables come from migration SQL written the way Prisma Migrate and Django's
``sqlmigrate`` write it (tests/fixtures/); the scenarios name tables and columns
only, no SQLAlchemy metadata: the catalog is the schema.

- ``prisma-app``: text ids holding the UUIDv5 (Prisma ``String @id``), a serial
  ``User.id`` the database assigns (so users, memberships and profiles name users
  by reference), a manager chain through that serial key, enums and an enum
  array, ``text[]``, jsonb, ``timestamp(3)``, ``updatedAt`` with no default, a
  composite-key join table, a table whose primary key is its foreign key, and a
  self-referencing folder tree; every relation ``ON DELETE CASCADE``.
- ``django-library``: bigint identity ids everywhere, snake_case, a many-to-many
  table with its own id and a unique pair, numeric, interval, date, jsonb.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import psycopg
from seedctl.engine.scenarios import ScenarioParams, register_scenario
from seedctl.ledger import Command, LogHeader, NaturalKey, RowRef, append_commands

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PRISMA_MIGRATIONS = FIXTURES / "prisma_app" / "migrations"
DJANGO_MIGRATIONS = FIXTURES / "django_library"

ORG_NS = uuid.UUID("6f1c1b52-1f55-4a0e-9a0a-0c9f4f6f0001")
USER_NS = uuid.UUID("6f1c1b52-1f55-4a0e-9a0a-0c9f4f6f0002")
TEAM_NS = uuid.UUID("6f1c1b52-1f55-4a0e-9a0a-0c9f4f6f0003")
MEMBERSHIP_NS = uuid.UUID("6f1c1b52-1f55-4a0e-9a0a-0c9f4f6f0004")
PROFILE_NS = uuid.UUID("6f1c1b52-1f55-4a0e-9a0a-0c9f4f6f0005")
FOLDER_NS = uuid.UUID("6f1c1b52-1f55-4a0e-9a0a-0c9f4f6f0006")
AUTHOR_NS = uuid.UUID("0d7a9d2e-7c1b-4a55-b0d8-4e1a2b3c0001")
TAG_NS = uuid.UUID("0d7a9d2e-7c1b-4a55-b0d8-4e1a2b3c0002")
BOOK_NS = uuid.UUID("0d7a9d2e-7c1b-4a55-b0d8-4e1a2b3c0003")
BOOK_TAG_NS = uuid.UUID("0d7a9d2e-7c1b-4a55-b0d8-4e1a2b3c0004")

ORG_SLUG = "acme-demo"
TEAMS = (("platform", "Platform"), ("growth", "Growth"), ("support", "Support"))


def apply_migrations(url: str, folder: Path) -> None:
    """Run an app's migration SQL files in order, as its migrate command would."""
    files = sorted(folder.glob("*/migration.sql")) or sorted(folder.glob("*.sql"))
    assert files, folder
    with psycopg.connect(url, autocommit=True) as conn:
        for path in files:
            conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[call-overload]


def _command(
    entity: str,
    table: str,
    key: NaturalKey,
    values: dict[str, object],
    conflict: tuple[str, ...],
    *,
    refs: Mapping[str, RowRef] | None = None,
    insert_only: tuple[str, ...] = (),
) -> Command:
    return Command(
        op="upsert",
        entity=entity,
        table=table,
        id=str(key.id),
        key=key.text,
        values=values,
        conflict=conflict,
        insert_only=insert_only,
        values_from=dict(refs or {}),
    )


class PrismaApp:
    """``10 * scale`` users in three teams, a manager chain, profiles and a folder tree."""

    name = "prisma-app"
    version = "prisma-app/1"
    metadata = None
    # Prisma bumps updatedAt on every write and the app stamps each login: not drift.
    app_managed: Mapping[str, tuple[str, ...]] = {"User": ("updatedAt", "lastSignedIn")}
    entity_tables: Mapping[str, str] = {
        "organization": "Organization",
        "team": "Team",
        "user": "User",
        "membership": "Membership",
        "profile": "Profile",
        "folder": "Folder",
    }

    def tenant(self, params: ScenarioParams) -> str:
        return ORG_SLUG

    def users(self, params: ScenarioParams) -> int:
        return 10 * params.scale

    def generate(self, params: ScenarioParams) -> Iterator[Command]:
        stamp = f"{params.as_of.isoformat()} 09:00:00.000"
        org = NaturalKey(ORG_NS, ORG_SLUG)
        org_id = str(org.id)
        yield _command(
            "organization",
            "Organization",
            org,
            {
                "id": org_id,
                "name": "Acme Demo",
                "slug": ORG_SLUG,
                "plan": "PRO",
                "settings": {"features": ["okr", "sso"], "theme": {"mode": "dark"}},
                "updatedAt": stamp,
            },
            ("slug",),
        )
        for slug, name in TEAMS:
            team = NaturalKey(TEAM_NS, f"{org_id}:{slug}")
            yield _command(
                "team",
                "Team",
                team,
                {
                    "id": str(team.id),
                    "organizationId": org_id,
                    "name": name,
                    "slug": slug,
                    "updatedAt": stamp,
                },
                ("organizationId", "slug"),
            )
        users = [NaturalKey(USER_NS, f"user{i}@{ORG_SLUG}.test") for i in range(self.users(params))]
        for i, user in enumerate(users):
            refs = {"managerId": RowRef("user", str(users[(i - 1) // 3].id))} if i else {}
            yield _command(
                "user",
                "User",
                user,
                {
                    "organizationId": org_id,
                    "email": user.text,
                    "name": f"User {i}",
                    "roles": ["OWNER", "ADMIN"] if i == 0 else ["MEMBER"],
                    "tags": ["seed", TEAMS[i % 3][0]],
                    "updatedAt": stamp,
                },
                ("email",),
                refs=refs,
            )
        for i, user in enumerate(users):
            slug = TEAMS[i % 3][0]
            team_id = str(NaturalKey(TEAM_NS, f"{org_id}:{slug}").id)
            yield _command(
                "membership",
                "Membership",
                NaturalKey(MEMBERSHIP_NS, f"{user.id}:{team_id}"),
                {"teamId": team_id, "role": "ADMIN" if i < 3 else "MEMBER"},
                ("userId", "teamId"),
                refs={"userId": RowRef("user", str(user.id))},
            )
        for i, user in enumerate(users):
            yield _command(
                "profile",
                "Profile",
                NaturalKey(PROFILE_NS, str(user.id)),
                {
                    "bio": f"Seeded as of {params.as_of.isoformat()}",
                    "preferences": {"locale": "en-GB", "digest": i % 2 == 0},
                },
                ("userId",),
                refs={"userId": RowRef("user", str(user.id))},
            )
        root = NaturalKey(FOLDER_NS, f"{org_id}:Handbook")
        yield _command(
            "folder",
            "Folder",
            root,
            {"id": str(root.id), "organizationId": org_id, "parentId": None, "name": "Handbook"},
            ("organizationId", "name"),
        )
        child = NaturalKey(FOLDER_NS, f"{org_id}:Onboarding")
        yield _command(
            "folder",
            "Folder",
            child,
            {
                "id": str(child.id),
                "organizationId": org_id,
                "parentId": str(root.id),
                "name": "Onboarding",
            },
            ("organizationId", "name"),
        )

    def expected_counts(self, params: ScenarioParams) -> Mapping[str, int]:
        n = self.users(params)
        return {
            "organization": 1,
            "team": len(TEAMS),
            "user": n,
            "membership": n,
            "profile": n,
            "folder": 2,
        }


class DjangoLibrary:
    """``5 * scale`` books by ``scale + 1`` authors, each tagged."""

    name = "django-library"
    version = "django-library/1"
    metadata = None
    entity_tables: Mapping[str, str] = {
        "author": "library_author",
        "tag": "library_tag",
        "book": "library_book",
        "book_tag": "library_book_tags",
    }

    def tenant(self, params: ScenarioParams) -> str:
        return "library-demo"

    def generate(self, params: ScenarioParams) -> Iterator[Command]:
        authors = [
            NaturalKey(AUTHOR_NS, f"author{i}@library.test") for i in range(params.scale + 1)
        ]
        for i, author in enumerate(authors):
            yield _command(
                "author",
                "library_author",
                author,
                {
                    "name": f"Author {i}",
                    "email": author.text,
                    "joined_on": (params.as_of - dt.timedelta(days=30 * i)).isoformat(),
                    "created_at": f"{params.as_of.isoformat()}T08:00:00+00:00",
                },
                ("email",),
                insert_only=("created_at",),
            )
        tags = [NaturalKey(TAG_NS, name) for name in ("fiction", "history", "science")]
        for tag in tags:
            yield _command("tag", "library_tag", tag, {"name": tag.text}, ("name",))
        books = [NaturalKey(BOOK_NS, f"978000000{b:04d}") for b in range(5 * params.scale)]
        for b, book in enumerate(books):
            yield _command(
                "book",
                "library_book",
                book,
                {
                    "title": f"Book {b}",
                    "isbn": book.text,
                    "published": None if b % 4 == 0 else f"20{10 + b % 15:02d}-0{1 + b % 9}-15",
                    "price": f"{10 + b % 30}.{b % 100:02d}",
                    "details": {"pages": 100 + b, "formats": ["paperback", "ebook"][: 1 + b % 2]},
                    "loan_period": "14 days" if b % 2 else "1 mon 2 days",
                },
                ("isbn",),
                refs={"author_id": RowRef("author", str(authors[b % len(authors)].id))},
            )
        for b, book in enumerate(books):
            tag = tags[b % len(tags)]
            yield _command(
                "book_tag",
                "library_book_tags",
                NaturalKey(BOOK_TAG_NS, f"{book.id}:{tag.id}"),
                {},
                ("book_id", "tag_id"),
                refs={
                    "book_id": RowRef("book", str(book.id)),
                    "tag_id": RowRef("tag", str(tag.id)),
                },
            )

    def expected_counts(self, params: ScenarioParams) -> Mapping[str, int]:
        return {
            "author": params.scale + 1,
            "tag": 3,
            "book": 5 * params.scale,
            "book_tag": 5 * params.scale,
        }


PRISMA_APP = PrismaApp()
DJANGO_LIBRARY = DjangoLibrary()
register_scenario(PRISMA_APP)
register_scenario(DJANGO_LIBRARY)


def plugin_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``env`` for ``seedctl`` subprocesses that find the two app scenarios through entry
    points (a dist-info in ``tmp_path/site``, as an installed plugin would have)."""
    site = tmp_path / "site"
    dist_info = site / "seedctl_app_scenarios-0.1.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: seedctl-app-scenarios\nVersion: 0.1\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[seedctl.scenarios]\n"
        "prisma-app = tests.support.app_scenarios:PRISMA_APP\n"
        "django-library = tests.support.app_scenarios:DJANGO_LIBRARY\n"
    )
    repo = str(Path(__file__).resolve().parent.parent.parent)
    return {**env, "PYTHONPATH": os.pathsep.join([str(site), repo])}


def write_log(
    path: Path,
    scenario: PrismaApp | DjangoLibrary,
    *,
    scale: int = 1,
    as_of: str = "2026-01-15",
    remove_missing: bool = False,
) -> Path:
    """Generate ``scenario`` into the log at ``path`` (appending what it lacks; with
    ``remove_missing`` a delete for every row it no longer makes, as ``generate`` does)."""
    params = ScenarioParams(
        seed=f"{scenario.name}-seed", as_of=dt.date.fromisoformat(as_of), scale=scale
    )
    header = LogHeader(
        scenario=scenario.name,
        tenant=scenario.tenant(params),
        params=params.as_header(),
        generator=scenario.version,
    )
    append_commands(path, header, scenario.generate(params), remove_missing=remove_missing)
    return path
