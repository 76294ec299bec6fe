"""The house rules, read from the source: one import name, imports that point one way, no
circles. Each rule fails on the first import that breaks it and names the file and line."""

from __future__ import annotations

import ast
import importlib
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LAYERS = ("ledger", "engine", "cli")
"""``cli`` -> ``engine`` -> ``ledger``: a layer imports only the ones before it."""

ROOM_RANKS = {
    "db": 0,
    "scenarios": 0,
    "target": 1,
    "pending": 2,
    "apply": 3,
    "revert": 3,
    "plan": 3,
    "verify": 3,
    "generation": 3,
    "inspect": 3,
}
"""Rooms of ``engine``: the plumbing (0) and the scenarios, the target tables (1), what is
pending (2), then the jobs (3). A room imports only rooms of a lower rank, so no two jobs
import each other and the plumbing imports no job."""


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    where: str


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["seedctl", *parts])


def _source_files() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (REPO / layer).rglob("*.py"))


def _imports() -> list[Import]:
    """Every import in ledger/, engine/ and cli/, lazy and TYPE_CHECKING ones included."""
    found = []
    for path in _source_files():
        module = _module_name(path)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                found += [Import(module, alias.name, where) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")
                    keep = len(base) - node.level + (1 if is_package else 0)
                    target = ".".join(base[:keep] + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # ``from pkg import name``: name may be a submodule; the cycle check
                # walks back up to the nearest module that exists.
                found += [Import(module, f"{target}.{alias.name}", where) for alias in node.names]
    return found


def _ours(imports: list[Import]) -> list[Import]:
    return [i for i in imports if i.target.split(".")[0] in ("seedctl", *LAYERS)]


def _layer(module: str) -> str:
    return module.split(".")[1]


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if parts[1] == "engine" and len(parts) > 2 else None


def test_every_import_uses_the_one_name_seedctl() -> None:
    """No code imports the bare top-level names ``ledger``, ``engine`` or ``cli``."""
    bare = [i for i in _ours(_imports()) if not i.target.startswith("seedctl.")]
    assert bare == [], "\n".join(f"{i.where}: import {i.target}" for i in bare)


def test_layers_point_inward() -> None:
    """``ledger`` imports neither ``engine`` nor ``cli``; ``engine`` never imports ``cli``."""
    upward = [
        i
        for i in _ours(_imports())
        if i.target.startswith("seedctl.")
        and LAYERS.index(_layer(i.target)) > LAYERS.index(_layer(i.source))
    ]
    assert upward == [], "\n".join(f"{i.where}: {i.source} imports {i.target}" for i in upward)


def test_engine_rooms_use_only_lower_rooms() -> None:
    """Jobs use the plumbing and the shared rooms, never each other; the plumbing no job."""
    wrong = []
    for i in _ours(_imports()):
        source, target = _room(i.source), _room(i.target)
        if source is None or target is None or source == target:
            continue
        if ROOM_RANKS[target] >= ROOM_RANKS[source]:
            wrong.append(f"{i.where}: room {source!r} imports room {target!r}")
    assert wrong == [], "\n".join(wrong)


def test_every_engine_room_is_ranked() -> None:
    """A new room gets a rank here, so the rule above covers it."""
    rooms = {p.name for p in (REPO / "engine").iterdir() if (p / "__init__.py").exists()}
    assert rooms == set(ROOM_RANKS)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    """No module reaches itself through imports, counting lazy ones inside functions."""
    modules = {_module_name(p) for p in _source_files()}
    edges: dict[str, set[str]] = defaultdict(set)
    for i in _ours(_imports()):
        target = i.target
        while target not in modules and "." in target:
            target = target.rsplit(".", 1)[0]  # ``from pkg.mod import name`` imports pkg.mod
        if target in modules and target != i.source:
            edges[i.source].add(target)
    assert _cycles(edges) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a two-module circle and a three-module one are found."""
    edges = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert _cycles(edges) == [["a", "b"], ["c", "d", "e"]]


def test_every_package_is_listed_for_the_wheel() -> None:
    """pyproject.toml lists each package folder under its ``seedctl.`` name."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    folders = {_module_name(p.parent / "__init__.py") for p in _source_files()}
    assert listed == folders


@pytest.mark.parametrize(
    "package", sorted({_module_name(p) for p in _source_files() if p.name == "__init__.py"})
)
def test_each_package_says_what_it_does_and_exports_its_names(package: str) -> None:
    """Every ``__init__`` has a docstring; a room or ``ledger`` exports names, and each resolves."""
    module = importlib.import_module(package)
    assert (module.__doc__ or "").strip()
    exported = getattr(module, "__all__", [])
    if package not in ("seedctl.engine", "seedctl.cli"):
        assert exported, f"{package} exports nothing"
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []
