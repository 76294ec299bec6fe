"""Real, deterministic password hashes for demo users (spec section 2: ``changeme``).

Argon2id in its PHC string form (``$argon2id$v=19$m=8,t=1,p=1$<salt>$<hash>``), which
any Argon2 library verifies. The salt is a keyed draw of (seed, email), so the
same seed gives the same hash on every machine, and the plaintext never reaches
the log.

The cost parameters are the smallest Argon2 allows (8 KiB, one pass, one lane):
about 25 µs a hash instead of about 20 ms at OWASP's recommended m=19 MiB, t=2,
which would make a million-command log take half an hour. The password is
published in the spec, so a costlier hash protects nothing; the parameters travel
inside the string, so the app verifies it today and can rehash on first login
(``argon2.PasswordHasher.check_needs_rehash``) to its own policy.
"""

from __future__ import annotations

from typing import Final

from argon2.low_level import Type, hash_secret
from seedctl.engine.scenarios.keyed_random import KeyedRandom

__all__ = ["DEMO_PASSWORD", "HASH_PARAMETERS", "demo_password_hash"]

DEMO_PASSWORD: Final = "changeme"  # noqa: S105  # the spec's published demo password
HASH_PARAMETERS: Final = {"time_cost": 1, "memory_cost": 8, "parallelism": 1, "hash_len": 32}
_SALT_BYTES = 16
_SECRET = DEMO_PASSWORD.encode()


def demo_password_hash(rng: KeyedRandom, email: str) -> str:
    """The Argon2id hash of the demo password for ``email``; its salt is keyed by seed and email."""
    salt = rng.salt(email, "user.password-salt", _SALT_BYTES)
    return hash_secret(
        _SECRET,
        salt,
        time_cost=HASH_PARAMETERS["time_cost"],
        memory_cost=HASH_PARAMETERS["memory_cost"],
        parallelism=HASH_PARAMETERS["parallelism"],
        hash_len=HASH_PARAMETERS["hash_len"],
        type=Type.ID,
    ).decode("ascii")
