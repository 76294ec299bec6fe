"""Scenarios: pure, deterministic generators of seed commands, and their registry.

``base`` says what a scenario is, ``registry`` finds one by name (built-in or a
``seedctl.scenarios`` entry point), ``keyed_random`` and ``natural_ids`` are the
tools a scenario draws and keys with, and ``okr_demo`` is the client's demo
tenant. Nothing here touches a database.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.scenarios.base import (
        EncodingScenario,
        PartedScenario,
        Scenario,
        ScenarioParams,
        encodes_parts,
        has_parts,
    )
    from seedctl.engine.scenarios.keyed_random import KeyedRandom
    from seedctl.engine.scenarios.registry import get_scenario, register_scenario, scenario_names

__all__ = [
    "EncodingScenario",
    "KeyedRandom",
    "PartedScenario",
    "Scenario",
    "ScenarioParams",
    "encodes_parts",
    "get_scenario",
    "has_parts",
    "register_scenario",
    "scenario_names",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".base": (
            "EncodingScenario",
            "PartedScenario",
            "Scenario",
            "ScenarioParams",
            "encodes_parts",
            "has_parts",
        ),
        ".keyed_random": ("KeyedRandom",),
        ".registry": ("get_scenario", "register_scenario", "scenario_names"),
    },
)
