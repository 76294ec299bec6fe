"""Keyed randomness: each draw is a pure function of (seed, natural key, purpose), nothing else."""

from __future__ import annotations

import hashlib
import struct
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from seedctl.engine.scenarios.keyed_random import (
    KeyedRandom,
    below,
    between,
    cumulative,
    sample,
    weighted,
)

LANE = st.integers(min_value=0, max_value=2**64 - 1)
KEYS = st.text(max_size=40)


def reference_digest(seed: str, key: str, purpose: str) -> bytes:
    """The documented construction, spelled out with hashlib alone."""
    h = hashlib.blake2b(
        digest_size=32, key=hashlib.sha256(seed.encode()).digest(), person=b"seedctl-keyed/1"
    )
    h.update(purpose.encode() + b"\x00" + key.encode())
    return h.digest()


@given(
    seed=st.text(max_size=20),
    key=KEYS,
    purpose=st.text(max_size=20).filter(lambda p: "\x00" not in p),
)
def test_digest_is_the_documented_construction(seed: str, key: str, purpose: str) -> None:
    """A draw is BLAKE2b keyed by SHA-256(seed) over purpose, NUL, key: reproducible anywhere."""
    rng = KeyedRandom(seed)
    assert rng.digest(key, purpose) == reference_digest(seed, key, purpose)
    assert rng.lanes(key, purpose) == struct.unpack("<4Q", reference_digest(seed, key, purpose))


def test_every_input_changes_the_draw() -> None:
    """Seed, key and purpose each change the digest; asking twice gives the same one."""
    rng = KeyedRandom("seed")
    base = rng.digest("founder@puzzelcx.local", "user.name")
    assert rng.digest("founder@puzzelcx.local", "user.name") == base
    assert KeyedRandom("seed2").digest("founder@puzzelcx.local", "user.name") != base
    assert rng.digest("admin1@puzzelcx.local", "user.name") != base
    assert rng.digest("founder@puzzelcx.local", "user.job-title") != base


def test_purpose_and_key_cannot_run_into_each_other() -> None:
    """Moving characters between purpose and key changes the draw; NUL in a purpose is refused."""
    rng = KeyedRandom("seed")
    assert rng.digest("bc", "a") != rng.digest("c", "ab")
    with pytest.raises(ValueError, match="must not contain NUL"):
        rng.digest("key", "a\x00b")


def test_draws_do_not_depend_on_call_order() -> None:
    """A draw asked after thousands of others equals the same draw asked first (no hidden state)."""
    fresh = KeyedRandom("seed").lanes("kr-1", "key_result.progress")
    busy = KeyedRandom("seed")
    for n in range(2000):
        busy.lanes(f"other-{n}", "check_in.when")
    assert busy.lanes("kr-1", "key_result.progress") == fresh


@given(lane=LANE, n=st.integers(min_value=1, max_value=10**6))
def test_below_stays_in_range(lane: int, n: int) -> None:
    """``below`` maps any 64-bit lane into ``0 <= x < n``."""
    assert 0 <= below(lane, n) < n


@given(lane=LANE, low=st.integers(-1000, 1000), width=st.integers(0, 1000))
def test_between_is_inclusive(lane: int, low: int, width: int) -> None:
    """``between`` maps any lane into ``low..high`` inclusive, and reaches both ends."""
    assert low <= between(lane, low, low + width) <= low + width
    assert between(0, low, low + width) == low
    assert between(2**64 - 1, low, low + width) == low + width


def test_weighted_follows_the_weights() -> None:
    """Over many keys, a 55/25/20 table is drawn in roughly those shares."""
    rng = KeyedRandom("seed")
    totals = cumulative((55, 25, 20))
    counts = Counter(weighted(rng.lanes(f"k{n}", "p")[0], totals) for n in range(20_000))
    assert abs(counts[0] / 20_000 - 0.55) < 0.02
    assert abs(counts[1] / 20_000 - 0.25) < 0.02
    assert abs(counts[2] / 20_000 - 0.20) < 0.02


def test_cumulative_refuses_weights_that_cannot_draw() -> None:
    """Negative weights and an all-zero table are errors, not silent biases."""
    with pytest.raises(ValueError, match="negative"):
        cumulative((1, -1))
    with pytest.raises(ValueError, match="positive"):
        cumulative((0, 0))


@given(lane=LANE, n=st.integers(0, 12), data=st.data())
def test_sample_gives_distinct_indices(lane: int, n: int, data: st.DataObject) -> None:
    """``sample`` picks k distinct indices below n from one lane."""
    k = data.draw(st.integers(0, n))
    picked = sample(lane, n, k)
    assert len(picked) == k
    assert len(set(picked)) == k
    assert all(0 <= i < n for i in picked)


@settings(max_examples=50)
@given(
    items=st.lists(st.text(min_size=1, max_size=10), unique=True, max_size=12),
    extra=st.text(min_size=1, max_size=10),
)
def test_shuffle_keeps_relative_order_when_items_are_added(items: list[str], extra: str) -> None:
    """Adding an item to a keyed shuffle never reorders the others: places are per-item draws."""
    assume(extra not in items)
    rng = KeyedRandom("seed")
    before = rng.shuffled(items, "user.manager-rotation")
    after = [i for i in rng.shuffled([*items, extra], "user.manager-rotation") if i != extra]
    assert sorted(before) == sorted(items)
    assert after == before


def test_salt_has_the_asked_size() -> None:
    """Salts are the first bytes of the digest, 1 to 32 of them."""
    rng = KeyedRandom("seed")
    assert rng.salt("a@b", "user.password-salt", 16) == rng.digest("a@b", "user.password-salt")[:16]
    with pytest.raises(ValueError, match="1 to 32"):
        rng.salt("a@b", "p", 33)


def test_scenario_code_never_uses_the_random_module() -> None:
    """No module that feeds the log imports :mod:`random` (sequential, version-bound streams)."""
    root = Path(__file__).resolve().parent.parent / "engine"
    sources = sorted((root / "scenarios").rglob("*.py")) + sorted(
        (root / "generation").glob("*.py")
    )
    assert root / "scenarios" / "keyed_random.py" in sources
    for source in sources:
        text = source.read_text(encoding="utf-8")
        assert "import random" not in text, source
        assert "from random" not in text, source
