"""The click names seedctl needs, from the click that typer vendors (``typer._click``).

The entry point and the settings loader talk to contexts, parameter sources and usage
errors directly; importing them from here keeps typer's private path in one place.
"""

from __future__ import annotations

from typer._click.core import Context, ParameterSource
from typer._click.exceptions import NoSuchOption, UsageError
from typer._click.globals import get_current_context

__all__ = ["Context", "NoSuchOption", "ParameterSource", "UsageError", "get_current_context"]
