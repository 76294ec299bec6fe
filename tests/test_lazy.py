"""Lazy room exports: importing a room imports none of its modules until a name is used."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from seedctl.ledger.lazy import lazy_exports


@pytest.fixture
def room(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh package on sys.path whose ``__init__`` exports ``A`` and ``B`` lazily from
    two modules; its name is unique, and it leaves sys.modules as it found it."""
    name = f"room_{uuid.uuid4().hex[:8]}"
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text(
        "from seedctl.ledger.lazy import lazy_exports\n"
        "HERE = 'eager'\n"
        "__getattr__, __dir__ = lazy_exports(__name__, {'.a': ('A',), '.b': ('B', 'C')})\n"
    )
    (package / "a.py").write_text("A = 'from a'\n")
    (package / "b.py").write_text("B = 'from b'\nC = 'also from b'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def test_a_name_imports_only_its_own_module_once(room: str) -> None:
    """Importing the room imports no submodule; using a name imports its module alone, and
    the value is then kept in the package."""
    package = __import__(room)
    assert f"{room}.a" not in sys.modules
    assert f"{room}.b" not in sys.modules
    assert package.A == "from a"
    assert f"{room}.a" in sys.modules
    assert f"{room}.b" not in sys.modules
    assert vars(package)["A"] == "from a"
    assert package.C == "also from b"
    assert vars(package)["C"] == "also from b"


def test_an_unknown_name_is_an_attribute_error(room: str) -> None:
    """A name no module exports raises AttributeError naming the room and the name."""
    package = __import__(room)
    with pytest.raises(AttributeError) as info:
        _ = package.D
    assert str(info.value) == f"module {room!r} has no attribute 'D'"
    assert not hasattr(package, "D")


def test_dir_lists_lazy_and_eager_names_sorted(room: str) -> None:
    """dir() shows every exported name before it is imported, and the module's own names."""
    listing = dir(__import__(room))
    assert {"A", "B", "C", "HERE", "lazy_exports"} <= set(listing)
    assert listing == sorted(listing)
    assert listing.count("A") == 1


def test_a_name_exported_twice_is_refused() -> None:
    """Two modules exporting one name is a programming error, raised when the room loads."""
    with pytest.raises(ValueError) as info:
        lazy_exports("some.room", {".one": ("X", "Y"), ".two": ("Y",)})
    assert str(info.value) == "some.room: 'Y' exported from .one and .two"
