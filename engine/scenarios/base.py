"""What a scenario is: a pure, deterministic generator of seed commands.

A scenario turns ``(seed, as_of, scale)`` into an ordered stream of
:class:`~seedctl.ledger.commands.Command`. It must not read the clock, global random
state or set/dict iteration order: the same parameters give the same commands,
byte for byte, on any machine. It names its tables (``entity_tables``); what the
tables look like is read from the database's catalog, so a scenario for an app
need not re-declare the app's schema. ``metadata`` (optional) declares tables for
``seedctl schema create``, for schemas seedctl owns, such as the demo's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeGuard, runtime_checkable

from seedctl.ledger import Command, JsonScalar
from seedctl.ledger.logencode import EncodedBatch

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = [
    "EncodingScenario",
    "PartedScenario",
    "Scenario",
    "ScenarioParams",
    "encodes_parts",
    "has_parts",
]


@dataclass(frozen=True)
class ScenarioParams:
    """The inputs that fully determine a scenario's output."""

    seed: str
    as_of: dt.date
    scale: int = 1

    def as_header(self) -> dict[str, JsonScalar]:
        """The params as recorded in the log header."""
        return {"seed": self.seed, "as_of": self.as_of.isoformat(), "scale": self.scale}


class Scenario(Protocol):
    """The interface ``generate``, ``apply`` and ``verify`` rely on."""

    name: str
    """Registry name, e.g. ``okr-demo``."""

    version: str
    """Generator version recorded in the log header; bump it whenever output changes."""

    @property
    def metadata(self) -> sa.MetaData | None:
        """Tables for ``schema create`` (and their schema, if not the search path's); None
        for a scenario that seeds tables the app's own migrations made. A class
        attribute will do; a property lets a scenario import SQLAlchemy only when asked."""
        ...

    entity_tables: Mapping[str, str]
    """Entity name to table name, in dependency order (parents before children)."""

    # Optional: ``app_managed: Mapping[str, Sequence[str]]``, per table the columns the
    # app owns once a row exists (``updatedAt``, ``lastSignedIn``): written on insert,
    # never counted as drift. Read with :func:`seedctl.engine.target.app_owned_columns`.

    def tenant(self, params: ScenarioParams) -> str:
        """The tenant this run seeds: scopes the ledger and the advisory lock."""
        ...

    def generate(self, params: ScenarioParams) -> Iterator[Command]:
        """Every command, in dependency order. Pure: no I/O, no clock, no global state."""
        ...

    def expected_counts(self, params: ScenarioParams) -> Mapping[str, int]:
        """Rows per entity a full apply must leave (spec section 8's post-seed check)."""
        ...


@runtime_checkable
class PartedScenario(Scenario, Protocol):
    """A scenario whose stream splits into independent parts, so workers can generate them.

    Optional: ``generate`` writes every scenario's log; ``parts`` only lets
    ``seedctl generate`` spread the work over processes.
    """

    def parts(self, params: ScenarioParams) -> Sequence[Callable[[], Iterator[Command]]]:
        """Pieces whose streams, called and chained in order, are exactly ``generate(params)``.

        Each must be pure like ``generate`` and independent of the others, since each
        may run in another process.
        """
        ...


@runtime_checkable
class EncodingScenario(PartedScenario, Protocol):
    """A parted scenario that also encodes its parts for the log itself.

    Optional, and only a matter of speed: building a Command for every row and
    encoding it whole is about a third of what a row of a large log costs. A
    scenario that yields bare rows (:class:`seedctl.ledger.logencode.Upserts`) can
    encode them straight into the log's bytes.
    """

    def encoded_parts(
        self, params: ScenarioParams
    ) -> Sequence[Callable[[], Iterator[EncodedBatch]]]:
        """``parts``, each encoded exactly as ``encode_batches`` of its commands would be.

        The batches may split differently; their lines, in order, must be the same bytes.
        """
        ...


# ``isinstance`` with a runtime protocol reads every member on Python 3.11, ``metadata``
# too, which a scenario may import only when asked for (okr-demo's SQLAlchemy tables):
# generating a log asks only for the one method it needs.


def has_parts(scenario: Scenario) -> TypeGuard[PartedScenario]:
    """Whether ``scenario`` is a :class:`PartedScenario`, reading only its ``parts``."""
    return callable(getattr(scenario, "parts", None))


def encodes_parts(scenario: Scenario) -> TypeGuard[EncodingScenario]:
    """Whether ``scenario`` is an :class:`EncodingScenario`, reading only its methods."""
    return has_parts(scenario) and callable(getattr(scenario, "encoded_parts", None))
