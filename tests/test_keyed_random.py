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
    with pytest.raises(
        ValueError, match=r"^a purpose must not contain NUL: it separates purpose from key$"
    ):
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
    with pytest.raises(ValueError, match=r"^weights must not be negative$"):
        cumulative((1, -1))
    with pytest.raises(ValueError, match=r"^at least one weight must be positive$"):
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
    with pytest.raises(ValueError, match=r"^a salt is 1 to 32 bytes$"):
        rng.salt("a@b", "p", 33)


# Known answers: computed once from the documented construction and checked by hand where
# the arithmetic is short. A change to any of them changes what data every seed produces.
SEED, KEY, PURPOSE = "seed", "founder@puzzelcx.local", "user.name"
LANES = (6569121151372652729, 15017474238204199843, 6427776600706194868, 2177620010437019970)
"""KeyedRandom("seed").lanes(KEY, PURPOSE); lane 0 is 0.3561... of 2**64."""


def test_digest_and_lanes_known_answer() -> None:
    """One fixed (seed, key, purpose) gives these 32 bytes and these four little-endian lanes."""
    rng = KeyedRandom(SEED)
    assert rng.digest(KEY, PURPOSE).hex() == (
        "b97012eae1342a5ba3c3bdef40c968d0b41da934c30c34594289e1a9dc75381e"
    )
    assert rng.lanes(KEY, PURPOSE) == LANES


def test_method_draws_scale_lane_zero_known_answers() -> None:
    """``below``, ``between`` and ``pick`` on KeyedRandom scale lane 0 of (key, purpose):
    0.3561 of 1000 is 356, of 10..20 is 13, of -5..5 is -2, of seven items the third."""
    rng = KeyedRandom(SEED)
    assert below(LANES[0], 1000) == 356
    assert below(LANES[1], 1000) == 814, "another lane, another draw"
    assert rng.below(KEY, PURPOSE, 1000) == 356
    assert rng.between(KEY, PURPOSE, 10, 20) == 13
    assert rng.between(KEY, PURPOSE, -5, 5) == -2
    assert rng.pick(KEY, PURPOSE, "abcdefg") == "c"
    assert rng.pick(KEY, PURPOSE, ["only"]) == "only"
    assert rng.below("admin1@puzzelcx.local", PURPOSE, 1000) != 356
    assert rng.below(KEY, "user.job-title", 1000) != 356


@pytest.mark.parametrize(
    ("lane", "n", "expected"),
    [(0, 10, 0), (2**63, 10, 5), (2**63 - 1, 10, 4), (2**64 - 1, 10, 9), (2**64 - 1, 1, 0)],
)
def test_below_known_answers(lane: int, n: int, expected: int) -> None:
    """``below`` is ``lane * n >> 64``: the lane read as a fraction of 2**64, times n, floored."""
    assert below(lane, n) == expected


@pytest.mark.parametrize(
    ("lane", "low", "high", "expected"),
    [(0, 3, 7, 3), (2**63, 3, 7, 5), (2**64 - 1, 3, 7, 7), (2**63, -2, 1, 0), (2**63, 4, 4, 4)],
)
def test_between_known_answers(lane: int, low: int, high: int, expected: int) -> None:
    """``between`` is ``low + below(lane, high - low + 1)``: both ends included."""
    assert between(lane, low, high) == expected


@pytest.mark.parametrize(
    ("weights", "lane", "expected"),
    [
        ((0, 3), 0, 1),
        ((0, 3), 2**64 - 1, 1),
        ((2, 0, 2), 2**63 - 1, 0),
        ((2, 0, 2), 2**63, 2),
        ((55, 25, 20), 0, 0),
        ((55, 25, 20), LANES[0], 0),
        ((55, 25, 20), (2**64 // 100) * 56, 1),
        ((55, 25, 20), 2**64 - 1, 2),
    ],
)
def test_weighted_known_answers(weights: tuple[int, ...], lane: int, expected: int) -> None:
    """``weighted`` picks the first entry whose running total exceeds ``lane * total >> 64``,
    so an entry of weight zero is never drawn, even at the lane that lands on its boundary."""
    assert weighted(lane, cumulative(weights)) == expected


def test_cumulative_known_answer() -> None:
    """Running totals, zero weights included: (55, 0, 25, 20) gives (55, 55, 80, 100)."""
    assert cumulative((55, 0, 25, 20)) == (55, 55, 80, 100)
    assert cumulative([7]) == (7,)


@pytest.mark.parametrize(
    ("lane", "n", "k", "expected"),
    [
        (0, 4, 3, [0, 1, 2]),
        (1, 3, 3, [1, 0, 2]),
        (5, 3, 2, [2, 1]),
        (LANES[0], 12, 5, [5, 6, 2, 11, 9]),
        (LANES[0], 5, 5, [4, 1, 2, 3, 0]),
        (LANES[0], 12, 12, [5, 6, 2, 11, 9, 0, 10, 4, 7, 1, 3, 8]),
        (LANES[0], 12, 0, []),
        (LANES[0], 0, 0, []),
    ],
)
def test_sample_known_answers(lane: int, n: int, k: int, expected: list[int]) -> None:
    """``sample`` reads the lane in mixed radix n, n-1, ...: each digit indexes what is left
    (lane 5 over 3 then 2: digit 2 takes index 2, digit 1 takes index 1 of [0, 1])."""
    assert sample(lane, n, k) == expected


@pytest.mark.parametrize(("n", "k"), [(13, 0), (13, 1), (3, 4), (3, -1)])
def test_sample_refuses_sizes_outside_its_bound(n: int, k: int) -> None:
    """``sample`` needs 0 <= k <= n <= 12 (beyond 12 the lane's bias is no longer negligible)."""
    with pytest.raises(ValueError, match=r"^sample needs 0 <= k <= n <= 12$"):
        sample(0, n, k)


def test_shuffled_known_answer() -> None:
    """Eight keys given in sorted order come back in the order of their own digests."""
    rng = KeyedRandom(SEED)
    keys = [f"user{n}@puzzelcx.local" for n in range(8)]
    order = rng.shuffled(keys, "user.manager-rotation")
    assert [k.removeprefix("user").split("@")[0] for k in order] == list("43620715")
    digests = [rng.digest(k, "user.manager-rotation") for k in order]
    assert digests == sorted(digests)
    assert rng.shuffled(keys, "team.lead") != order, "another purpose, another order"


def test_salt_known_answer_and_bounds() -> None:
    """A salt is the digest's first ``size`` bytes, 16 by default; 1 and 32 are allowed,
    0 and 33 are refused."""
    rng = KeyedRandom(SEED)
    assert rng.salt(KEY, "user.password-salt").hex() == "7f95e69faadcf000ba617d58701183ba"
    assert rng.salt(KEY, "user.password-salt", 1).hex() == "7f"
    assert rng.salt(KEY, "user.password-salt", 32) == rng.digest(KEY, "user.password-salt")
    for size in (0, 33):
        with pytest.raises(ValueError, match=r"^a salt is 1 to 32 bytes$"):
            rng.salt(KEY, "user.password-salt", size)


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
