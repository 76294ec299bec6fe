"""Generation: run a scenario and append what it emits to a log. Writes the log file.

``generate`` is the engine call behind ``seedctl generate`` (and where ``as_of``
reads the clock, once); ``workers`` encodes a parted scenario in processes.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.generation.generate import (
        DEFAULT_SCALE,
        DEFAULT_SEED,
        GenerateResult,
        default_log_path,
        generate_log,
        scenario_params,
        today_in_london,
    )

__all__ = [
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "GenerateResult",
    "default_log_path",
    "generate_log",
    "scenario_params",
    "today_in_london",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".generate": (
            "DEFAULT_SCALE",
            "DEFAULT_SEED",
            "GenerateResult",
            "default_log_path",
            "generate_log",
            "scenario_params",
            "today_in_london",
        ),
    },
)
