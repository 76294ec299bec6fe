"""Lazy re-exports for package ``__init__`` files (PEP 562).

Each room of seedctl exports its public names from its ``__init__``, but
importing a room must not import all of it: ``seedctl --help`` starts in a
fifth of a second because the CLI loads SQLAlchemy and psycopg only in the
commands that need them. A room lists where each name lives; the name's module
is imported on first use, and the value is then cached in the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, modules: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, exporting ``modules``' names.

    ``modules`` maps a submodule (relative, like ``".applier"``) to the names it
    exports. A name listed twice is a programming error and raises at import time.
    """
    where: dict[str, str] = {}
    for module, names in modules.items():
        for name in names:
            if name in where:
                raise ValueError(f"{package}: {name!r} exported from {where[name]} and {module}")
            where[name] = module

    def __getattr__(name: str) -> object:  # noqa: N807 (the module hook's name is fixed)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted(set(where) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
