"""Keyed randomness: every draw is a pure function of (seed, natural key, purpose).

Why not :mod:`random`: a sequential generator makes each draw depend on how many
draws came before it, so adding one user at a larger scale would reshuffle every
entity generated after it, and the stream of a Mersenne Twister is only promised
within one Python version. Here each draw is a BLAKE2b digest, keyed by the
SHA-256 of the seed, of ``purpose + NUL + natural key``. Purposes are fixed code
strings that never contain NUL, so the first NUL splits the message unambiguously
and no two (key, purpose) pairs feed the same bytes to the hash.

One digest is 32 bytes: four independent 64-bit *lanes*. A caller that needs
several numbers for one entity and purpose takes them from the lanes of one
digest (lane ``i`` is then part of the purpose), which costs one hash instead of
four. Everything is integer arithmetic: no floats, so no platform rounding.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["KeyedRandom", "below", "between", "cumulative", "sample", "weighted"]

T = TypeVar("T")

_LANES = struct.Struct("<4Q")
_LANE_BITS = 64
_PERSON = b"seedctl-keyed/1"  # domain separation: these digests are never reused elsewhere


def below(lane: int, n: int) -> int:
    """A lane scaled to ``0 <= x < n`` (multiply-shift; bias below n / 2**64)."""
    return (lane * n) >> _LANE_BITS


def between(lane: int, low: int, high: int) -> int:
    """A lane scaled to ``low <= x <= high``."""
    return low + ((lane * (high - low + 1)) >> _LANE_BITS)


def cumulative(weights: Sequence[int]) -> tuple[int, ...]:
    """Running totals of integer weights, for :func:`weighted`; compute once per table."""
    totals: list[int] = []
    running = 0
    for w in weights:
        if w < 0:
            raise ValueError("weights must not be negative")
        running += w
        totals.append(running)
    if running == 0:
        raise ValueError("at least one weight must be positive")
    return tuple(totals)


def weighted(lane: int, totals: tuple[int, ...]) -> int:
    """The index a lane picks from running totals made by :func:`cumulative`."""
    x = (lane * totals[-1]) >> _LANE_BITS
    for i, total in enumerate(totals):
        if x < total:
            return i
    raise AssertionError("unreachable: x < totals[-1]")  # pragma: no cover


def sample(lane: int, n: int, k: int) -> list[int]:
    """``k`` distinct indices below ``n``, in drawn order, from one lane.

    The lane is read as a mixed-radix number (``n``, ``n - 1``, ...); with
    ``n! / (n - k)!`` far below 2**64 the bias is negligible, so keep ``n <= 12``.
    """
    if not 0 <= k <= n <= 12:
        raise ValueError("sample needs 0 <= k <= n <= 12")
    remaining = list(range(n))
    picked: list[int] = []
    for size in range(n, n - k, -1):
        lane, index = divmod(lane, size)
        picked.append(remaining.pop(index))
    return picked


class KeyedRandom:
    """Draws for one seed. Stateless after construction: safe to share and call in any order."""

    __slots__ = ("_base", "_by_purpose")

    def __init__(self, seed: str) -> None:
        self._base = hashlib.blake2b(
            digest_size=32, key=hashlib.sha256(seed.encode()).digest(), person=_PERSON
        )
        # The hash state after absorbing "purpose + NUL", copied for each key: a
        # handful of purposes, reused millions of times.
        self._by_purpose: dict[str, hashlib.blake2b] = {}

    def _purpose_state(self, purpose: str) -> hashlib.blake2b:
        state = self._by_purpose.get(purpose)
        if state is None:
            if "\x00" in purpose:
                raise ValueError("a purpose must not contain NUL: it separates purpose from key")
            state = self._base.copy()
            state.update(purpose.encode() + b"\x00")
            self._by_purpose[purpose] = state
        return state

    def digest(self, key: str, purpose: str) -> bytes:
        """The 32 bytes of BLAKE2b(key=SHA-256(seed))(purpose + NUL + key): every draw's source."""
        h = self._purpose_state(purpose).copy()
        h.update(key.encode())
        return h.digest()

    def lanes(self, key: str, purpose: str) -> tuple[int, int, int, int]:
        """Four independent uniform 64-bit integers for ``(key, purpose)``."""
        # ``digest`` inlined: a few draws per command, a few million per large log.
        h = (self._by_purpose.get(purpose) or self._purpose_state(purpose)).copy()
        h.update(key.encode())
        result: tuple[int, int, int, int] = _LANES.unpack(h.digest())
        return result

    def below(self, key: str, purpose: str, n: int) -> int:
        """A uniform integer ``0 <= x < n``."""
        return below(self.lanes(key, purpose)[0], n)

    def between(self, key: str, purpose: str, low: int, high: int) -> int:
        """A uniform integer ``low <= x <= high``."""
        return between(self.lanes(key, purpose)[0], low, high)

    def pick(self, key: str, purpose: str, items: Sequence[T]) -> T:
        """One element of ``items``, uniformly."""
        return items[below(self.lanes(key, purpose)[0], len(items))]

    def shuffled(self, items: Sequence[str], purpose: str) -> list[str]:
        """``items`` (natural keys themselves) in an order keyed by each item's own draw.

        An item's place depends only on (seed, item, purpose), so the relative order
        of two items never changes when others are added or removed.
        """
        return sorted(items, key=lambda item: self.digest(item, purpose))

    def salt(self, key: str, purpose: str, size: int = 16) -> bytes:
        """``size`` (at most 32) pseudo-random bytes, e.g. a deterministic password salt."""
        if not 1 <= size <= 32:
            raise ValueError("a salt is 1 to 32 bytes")
        return self.digest(key, purpose)[:size]
