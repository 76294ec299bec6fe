"""The scenario registry: built-in scenarios plus any installed under the
``seedctl.scenarios`` entry-point group (see docs/writing-a-scenario.md)."""

from __future__ import annotations

from importlib.metadata import entry_points

from engine.scenarios.base import Scenario, ScenarioParams
from ledger.errors import ConfigError

__all__ = ["Scenario", "ScenarioParams", "get_scenario", "register_scenario", "scenario_names"]

_ENTRY_POINT_GROUP = "seedctl.scenarios"
_registered: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> None:
    """Make ``scenario`` known to this process (for embedding seedctl, and for tests)."""
    _registered[scenario.name] = scenario


def _builtin() -> dict[str, Scenario]:
    from engine.scenarios.okr_demo import OKR_DEMO

    return {OKR_DEMO.name: OKR_DEMO}


def _registry() -> dict[str, Scenario]:
    found = {**_builtin(), **_registered}
    for entry in entry_points(group=_ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.load())
    return found


def scenario_names() -> list[str]:
    """Names of every scenario this installation knows, sorted."""
    return sorted(_registry())


def get_scenario(name: str) -> Scenario:
    """The scenario registered under ``name``; a clear error naming the known ones if none."""
    if name in _registered:
        return _registered[name]
    registry = _registry()
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown scenario {name!r}; known: {known}") from None
