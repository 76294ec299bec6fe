"""The installed seedctl's version, as ``--version`` prints and every run records."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["seedctl_version"]


def seedctl_version() -> str:
    """The distribution's version; ``0+unknown`` in a checkout that was never installed."""
    try:
        return version("seedctl")
    except PackageNotFoundError:
        return "0+unknown"
