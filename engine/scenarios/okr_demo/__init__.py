"""The OKR demo scenario: the client's tenant ``puzzel-cx-demo`` at any scale.

``scenario`` emits the commands, ``roster`` says who works there, ``choices``
draws objectives, key results, initiatives and check-ins, ``catalogue`` holds
the words, ``passwords`` the demo users' hashes and ``schema`` the app's tables.
"""

from typing import TYPE_CHECKING

from seedctl.ledger.lazy import lazy_exports

if TYPE_CHECKING:
    from seedctl.engine.scenarios.okr_demo.scenario import OKR_DEMO, OkrDemo
    from seedctl.engine.scenarios.okr_demo.schema import metadata

__all__ = [
    "OKR_DEMO",
    "OkrDemo",
    "metadata",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        ".scenario": ("OKR_DEMO", "OkrDemo"),
        ".schema": ("metadata",),
    },
)
