"""The scenario registry: built-in scenarios plus any installed under the
``seedctl.scenarios`` entry-point group (see docs/writing-a-scenario.md)."""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from seedctl.engine.scenarios.base import Scenario, ScenarioParams
from seedctl.ledger import ConfigError

__all__ = ["Scenario", "ScenarioParams", "get_scenario", "register_scenario", "scenario_names"]

_ENTRY_POINT_GROUP = "seedctl.scenarios"
_registered: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> None:
    """Make ``scenario`` known to this process (for embedding seedctl, and for tests)."""
    _registered[scenario.name] = scenario


def _builtin() -> dict[str, Scenario]:
    from seedctl.engine.scenarios.okr_demo import OKR_DEMO

    return {OKR_DEMO.name: OKR_DEMO}


def _load(entry: EntryPoint) -> Scenario:
    """Load one plugin, turning its failure into a clear error naming it."""
    try:
        scenario: Scenario = entry.load()
    except Exception as e:  # a broken plugin is the plugin's bug; say whose
        raise ConfigError(
            f"scenario plugin {entry.name!r} ({entry.value}) failed to load: {e}"
        ) from e
    if getattr(scenario, "name", None) != entry.name:
        raise ConfigError(
            f"scenario plugin {entry.name!r} ({entry.value}) is named "
            f"{getattr(scenario, 'name', None)!r}; the entry-point name must equal scenario.name, "
            "which is what logs record"
        )
    return scenario


def _registry() -> dict[str, Scenario]:
    """Every known scenario. Loads all plugins: for listing only; lookups load just one."""
    found = {**_builtin(), **_registered}
    for entry in entry_points(group=_ENTRY_POINT_GROUP):
        if entry.name not in found:
            found[entry.name] = _load(entry)
    return found


def scenario_names() -> list[str]:
    """Names of every scenario this installation knows, sorted."""
    return sorted(_registry())


def get_scenario(name: str) -> Scenario:
    """The scenario registered under ``name``; a clear error naming the known ones if none."""
    if name in _registered:
        return _registered[name]
    builtin = _builtin()
    if name in builtin:
        return builtin[name]
    for entry in entry_points(group=_ENTRY_POINT_GROUP, name=name):
        return _load(entry)
    known = ", ".join(
        sorted({*builtin, *_registered, *entry_points(group=_ENTRY_POINT_GROUP).names})
    )
    raise ConfigError(f"unknown scenario {name!r}; known: {known}")
